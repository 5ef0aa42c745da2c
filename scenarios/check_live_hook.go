package scenarios

import (
	"fmt"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// PropLiveSessionHook: AG-4 leaves a live session's hook alone.
const PropLiveSessionHook = "safety/live-session-keeps-hook"

// liveHookFresh is how recent a heartbeat of the agent's process must be,
// before the tick fired and still at its end, for the session to count as
// alive: AG-4 skips an agent whose last activity is within 90 s
// (reconciler.md §2.1, PR #3151); 10 s are left for the tick's own awaits.
const liveHookFresh = 80 * time.Second

// liveSessionHookProp: AG-4's cleanup of an idle agent hooked to an open or
// in-progress bead (unhook, bead back to open) never tears the hook out
// from under a live session — one whose process the world runs, running
// (not in cold start, hung or gone), and whose last heartbeat reached the
// Town within liveHookFresh before the tick fired. Production idles such
// an agent when a dispatch or a triage restart believes it stopped while
// it did not (a phantom dispatch failure, a lost stop call); the session
// keeps working and its next heartbeat makes the agent working again.
// Excused: an agent whose activity stamp is NULL (a triage RESTART clears
// it on purpose, so production unhooks then). It reads the tick's AG-4
// unhook actions, the world's process of the agent (state, last
// heartbeat), and rows: the agent's hook at the previous tick's end, that
// bead's status, the agent's last_activity_at (NULL or not).
type liveSessionHookProp struct {
	hook   map[string]string // agent → its hook at the end of the previous tick
	judged int
}

func (p *liveSessionHookProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Rule != "AG-4" || a.Type != reconciler.UnhookAgent || a.AgentID == "" {
		return
	}
	bead := p.hook[a.AgentID]
	pv, ok := t.byAgent[a.AgentID]
	if bead == "" || !ok || !pv.Live || pv.State != "running" || pv.LastHeartbeat.IsZero() {
		return
	}
	at := t.rec.At
	if pv.LastHeartbeat.After(at) || t.rec.End.Sub(pv.LastHeartbeat) > liveHookFresh {
		return // no heartbeat known to be fresh for the whole tick (it read the agent somewhere in it)
	}
	st, _ := t.db.Strings(`SELECT status FROM beads WHERE bead_id = ?`, bead)
	if len(st) != 1 || (st[0] != model.StatusOpen && st[0] != model.StatusInProgress) {
		return // AG-4's cases for a missing or terminal bead
	}
	if n, _ := t.db.Int(`SELECT count(*) FROM agent_metadata WHERE bead_id = ? AND last_activity_at IS NULL`, a.AgentID); n > 0 {
		return
	}
	p.judged++
	c.add(Violation{Property: PropLiveSessionHook, At: c.now, Tick: c.ticks, Entity: a.AgentID, Rule: a.Rule,
		Detail: fmt.Sprintf("AG-4 unhooked agent %s from %s bead %s while its process ran and heartbeated %s before the tick",
			short(a.AgentID), st[0], short(bead), at.Sub(pv.LastHeartbeat).Truncate(time.Second))})
}

func (p *liveSessionHookProp) tick(c *checker, t *tickView) {
	if p.hook == nil {
		p.hook = map[string]string{}
	}
	clear(p.hook)
	for _, pr := range c.pairs(t.db, `SELECT bead_id, current_hook_bead_id FROM agent_metadata
		WHERE current_hook_bead_id IS NOT NULL ORDER BY bead_id`) {
		p.hook[pr[0]] = pr[1]
	}
	for _, pv := range t.procs {
		if pv.Live && pv.State == "running" && p.hook[pv.AgentID] != "" {
			p.judged++
			break
		}
	}
}

func (p *liveSessionHookProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no hooked agent ran a live process"
	}
	return ""
}
