package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// dispatches-within-attempt-cap, redispatch-waits-cooldown and
// breaker-pauses-every-dispatch fire on hand-made dispatch histories over
// the rows of a real start-failures run (which they passed), and stay
// quiet where production's counter, cooldown and breaker allow the
// dispatch.
func TestDispatchPropertiesFire(t *testing.T) {
	c, db := passedRun(t, "start-failures", 0)
	_, one := rowsOf(t, db)
	agent := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	bead := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	w := c.world
	at := c.now
	// start sends a start call for bead at offset d (its send time: the
	// checker sees no world here, so the observed time is the send time).
	start := func(p property, d time.Duration, light bool) {
		p.(caller).call(c, model.Call{Kind: model.CallStartAgent, AgentID: agent, BeadID: bead, Role: model.RolePolecat,
			Lightweight: light}, model.Result{StatusCode: 503}, at.Add(d))
	}
	starts := func(p property, n int) {
		for i := range n {
			start(p, time.Duration(i)*time.Minute, false)
		}
	}
	// act feeds p the actions of a tick that fired at offset d and ended 2 s
	// later, then the tick itself.
	act := func(p property, d time.Duration, as ...reconciler.Action) {
		c.tickStart, c.now = at.Add(d), at.Add(d+2*time.Second)
		v := &tickView{rec: &sim.TickRecord{At: c.tickStart, End: c.now}, res: &alarm.TickResult{Ran: true}, w: w, db: db,
			holds: map[string]bool{}}
		for _, a := range as {
			p.(actor).action(c, a, v)
		}
		if tk, ok := p.(ticker); ok {
			tk.tick(c, v)
		}
	}
	bd1 := reconciler.Action{Rule: "BD-1", Type: reconciler.DispatchAgent, BeadID: bead}
	rq5 := reconciler.Action{Rule: "RQ-5", Type: reconciler.DispatchAgent, BeadID: bead}
	reset := reconciler.Action{Rule: "AG-3", Type: reconciler.ResetAgentDispatchAttempts, AgentID: agent}
	failed := reconciler.Action{Rule: "RQ-6", Type: reconciler.TransitionBead, BeadID: bead, To: model.StatusFailed,
		Reason: "refinery max dispatch attempts exceeded (5)"}
	notice := reconciler.Action{Rule: "BD-CB", Type: reconciler.NotifyMayor,
		Message: "Dispatch circuit breaker is OPEN: 20 dispatch failures in the last 30 minutes."}
	for _, tc := range []struct {
		name, prop string
		history    func(p property)
		fires      bool
	}{
		{"BD-1 dispatches after five starts", PropDispatchCap, func(p property) {
			starts(p, 5)
			act(p, time.Hour, bd1)
		}, true},
		{"BD-1 dispatches after four starts", PropDispatchCap, func(p property) {
			starts(p, 4)
			act(p, time.Hour, bd1)
		}, false},
		{"the dispatch's own start is not counted", PropDispatchCap, func(p property) {
			starts(p, 4)
			start(p, time.Hour, false)
			act(p, time.Hour, bd1)
		}, false},
		{"lightweight starts are not counted", PropDispatchCap, func(p property) {
			for i := range 6 {
				start(p, time.Duration(i)*time.Minute, true)
			}
			act(p, time.Hour, bd1)
		}, false},
		{"AG-3's reset of the hooked agent forgives the starts", PropDispatchCap, func(p property) {
			starts(p, 5)
			act(p, 40*time.Minute, reset)
			act(p, time.Hour, bd1)
		}, false},
		{"failed at the cap after five starts", PropDispatchCap, func(p property) {
			starts(p, 5)
			act(p, time.Hour, failed)
		}, false},
		{"failed at the cap right after AG-3's reset", PropDispatchCap, func(p property) {
			starts(p, 5)
			act(p, 40*time.Minute, reset)
			act(p, 41*time.Minute, failed)
		}, true},
		{"RQ-5 pops whatever the count", PropDispatchCap, func(p property) {
			starts(p, 7)
			act(p, time.Hour, rq5)
		}, false},
		{"BD-1 dispatches 20 s after the first start", PropDispatchCooldown, func(p property) {
			start(p, 0, false)
			act(p, 18*time.Second, bd1)
		}, true},
		{"BD-1 dispatches 32 s after the first start", PropDispatchCooldown, func(p property) {
			start(p, 0, false)
			act(p, 30*time.Second, bd1)
		}, false},
		{"BD-1 dispatches 92 s after the third start", PropDispatchCooldown, func(p property) {
			starts(p, 3)
			act(p, 2*time.Minute+90*time.Second, bd1)
		}, true},
		{"BD-1 dispatches right after AG-3's reset", PropDispatchCooldown, func(p property) {
			starts(p, 3)
			act(p, 2*time.Minute+10*time.Second, reset)
			act(p, 2*time.Minute+20*time.Second, bd1)
		}, false},
		{"RQ-5 dispatches while the breaker notice is out", PropBreakerPausesAll, func(p property) {
			act(p, 0, notice, rq5)
		}, true},
		{"RQ-5 dispatches with the breaker closed", PropBreakerPausesAll, func(p property) {
			act(p, 0, notice)
			act(p, 5*time.Second, rq5)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures, c.seen, c.world = nil, map[string]bool{}, nil
			defer func() { c.world = w }()
			tc.history(propByName(t, tc.prop))
			wantFired(t, c, tc.prop, tc.fires)
			if tc.fires {
				t.Log(c.failures[0])
			}
		})
	}
}

