package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// safety/live-session-keeps-hook fires when AG-4 unhooks an agent whose
// process runs and heartbeated 30 s before the tick, over a real run's
// rows; and not for a stale heartbeat, a process in cold start, a
// terminal bead, a NULL activity stamp (a triage RESTART) or another rule.
func TestLiveSessionKeepsHookFires(t *testing.T) {
	c, db := passedRun(t, "quiet-mayor", 20*time.Minute)
	exec, one := rowsOf(t, db)
	polecat := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	issue := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	at := c.now
	view := func(procs ...sim.ProcessView) *tickView {
		v := &tickView{rec: &sim.TickRecord{At: at, End: at}, w: c.world, db: db, procs: procs,
			byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}}
		for _, p := range procs {
			v.byAgent[p.AgentID] = p
		}
		return v
	}
	proc := func(state string, beat time.Duration) sim.ProcessView {
		return sim.ProcessView{AgentID: polecat, BeadID: issue, Role: model.RolePolecat, State: state,
			Live: state != "gone", LastHeartbeat: at.Add(-beat)}
	}
	unhook := reconciler.Action{Rule: "AG-4", Type: reconciler.UnhookAgent, AgentID: polecat}
	for _, tc := range []struct {
		name     string
		status   string // the hooked bead's status when AG-4 acts
		activity string // the agent's last_activity_at ("" = NULL)
		proc     sim.ProcessView
		act      reconciler.Action
		fires    bool
	}{
		{"live session unhooked", model.StatusOpen, "2026-01-01T00:00:00.000Z", proc("running", 30*time.Second), unhook, true},
		{"stale heartbeat", model.StatusOpen, "2026-01-01T00:00:00.000Z", proc("running", 3*time.Minute), unhook, false},
		{"cold start", model.StatusOpen, "2026-01-01T00:00:00.000Z", proc("cold_start", 30*time.Second), unhook, false},
		{"terminal bead", model.StatusClosed, "2026-01-01T00:00:00.000Z", proc("running", 30*time.Second), unhook, false},
		{"restart cleared the activity", model.StatusOpen, "", proc("running", 30*time.Second), unhook, false},
		{"another rule", model.StatusOpen, "2026-01-01T00:00:00.000Z", proc("running", 30*time.Second),
			reconciler.Action{Rule: "BD-2", Type: reconciler.UnhookAgent, AgentID: polecat}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			p := propByName(t, PropLiveSessionHook).(*liveSessionHookProp)
			exec(`UPDATE agent_metadata SET current_hook_bead_id = ?, last_activity_at = NULLIF(?, '') WHERE bead_id = ?`, issue, tc.activity, polecat)
			exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, model.StatusInProgress, issue)
			p.tick(c, view(tc.proc))
			exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, tc.status, issue)
			p.action(c, tc.act, view(tc.proc))
			wantFired(t, c, PropLiveSessionHook, tc.fires)
		})
	}
}
