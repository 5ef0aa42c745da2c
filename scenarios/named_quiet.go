package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
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

// stopNeverTakes: sessions freeze (the stuck stage) and a stop never
// takes on a frozen session (fault stop_ignored: the SDK's abort hangs,
// the container keeps the agent stopping and silent). The triage agent
// escalates stuck agents to the mayor rather than restarting them, so
// GUPP's force stop (2 h) leaves the agent stalled and only AG-2 idles it,
// 2.5 h later (PR #2830). Work keeps arriving, so the town stays active
// and its container up (an idle stop would end the process and T4 idle
// the agent sooner).
func stopNeverTakes() Scenario {
	c := sim.DefaultConfig()
	c.Rigs = 1
	c.Agents = 3
	c.Containers.Stuck = sim.Stage{Weight: 0.3, After: des.Uniform(time.Minute, 10*time.Minute)}
	c.Faults.Rates = map[string]float64{sim.FaultStopIgnored: 1}
	c.Work.Triage.StuckAgent = model.TriageEscalateToMayor
	c.Duration = 5 * time.Hour
	return Scenario{
		Name: "stop-never-takes",
		Purpose: "frozen sessions whose stop never takes (stop_ignored) and a triage agent that escalates stuck " +
			"agents to the mayor: GUPP's force stop leaves them stalled until AG-2 idles them 2.5 h later",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.StopAgent, reconciler.TransitionAgent, reconciler.UnhookAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// restartStopLost: sessions freeze (the stuck stage) and the triage agent
// answers GUPP's escalation (1 h) with RESTART_WITH_BACKOFF, which asks the
// container to stop the agent and marks it idle with a fresh activity
// stamp, keeping its hook; every stop call is lost on the way (fault
// stop_lost), so the session lives on, heartbeating, idle in the Town
// until its next heartbeat makes it working again. AG-4 must leave the hook
// of that live session alone (its activity is fresh: PR #3151).
func restartStopLost() Scenario {
	c := sim.DefaultConfig()
	c.Rigs = 1
	c.Agents = 3
	c.Containers.Stuck = sim.Stage{Weight: 0.5, After: des.Uniform(time.Minute, 5*time.Minute)}
	c.Faults.Rates = map[string]float64{sim.FaultStopLost: 1}
	c.Work.Triage.StuckAgent = model.TriageRestartWithBackoff
	c.Duration = 80 * time.Minute
	return Scenario{
		Name: "restart-stop-lost",
		Purpose: "the triage agent restarts stuck agents with backoff but the stop call is lost (stop_lost): the " +
			"session lives on, idle and hooked in the Town with a fresh activity stamp; AG-4 keeps its hook",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.SendNudge, reconciler.CreateTriageRequest},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
