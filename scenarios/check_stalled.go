package scenarios

import (
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
)

// PropStalledIdled is the liveness of AG-2, judged from the world's facts.
const PropStalledIdled = "liveness/stalled-agent-idled"

// stalledIdleBound is how long after the Town's first stop call for an
// agent (since its last start) the agent may still be stalled: AG-2 idles
// a stalled agent 2.5 h after it first stalled (reconciler.md §2.1), and
// GUPP's force stop stalls it in the tick that sends that stop (§2.5);
// 15 min more cover the idle cadence (5 min) and a drain (7 min), during
// which AG-2 does not run.
const stalledIdleBound = 150*time.Minute + 15*time.Minute

// stalledIdledProp: an agent the Town asked the container to stop, whose
// process the world no longer runs, is not left stalled longer than
// stalledIdleBound after that stop. A force stop that takes ends the
// process and T4's exited or not_found idles the agent within minutes; one
// that does not take (the stop_ignored fault) leaves it to AG-2, production's
// backstop for a stalled agent nothing else idles (PR #2830). It reads the
// Town's stop and start calls, the world's process of the agent, and the
// agent's status row — not stalled_at, the port's clock of AG-2.
type stalledIdledProp struct {
	stop   map[string]time.Time // agent → its first stop call since its last start call
	judged int
}

func (p *stalledIdledProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.AgentID == "" {
		return
	}
	switch call.Kind {
	case model.CallStartAgent:
		delete(p.stop, call.AgentID)
	case model.CallStopAgent:
		if p.stop == nil {
			p.stop = map[string]time.Time{}
		}
		if _, ok := p.stop[call.AgentID]; !ok {
			p.stop[call.AgentID] = now
		}
	}
}

func (p *stalledIdledProp) tick(c *checker, t *tickView) {
	for _, id := range slices.Sorted(maps.Keys(p.stop)) {
		at := p.stop[id]
		if c.now.Sub(at) <= stalledIdleBound {
			continue
		}
		delete(p.stop, id) // judged once; a later stop call starts a new clock
		if pv, ok := t.byAgent[id]; ok && pv.Live {
			continue // the stop did not end a live process: not AG-2's case
		}
		p.judged++
		if s, _ := t.db.Strings(`SELECT status FROM agent_metadata WHERE bead_id = ?`, id); len(s) == 1 && s[0] == model.AgentStalled {
			c.violation(PropStalledIdled, id, "agent %s is still stalled %s after the Town's stop call at %s, its process no longer running (AG-2 idles a stalled agent after 2.5 h)",
				short(id), c.now.Sub(at).Truncate(time.Second), at.Format(time.RFC3339))
		}
	}
}

func (p *stalledIdledProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no stopped agent reached the 2 h 45 min deadline without a live process"
	}
	return ""
}
