package scenarios

import (
	"fmt"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropAgentGone names the check of a user's agent delete.
const PropAgentGone = "safety/deleted-agent-stays-gone"

// agentGoneProp: production's deleteAgent (tRPC deleteAgent, model.md
// §4.6) removes the agent for good: its row goes, its unfinished beads go
// back to open with no assignee, and nothing the Town does afterwards —
// the late reports of the agent's process (its exit report arrives after
// the delete), an admin's force reset of the same id from a list loaded
// before (unhook, then idle: both a no-op on a missing agent) — brings it
// back or fails; and it touches nothing else: every other bead keeps its
// status and assignee. Judged from the world's deletes (the agent's row,
// its hooked bead's status and the other beads just before and just after, the reset's answer and
// the row after it), and on every tick from the rows: no agent row and no
// bead's assignee names a deleted agent.
type agentGoneProp struct{ judged, seen int }

func (p *agentGoneProp) everyTick(c *checker, _ *sim.TickRecord, w *sim.World) {
	ds := w.AgentDeletes()
	for _, d := range ds[p.seen:] {
		p.judgeDelete(c, *d)
	}
	p.seen = len(ds)
}

func (p *agentGoneProp) tick(c *checker, t *tickView) {
	var gone []string
	for _, d := range t.w.AgentDeletes() {
		if d.Reset && !d.ResetAt.After(c.now) {
			p.judgeReset(c, *d)
		}
		if d.RowBefore && d.Err == "" {
			gone = append(gone, d.Agent)
		}
	}
	if len(gone) == 0 {
		return
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(gone)), ", ")
	args := make([]any, 0, 3*len(gone))
	for i := 0; i < 3; i++ {
		for _, g := range gone {
			args = append(args, g)
		}
	}
	for _, pr := range c.pairs(t.db, `SELECT bead_id, 'is an agent row again' FROM beads WHERE bead_id IN (`+ph+`)
		UNION ALL SELECT bead_id, 'is an agent_metadata row again' FROM agent_metadata WHERE bead_id IN (`+ph+`)
		UNION ALL SELECT assignee_agent_bead_id, 'is the assignee of bead ' || bead_id FROM beads WHERE assignee_agent_bead_id IN (`+ph+`)
		ORDER BY 1, 2`, args...) {
		c.violation(PropAgentGone, pr[0], "deleted agent %s %s", short(pr[0]), pr[1])
	}
}

func (p *agentGoneProp) end(c *checker, w *sim.World, _ *model.DB) { p.everyTick(c, nil, w) }

// judgeDelete judges the delete itself.
func (p *agentGoneProp) judgeDelete(c *checker, d sim.AgentDelete) {
	if !d.RowBefore {
		return
	}
	p.judged++
	at := d.At.Format(time.RFC3339)
	switch {
	case d.Err != "":
		c.violation(PropAgentGone, d.Agent, "the delete of agent %s at %s failed: %s", short(d.Agent), at, d.Err)
	case d.RowAfter:
		c.violation(PropAgentGone, d.Agent, "agent %s is still a row after its delete at %s", short(d.Agent), at)
	case d.OthersBefore != d.OthersAfter && d.OthersBefore != "?" && d.OthersAfter != "?":
		c.violation(PropAgentGone, d.Agent, "the delete of agent %s at %s changed beads neither it nor its agent's: %s",
			short(d.Agent), at, firstDifference(d.OthersBefore, d.OthersAfter))
	case d.Hook != "" && !model.Terminal(d.HookStatus) && d.HookStatusAfter != "" && d.HookStatusAfter != model.StatusOpen:
		c.violation(PropAgentGone, d.Agent, "bead %s, %s when its agent %s was deleted at %s, is %s after, not open",
			short(d.Hook), d.HookStatus, short(d.Agent), at, d.HookStatusAfter)
	}
}

// judgeReset judges an admin's force reset of a deleted agent.
func (p *agentGoneProp) judgeReset(c *checker, d sim.AgentDelete) {
	if !d.RowBefore || d.RowAfter {
		return
	}
	switch {
	case d.ResetErr != "":
		c.violation(PropAgentGone, d.Agent+"/reset", "the force reset of deleted agent %s at %s failed: %s",
			short(d.Agent), d.ResetAt.Format(time.RFC3339), d.ResetErr)
	case d.RowAfterReset:
		c.violation(PropAgentGone, d.Agent+"/reset", "the force reset of deleted agent %s at %s made it a row again",
			short(d.Agent), d.ResetAt.Format(time.RFC3339))
	}
}

func (p *agentGoneProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no user deleted an agent"
	}
	return ""
}

// firstDifference names the first entry of two comma-separated lists that
// differs.
func firstDifference(a, b string) string {
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	for i := range min(len(as), len(bs)) {
		if as[i] != bs[i] {
			return fmt.Sprintf("%s became %s", as[i], bs[i])
		}
	}
	return fmt.Sprintf("%d entries became %d", len(as), len(bs))
}
