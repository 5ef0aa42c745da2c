// Package scenarios names townsim scenarios: whole simulation
// configurations (sim.Config) for a fleet, a workload, a fault mix and a
// horizon, ready to run with sim.Run or from the townsim command line.
//
// A scenario is a plain Go value; callers start from a named one and
// change what they need (seed, duration, fleet size), then check it with
// Config.Validate before running it.
package scenarios

import (
	"time"

	"github.com/townsim/townsim/sim"
)

// Default is the scenario `townsim run` starts from: a fault-free town of
// 3 rigs and 10 polecats (the new-town PR strategy with comment reviews and
// a 5-min auto-merge delay) that users keep busy for one simulated hour.
//
// Ten fully busy polecats sit just under the ceiling production's dispatch
// circuit breaker puts on a town (reconciler.md §8.1: 20 beads dispatched
// in 30 minutes and not yet closed): with more, the breaker stays open,
// refineries are no longer dispatched and reviews stop. `townsim run
// --agents 30` shows it.
func Default() sim.Config {
	c := sim.DefaultConfig()
	c.Duration = time.Hour
	c.Rigs = 3
	c.Agents = 10
	return c
}
