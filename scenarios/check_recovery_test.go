package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// attempt-reset-earned and stalled-review-redispatched fire on hand-made
// violations over the rows of a real refinery-start-outage run (which
// they passed), and stay quiet on the same states the world explains.
func TestRecoveryPropertiesFire(t *testing.T) {
	c, db := passedRun(t, "refinery-start-outage", 0)
	exec, one := rowsOf(t, db)
	refinery := one(`SELECT bead_id FROM agent_metadata WHERE role = 'refinery' ORDER BY bead_id LIMIT 1`)
	mr := one(`SELECT bead_id FROM beads WHERE type = 'merge_request' ORDER BY bead_id LIMIT 1`)
	at := c.now
	view := func(d time.Duration, procs ...sim.ProcessView) *tickView {
		c.now = at.Add(d)
		v := &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{Ran: true}, w: c.world, db: db,
			procs: procs, holds: map[string]bool{}}
		return v
	}
	reset := reconciler.Action{Rule: "AG-3", Type: reconciler.ResetAgentDispatchAttempts, AgentID: refinery}
	start := func(p property, n int) {
		for range n {
			p.(caller).call(c, model.Call{Kind: model.CallStartAgent, AgentID: refinery, BeadID: mr, Role: model.RoleRefinery},
				model.Result{StatusCode: 503}, c.now)
		}
	}
	// an MR in review, its refinery hooked, no process in the world
	stall := func() {
		exec(`UPDATE beads SET status = 'in_progress', metadata = '{}' WHERE bead_id = ?`, mr)
		exec(`UPDATE agent_metadata SET current_hook_bead_id = ?, status = 'idle' WHERE bead_id = ?`, mr, refinery)
	}
	ticks := func(p property, every time.Duration, n int, procs ...sim.ProcessView) {
		for i := range n {
			p.(ticker).tick(c, view(time.Duration(i)*every, procs...))
		}
	}
	for _, tc := range []struct {
		name, prop string
		breakIt    func(p property)
		fires      bool
	}{
		{"a reset after four starts", PropResetEarned, func(p property) {
			start(p, 4)
			p.(actor).action(c, reset, view(0))
		}, true},
		{"a reset after five starts", PropResetEarned, func(p property) {
			start(p, 5)
			p.(actor).action(c, reset, view(0))
		}, false},
		{"a second reset on the next tick", PropResetEarned, func(p property) {
			start(p, 5)
			p.(actor).action(c, reset, view(0))
			p.(actor).action(c, reset, view(5*time.Second))
		}, true},
		{"a review left without a refinery start", PropReviewRetried, func(p property) {
			stall()
			ticks(p, 6*time.Second, reviewRetryTicks+2)
		}, true},
		{"a review whose refinery runs", PropReviewRetried, func(p property) {
			stall()
			ticks(p, 6*time.Second, reviewRetryTicks+2, sim.ProcessView{AgentID: refinery, BeadID: mr, Role: model.RoleRefinery, Live: true})
		}, false},
		{"a review retried every five minutes", PropReviewRetried, func(p property) {
			stall()
			for i := range reviewRetryTicks + 2 {
				if i%50 == 0 {
					start(p, 1)
				}
				p.(ticker).tick(c, view(time.Duration(i)*6*time.Second))
			}
		}, false},
		{"a review held while the container is slow", PropReviewRetried, func(p property) {
			stall()
			ticks(p, 10*time.Minute, 10) // long ticks: few reconciling ticks
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT recovery`)
			defer exec(`ROLLBACK TO recovery`)
			c.failures, c.seen, c.breakerOpen = nil, map[string]bool{}, false
			tc.breakIt(propByName(t, tc.prop))
			wantFired(t, c, tc.prop, tc.fires)
			if tc.fires {
				t.Log(c.failures[0])
			}
		})
	}
}
