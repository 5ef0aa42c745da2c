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
// 3 rigs and 8 polecats (the new-town PR strategy with comment reviews and
// a 5-min auto-merge delay) that users keep busy for one simulated hour:
// issues slung at the rate that keeps the polecats busy (a tenth created
// unassigned for BD-1 to dispatch), half a convoy and half a held bead an
// hour (half the convoys review-and-merge, half staged, tasks depending on
// the one before half the time), and 5% of issues cancelled.
//
// Eight busy polecats sit under the ceiling production's dispatch circuit
// breaker puts on a town (reconciler.md §8.1: 20 beads dispatched in 30
// minutes and not yet closed); the breaker still opens at times. With many
// more, it stays open, refineries are no longer dispatched and reviews
// stop: `townsim run --agents 30` shows it.
func Default() sim.Config {
	c := sim.DefaultConfig()
	c.Duration = time.Hour
	c.Rigs = 3
	c.Agents = 8
	c.Workload.ConvoysPerHour = 0.5
	c.Workload.ConvoyDepends = 0.5
	c.Workload.ReviewAndMerge = 0.5
	c.Workload.Staged = 0.5
	c.Workload.HeldPerHour = 0.5
	c.Workload.Unassigned = 0.1
	c.Workload.Cancel = 0.05
	c.Workload.CancelFailed = 0.5
	return c
}
