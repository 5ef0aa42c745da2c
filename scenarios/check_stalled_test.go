package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// liveness/stalled-agent-idled fires on an agent left stalled past the
// bound after a stop call, its process gone, over a real run's rows; and
// not when the agent was idled, started again, still runs a live process,
// or the bound has not passed.
func TestStalledIdledFires(t *testing.T) {
	c, db := passedRun(t, "quiet-mayor", 20*time.Minute)
	exec, one := rowsOf(t, db)
	polecat := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	at := c.now
	view := func(d time.Duration, procs ...sim.ProcessView) *tickView {
		c.now = at.Add(d)
		v := &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, w: c.world, db: db, procs: procs,
			byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}}
		for _, p := range procs {
			v.byAgent[p.AgentID] = p
		}
		return v
	}
	stop := model.Call{Kind: model.CallStopAgent, AgentID: polecat}
	start := model.Call{Kind: model.CallStartAgent, AgentID: polecat, Role: model.RolePolecat}
	gone := sim.ProcessView{AgentID: polecat, Role: model.RolePolecat, State: "stopping"}
	live := sim.ProcessView{AgentID: polecat, Role: model.RolePolecat, State: "running", Live: true}
	for _, tc := range []struct {
		name   string
		status string
		run    func(p *stalledIdledProp)
		fires  bool
	}{
		{"stalled past the bound", model.AgentStalled, func(p *stalledIdledProp) {
			p.call(c, stop, model.Result{Err: "network connection lost"}, at)
			p.call(c, stop, model.Result{StatusCode: 200}, at.Add(time.Hour)) // a later stop keeps the first clock
			p.tick(c, view(stalledIdleBound+time.Minute, gone))
		}, true},
		{"idled by then", model.AgentIdle, func(p *stalledIdledProp) {
			p.call(c, stop, model.Result{}, at)
			p.tick(c, view(stalledIdleBound+time.Minute, gone))
		}, false},
		{"started again since", model.AgentStalled, func(p *stalledIdledProp) {
			p.call(c, stop, model.Result{}, at)
			p.call(c, start, model.Result{StatusCode: 200}, at.Add(time.Hour))
			p.tick(c, view(stalledIdleBound+time.Minute, gone))
		}, false},
		{"its process still runs", model.AgentStalled, func(p *stalledIdledProp) {
			p.call(c, stop, model.Result{}, at)
			p.tick(c, view(stalledIdleBound+time.Minute, live))
		}, false},
		{"inside the bound", model.AgentStalled, func(p *stalledIdledProp) {
			p.call(c, stop, model.Result{}, at)
			p.tick(c, view(stalledIdleBound-time.Minute, gone))
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			exec(`UPDATE agent_metadata SET status = ? WHERE bead_id = ?`, tc.status, polecat)
			p := propByName(t, PropStalledIdled).(*stalledIdledProp)
			tc.run(p)
			wantFired(t, c, PropStalledIdled, tc.fires)
		})
	}
}