// open-issue-assignee-hooked fires on hand-made rows over a real start-failures run (which they passed), and
// stays quiet where production leaves the state so.
func TestHookPropertiesFire(t *testing.T) {
	c, db := passedRun(t, "start-failures", 0)
	exec, one := rowsOf(t, db)
	agent := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	other := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' AND bead_id != ? ORDER BY bead_id LIMIT 1`, agent)
	issue := one(`SELECT bead_id FROM beads WHERE type = 'issue' AND rig_id IS NOT NULL ORDER BY bead_id LIMIT 1`)
	at := c.now
	// tick feeds p the actions of a tick that ended at offset d, then the tick.
	tick := func(p property, d time.Duration, as ...reconciler.Action) {
		c.tickStart, c.now = at.Add(d-time.Second), at.Add(d)
		v := &tickView{rec: &sim.TickRecord{At: c.tickStart, End: c.now}, res: &alarm.TickResult{Ran: true}, w: c.world, db: db,
			holds: map[string]bool{}}
		if ap, ok := p.(actor); ok {
			for _, a := range as {
				ap.action(c, a, v)
			}
		}
		p.(ticker).tick(c, v)
	}
	hook := func(a, b string) {
		exec(`UPDATE agent_metadata SET current_hook_bead_id = NULLIF(?, '') WHERE bead_id = ?`, b, a)
	}
	assign := func(a string) {
		exec(`UPDATE beads SET status = 'open', assignee_agent_bead_id = ?, labels = '[]' WHERE bead_id = ?`, a, issue)
	}
	minutes := func(p property, n int) {
		for i := range n * 6 {
			tick(p, time.Duration(i)*10*time.Second)
		}
	}
	for _, tc := range []struct {
		name, prop string
		rows       func(p property)
		fires      bool
	}{
		{"an open issue keeps an unhooked assignee for 3 min", PropOpenAssigneeHooked, func(p property) {
			hook(agent, "")
			assign(agent)
			minutes(p, 3)
		}, true},
		{"an open issue keeps an unhooked assignee for 1 min", PropOpenAssigneeHooked, func(p property) {
			hook(agent, "")
			assign(agent)
			minutes(p, 1)
		}, false},
		{"an open issue whose assignee is hooked to another bead", PropOpenAssigneeHooked, func(p property) {
			hook(other, "")
			hook(agent, other)
			assign(agent)
			minutes(p, 3)
		}, true},
		{"an open issue whose assignee is hooked to it", PropOpenAssigneeHooked, func(p property) {
			exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL WHERE current_hook_bead_id = ?`, issue)
			hook(agent, issue)
			assign(agent)
			minutes(p, 3)
		}, false},
		{"an open issue assigned to system", PropOpenAssigneeHooked, func(p property) {
			assign("system")
			minutes(p, 3)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT hooks`)
			defer exec(`ROLLBACK TO hooks`)
			c.failures, c.seen, c.broken = nil, map[string]bool{}, map[string]time.Time{}
			tc.rows(propByName(t, tc.prop))
			wantFired(t, c, tc.prop, tc.fires)
			if tc.fires {
				t.Log(c.failures[0])
			}
		})
	}
}
