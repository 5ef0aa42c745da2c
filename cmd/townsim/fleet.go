package main

import (
	"fmt"
	"io"
	"time"
)

// MaxAgents is the largest fleet `townsim run` accepts. Measured on two
// shared cores (README, "Fleet size"), a simulated minute costs about 3.5 ms
// of wall time per agent up to 400 agents and grows faster beyond (7 ms
// per agent at 1,600, where a tick takes up to 3 s): 10,000 agents would
// take well over an hour for the default hour, most of it in single ticks
// that cannot be interrupted.
const MaxAgents = 10_000

// costPerAgentMinute is the measured wall time of one agent for one
// simulated minute at a few hundred agents: a lower bound for larger
// fleets, whose cost per agent grows.
const costPerAgentMinute = 3500 * time.Microsecond

// warnAfter is the estimated wall time above which a run warns.
const warnAfter = 2 * time.Minute

// estimateWall is a lower bound of a run's wall time.
func estimateWall(agents int, d time.Duration) time.Duration {
	return time.Duration(float64(agents) * d.Minutes() * float64(costPerAgentMinute))
}

// checkFleet refuses a fleet over MaxAgents and warns on stderr about a run
// estimated to take longer than warnAfter.
func checkFleet(agents int, d time.Duration, stderr io.Writer) error {
	if agents > MaxAgents {
		return fmt.Errorf("--agents: %d is over the limit of %d (measured: about %v of wall time per agent per simulated minute at a few hundred agents, growing with the fleet; %d agents for %s would take at least %s)",
			agents, MaxAgents, costPerAgentMinute, agents, d, estimateWall(agents, d).Round(time.Minute))
	}
	if est := estimateWall(agents, d); est > warnAfter {
		fmt.Fprintf(stderr, "townsim run: warning: --agents %d for %s will take at least %s of wall time (about %v per agent per simulated minute, more for large fleets); Ctrl-C stops it\n",
			agents, d, est.Round(time.Second), costPerAgentMinute)
	}
	return nil
}
