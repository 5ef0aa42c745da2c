package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// The named scenarios of quiet towns: a mayor that waits for its user,
// and a town whose only work is held issues once the mayor's session
// ended (production's own bugs of GUPP and the alarm cadence,
// mutate/historical.yaml).

// quietMayor: production's mayor answers its user and then waits, its
// session alive (working, heartbeating) but with no SDK event for hours.
// GUPP must leave it alone (PR #1415); a worker whose session freezes
// gives GUPP something to judge beside it.
func quietMayor() Scenario {
	c := sim.DefaultConfig()
	c.Rigs = 1
	c.Agents = 2
	c.Work.MayorQuiet = true
	c.Containers.Stuck = sim.Stage{Weight: 0.5, After: des.Uniform(time.Minute, 5*time.Minute)}
	c.Duration = 45 * time.Minute
	return Scenario{
		Name: "quiet-mayor",
		Purpose: "the mayor waits for its user: working and heartbeating with no SDK event since its session " +
			"started (GUPP must spare it); some workers' sessions freeze",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.SendNudge},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// heldAfterMayor: users hold issues (tRPC createBead with gt:held, started
// 20-40 min later) in a town with no other work: no issue is slung at the
// start and the mayor's session ends within 10 minutes (in this seed the
// container's idle stop at the first tick already ends the mayor's cold
// start: the tick ran while ensureMayor awaited the start call, before the
// mayor was working). While a held issue
// waits, open and unassigned in its rig, the town is active (reconciler.md
// §1.6, PR #2280) and ticks at the 5 s cadence.
func heldAfterMayor() Scenario {
	c := sim.DefaultConfig()
	c.Rigs = 1
	c.Agents = 2
	c.Workload.NoInitialFill = true
	c.Workload.IssuesPerHour = 0.001
	c.Workload.HeldPerHour = 6
	c.Workload.HoldFor = des.Uniform(20*time.Minute, 40*time.Minute)
	c.Work.MayorSession = des.Uniform(5*time.Minute, 10*time.Minute)
	c.WorkloadStop = time.Hour
	c.Duration = 90 * time.Minute
	return Scenario{
		Name: "held-after-mayor",
		Purpose: "a town whose only work is held issues once the mayor's session ended: an open, unassigned " +
			"issue keeps the alarm at the active cadence",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
