package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// safety/redispatch-spares-working-agent fires on a BD-2 dispatch of an
// agent whose process kept working on that bead, heartbeating, across the
// tick; not when the process froze, finished, stopped heartbeating, was
// replaced, works on another bead, or for BD-1 and a heartbeat fault.
func TestRedispatchSparesWorkingFires(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	base := sim.ProcessView{AgentID: "agent-1", BeadID: "bead-1", Role: model.RolePolecat, State: "running", Live: true,
		Started: t0.Add(-5 * time.Minute), LastHeartbeat: t0.Add(-10 * time.Second)}
	for _, tc := range []struct {
		name  string
		rule  string
		bead  string
		after func(p sim.ProcessView) sim.ProcessView // the process at the dispatch tick's end
		fault bool
		fires bool
	}{
		{"working across the tick", "BD-2", "bead-1", func(p sim.ProcessView) sim.ProcessView { return p }, false, true},
		{"cold start", "BD-2", "bead-1", func(p sim.ProcessView) sim.ProcessView { p.State = "cold_start"; return p }, false, true},
		{"BD-1", "BD-1", "bead-1", func(p sim.ProcessView) sim.ProcessView { return p }, false, false},
		{"another bead", "BD-2", "bead-2", func(p sim.ProcessView) sim.ProcessView { return p }, false, false},
		{"it froze", "BD-2", "bead-1", func(p sim.ProcessView) sim.ProcessView { p.Stuck = true; return p }, false, false},
		{"it finished", "BD-2", "bead-1", func(p sim.ProcessView) sim.ProcessView { p.Finished = true; return p }, false, false},
		{"it exited", "BD-2", "bead-1", func(p sim.ProcessView) sim.ProcessView { p.State, p.Live = "exited", false; return p }, false, false},
		{"replaced", "BD-2", "bead-1", func(p sim.ProcessView) sim.ProcessView { p.Started = t0.Add(5 * time.Second); return p }, false, false},
		{"silent", "BD-2", "bead-1", func(p sim.ProcessView) sim.ProcessView { p.LastHeartbeat = t0.Add(-2 * time.Minute); return p }, false, false},
		{"heartbeat fault", "BD-2", "bead-1", func(p sim.ProcessView) sim.ProcessView { return p }, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fired := firedOn(t, PropRedispatchSparesWorking, func(c *checker) {
				p := propByName(t, PropRedispatchSparesWorking).(*redispatchSparesWorkingProp)
				c.now = t0
				p.tick(c, &tickView{procs: []sim.ProcessView{base}})
				c.tickStart, c.now = t0.Add(time.Second), t0.Add(5*time.Second)
				if tc.fault {
					c.faultTimes[sim.FaultHeartbeatLost] = append(c.faultTimes[sim.FaultHeartbeatLost], t0.Add(2*time.Second))
				}
				p.action(c, reconciler.Action{Rule: tc.rule, Type: reconciler.DispatchAgent, AgentID: "agent-1", BeadID: tc.bead},
					&tickView{procs: []sim.ProcessView{tc.after(base)}})
			})
			if fired != tc.fires {
				t.Errorf("fired %v; want %v", fired, tc.fires)
			}
		})
	}
}
