package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// liveness/idle-agent-releases-live-hook fires on an agent left idle and
// hooked to an in-progress issue without a process for three ticks past
// AG-4's 90 s, over a real run's rows; and not while its process lives, for
// a closed bead, or before the 90 s.
func TestIdleAgentReleasesLiveHookFires(t *testing.T) {
	c, db := passedRun(t, "quiet-mayor", 20*time.Minute)
	exec, one := rowsOf(t, db)
	polecat := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	issue := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	at := c.now
	view := func(d time.Duration, procs ...sim.ProcessView) *tickView {
		c.now = at.Add(d)
		v := &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{}, w: c.world, db: db,
			procs: procs, byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}}
		for _, p := range procs {
			v.byAgent[p.AgentID] = p
		}
		return v
	}
	live := sim.ProcessView{AgentID: polecat, BeadID: issue, Role: model.RolePolecat, State: "running", Live: true}
	gone := sim.ProcessView{AgentID: polecat, BeadID: issue, Role: model.RolePolecat, State: "exited"}
	for _, tc := range []struct {
		name   string
		status string
		proc   sim.ProcessView
		ticks  []time.Duration
		fires  bool
	}{
		{"held past AG-4", model.StatusInProgress, gone, []time.Duration{0, 100 * time.Second, 105 * time.Second, 110 * time.Second}, true},
		{"its process lives", model.StatusInProgress, live, []time.Duration{0, 100 * time.Second, 105 * time.Second, 110 * time.Second}, false},
		{"closed bead", model.StatusClosed, gone, []time.Duration{0, 100 * time.Second, 105 * time.Second, 110 * time.Second}, false},
		{"before AG-4's 90 s", model.StatusOpen, gone, []time.Duration{0, 30 * time.Second, 60 * time.Second, 90 * time.Second}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			exec(`UPDATE agent_metadata SET status = 'idle', current_hook_bead_id = ? WHERE bead_id = ?`, issue, polecat)
			exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, tc.status, issue)
			p := propByName(t, PropIdleLiveHook).(*idleLiveHookProp)
			for _, d := range tc.ticks {
				p.tick(c, view(d, tc.proc))
			}
			wantFired(t, c, PropIdleLiveHook, tc.fires)
		})
	}
}
