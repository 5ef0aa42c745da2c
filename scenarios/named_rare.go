package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// Scenarios for the rare branches of the reconciler: each puts the world
// where production reaches a rule the everyday scenarios never fire.

// longStall: sessions that freeze within minutes while their processes
// keep heartbeating, in a direct-merge town (merge requests without a PR).
// GUPP force-stops a frozen agent 2 h after its last SDK event (stalled,
// stop request, triage request); a frozen refinery leaves its merge
// request in_progress without a PR, and once the stopped refinery is idle
// RQ-2 (30 min stale, no working agent) and RQ-3 (2 min stale, no agent
// hooked) return it to the queue.
func longStall() Scenario {
	c := Default()
	c.Rigs = 1
	c.Agents = 3
	c.Town.MergeStrategy = "direct"
	c.Containers.Healthy = 1
	c.Containers.Stuck.Weight = 3
	c.Containers.Stuck.After = des.Uniform(30*time.Second, 3*time.Minute)
	c.Workload.IssuesPerHour = 3
	c.Workload.Unassigned = 0
	c.WorkloadStop = 40 * time.Minute
	c.Duration = 3 * time.Hour
	return Scenario{
		Name: "long-stall",
		Purpose: "sessions that freeze within minutes and keep heartbeating, in a direct-merge town: GUPP's force stop (2 h), " +
			"a frozen refinery's merge request returned to the queue by RQ-2/RQ-3",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.StopAgent, reconciler.TransitionAgent, reconciler.UnhookAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// startFailures: two of every three container starts answer 503. The
// Town leaves a failed start's agent working (the start may have raced a
// timeout), AG-1 idles it after 90 s without a heartbeat, AG-4 unhooks it
// — clearing its checkpoint when the bead ended meanwhile — and the bead
// rules re-dispatch after the cooldown or fail the bead at five attempts.
func startFailures() Scenario {
	c := Default()
	c.Rigs = 1
	c.Agents = 3
	c.Containers.Start = sim.StartWeights{OK: 1, Error: 2}
	c.WorkloadStop = 40 * time.Minute
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "start-failures",
		Purpose: "two of three container starts answer 503: failed dispatches idled by AG-1, cleaned by AG-4, " +
			"re-dispatched after the cooldown or failed after five attempts",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.ClearAgentCheckpoint, reconciler.UnhookAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// directReviewOff: a direct-merge town (no PRs) whose first two rigs switch
// code review off. Their polecats' merge requests have no PR and no
// refinery will review them: RQ-OR fails each one and returns its issue to
// open, again and again.
func directReviewOff() Scenario {
	c := codeReviewOff().Config
	c.Town.MergeStrategy = "direct"
	c.Duration = time.Hour
	return Scenario{
		Name: "direct-review-off",
		Purpose: "a direct-merge town with code review off on two rigs: RQ-OR fails every PR-less merge request " +
			"there and reopens its issue",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.TransitionBead, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
