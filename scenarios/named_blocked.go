package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// blockedWhileWorking: users edit issues while agents hold them. Half of
// the issues assigned to an agent are made to wait for another unfinished
// issue (tRPC updateBead with depends_on), a third of those in progress
// are moved back to open (updateBead with status open), half of the
// agents' processes crash within minutes, and the Town is evicted between
// slingBead's hook and its dispatch in 3 of 10 slings (fault
// sling_restart), so idle agents are left hooked to open issues that BD-2
// must dispatch unless a live blocker holds them, and working agents stay
// hooked to open issues that BD-2 must leave alone.
func blockedWhileWorking() Scenario {
	c := Default()
	c.Workload.DependWorking = 0.5
	c.Workload.ReopenWorking = 0.3
	c.Containers.Healthy = 1
	c.Containers.Crashed = sim.Stage{Weight: 1, After: des.Exp(3 * time.Minute)}
	c.Faults.Rates = map[string]float64{sim.FaultSlingRestart: 0.3}
	c.Duration = time.Hour
	return Scenario{
		Name: "blocked-while-working",
		Purpose: "users make issues agents hold wait for other issues or move them back to open; half the " +
			"agents' processes crash and 3 in 10 slings are cut before their dispatch",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
