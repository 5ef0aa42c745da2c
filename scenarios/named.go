package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// The named scenarios. Each starts from Default (or the fault-free
// sim.DefaultConfig) and changes what its purpose needs; Expect.Actions
// lists the action types it exists to reach, which its test checks.

// waiting returns the statuses a busy town's issues may still be in when
// a run ends: it never stops creating work. (A fresh slice each time, so
// that changing one scenario changes no other.)
func waiting() []string {
	return []string{model.StatusOpen, model.StatusInProgress, model.StatusInReview}
}

func defaultScenario() Scenario {
	return Scenario{
		Name:    "default",
		Purpose: "the town `townsim run` starts from: fault-free, 3 rigs, 8 busy polecats, convoys, held beads, cancellations",
		Config:  Default(),
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.PollPR, reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func healthySteady() Scenario {
	c := sim.DefaultConfig()
	c.Rigs = 2
	c.Agents = 4
	c.Duration = 2 * time.Hour
	c.WorkloadStop = 80 * time.Minute
	return Scenario{
		Name:    "healthy-steady",
		Purpose: "a fault-free town of 4 polecats in steady state for 80 min, then 40 min to finish its work",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.PollPR, reconciler.MergePR},
			Bounds:  Bounds{Settle: 40 * time.Minute, Starvation: time.Hour},
		},
	}
}

func coldStartStorm() Scenario {
	c := Default()
	c.Agents = 16
	c.Containers.Boot = des.Uniform(20*time.Second, 60*time.Second)
	c.Containers.ColdStart = des.Uniform(60*time.Second, 150*time.Second)
	c.Duration = time.Hour
	return Scenario{
		Name:    "cold-start-storm",
		Purpose: "16 polecats start at once with cold starts of 60-150 s, past AG-1's 90 s heartbeat limit",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.TransitionAgent, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func crashLoops() Scenario {
	c := Default()
	c.Containers.Healthy = 1
	c.Containers.Crashed = sim.Stage{Weight: 4, After: des.Exp(2 * time.Minute)}
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "crash-loops",
		Purpose: "four in five agent processes crash within minutes: re-dispatch, attempt caps, beads failed",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.TransitionAgent, reconciler.TransitionBead, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func evictionDrain() Scenario {
	c := Default()
	c.Containers.Healthy = 8
	c.Containers.Evicted = sim.Stage{Weight: 1, After: des.Exp(10 * time.Minute)}
	c.Containers.EvictionGrace = des.Uniform(5*time.Second, 30*time.Second)
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "eviction-drain",
		Purpose: "the container is evicted now and then (SIGTERM, 5-30 s grace): drain, re-boot, re-dispatch",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.TransitionBead},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func longDrain() Scenario {
	c := Default()
	c.Containers.Healthy = 8
	c.Containers.Evicted = sim.Stage{Weight: 1, After: des.Exp(10 * time.Minute)}
	c.Containers.EvictionGrace = des.Uniform(2*time.Minute, 6*time.Minute)
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "long-drain",
		Purpose: "evictions whose grace lasts 2-6 min: a drain longer than 90 s, heartbeats stopped meanwhile",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func containerOutage() Scenario {
	c := Default()
	c.Containers.Healthy = 30
	c.Containers.Evicted = sim.Stage{Weight: 1, After: des.Exp(20 * time.Minute)}
	c.Containers.EvictionGrace = des.Uniform(5*time.Second, 30*time.Second)
	c.Containers.Boot = des.Uniform(30*time.Minute, 90*time.Minute)
	c.Duration = 4 * time.Hour
	return Scenario{
		Name:    "container-outage",
		Purpose: "an evicted container takes 30-90 min to come back (every call to it waits), then work resumes",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func githubOutage() Scenario {
	c := Default()
	c.GitHub.Errors = sim.APIErrorWeights{OK: 1, ServerError: 3, RateLimited: 2, Network: 2}
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "github-outage",
		Purpose: "GitHub answers most status and feedback calls with 502, 429 or a network error",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func reviewFeedbackLoops() Scenario {
	c := Default()
	c.Town.ReviewMode = "comments"
	c.Work.RequestChanges = 1
	c.GitHub.Merge = 1
	c.GitHub.Comments = 1
	c.GitHub.FailingChecks = 1
	c.GitHub.Conflict = 1
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "review-feedback-loops",
		Purpose: "reviews request changes and PRs get comments, failing checks and conflicts: feedback beads",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func reworkLoops() Scenario {
	c := Default()
	c.Town.ReviewMode = "rework"
	c.Work.Approve = 1
	c.Work.RequestChanges = 1
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "rework-loops",
		Purpose: "refineries in rework mode request changes on half the reviews: rework beads block their MRs",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.TransitionBead},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// convoys is Default with a convoy-heavy workload in one merge mode.
func convoys(reviewAndMerge float64) sim.Config {
	c := Default()
	c.Agents = 6
	c.Workload.IssuesPerHour = 4
	c.Workload.ConvoysPerHour = 3
	c.Workload.ConvoyMinTasks = 2
	c.Workload.ConvoyMaxTasks = 3
	c.Workload.ConvoyDepends = 0.5
	c.Workload.ReviewAndMerge = reviewAndMerge
	c.Workload.Staged = 0
	c.Workload.HeldPerHour = 0
	c.Duration = 3 * time.Hour
	return c
}

func convoyReviewThenLand() Scenario {
	return Scenario{
		Name:    "convoy-review-then-land",
		Purpose: "convoys in review-then-land mode: tasks merge into a feature branch, then a landing MR lands it",
		Config:  convoys(0),
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func convoyReviewAndMerge() Scenario {
	return Scenario{
		Name:    "convoy-review-and-merge",
		Purpose: "convoys in review-and-merge mode: every task merges on its own, the convoy closes without landing",
		Config:  convoys(1),
		Expect: Expect{
			Actions: []string{reconciler.MergePR, reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func heldAndBlocked() Scenario {
	c := Default()
	c.Workload.HeldPerHour = 4
	c.Workload.HoldFor = des.Uniform(30*time.Minute, 3*time.Hour)
	c.Workload.ConvoysPerHour = 2
	c.Workload.ConvoyDepends = 1
	c.Workload.Staged = 1
	c.Workload.StartDelay = des.Uniform(30*time.Minute, 2*time.Hour)
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "held-and-blocked",
		Purpose: "held beads and staged convoys of chained tasks wait for hours; the town stays on its active cadence",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func cancellations() Scenario {
	c := Default()
	c.Workload.Cancel = 0.4
	c.Workload.CancelFailed = 0.5
	c.Workload.CancelAfter = des.Uniform(time.Minute, 20*time.Minute)
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "cancellations",
		Purpose: "users close or fail 40% of their issues while agents work on them",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.UnhookAgent, reconciler.StopAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func stuckAgents() Scenario {
	c := Default()
	c.Agents = 4
	c.Containers.Healthy = 1
	c.Containers.Stuck = sim.Stage{Weight: 2, After: des.Uniform(time.Minute, 5*time.Minute)}
	c.Duration = 3 * time.Hour
	return Scenario{
		Name:    "stuck-agents",
		Purpose: "agents whose sessions freeze while heartbeating: GUPP's warn (15 min), escalate (1 h) and force stop (2 h)",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.SendNudge, reconciler.CreateTriageRequest, reconciler.StopAgent,
				reconciler.TransitionAgent},
			Bounds: Bounds{NonTerminal: waiting()},
		},
	}
}

func idleTown() Scenario {
	c := sim.DefaultConfig()
	c.Rigs = 1
	c.Agents = 2
	c.WorkloadStop = time.Minute
	c.Workload.IssuesPerHour = 0.001
	c.Work.MayorSession = des.Uniform(10*time.Minute, 20*time.Minute)
	c.Duration = 4 * time.Hour
	return Scenario{
		Name:    "idle-town",
		Purpose: "two issues at the start, then nothing for hours and the mayor's session ends: the tick falls to the idle cadence",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{Settle: 2 * time.Hour},
		},
	}
}

func freshTown() Scenario {
	c := sim.DefaultConfig()
	c.Rigs = 1
	c.Agents = 4
	c.Town.GitHubToken = sim.TokenNone
	c.Town.NoKilocodeToken = true
	c.Duration = time.Hour
	return Scenario{
		Name: "fresh-town",
		Purpose: "a brand-new production town: no GitHub token, so every merge request's first PR poll fails " +
			"with no_token and its issue is reworked; no kilocode token, so ensureMayor defers the mayor's start",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.TransitionBead},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func swarm() Scenario {
	c := sim.DefaultConfig()
	c.Rigs = 2
	c.Agents = 4
	c.Faults.Swarm = true
	c.Faults.Heal = 40 * time.Minute
	c.WorkloadStop = 40 * time.Minute
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "swarm",
		Purpose: "the seed draws about half of all fault kinds, code and world, at swarm rates; they stop at 40 min and the town recovers",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func townDeleted() Scenario {
	c := sim.DefaultConfig()
	c.Rigs = 1
	c.Agents = 3
	c.Workload.DestroyAfter = 20 * time.Minute
	c.Duration = time.Hour
	return Scenario{
		Name:    "town-deleted",
		Purpose: "a busy town deleted by its user after 20 minutes: the alarm is gone and it never ticks again",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func prAwaitingApproval() Scenario {
	c := Default()
	c.GitHub.Merge = 0
	c.GitHub.Approval = 1
	c.GitHub.ApprovalDelay = des.LogNormal(3*time.Hour, 0.4)
	c.Duration = 4 * time.Hour
	return Scenario{
		Name:    "pr-awaiting-approval",
		Purpose: "every PR waits hours for a human approval; the MRs poll, flagged awaiting approval",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func autoMergeOff() Scenario {
	c := Default()
	c.Town.NoAutoMerge = true
	c.GitHub.MergeDelay = des.LogNormal(2*time.Hour, 0.5)
	c.Duration = 4 * time.Hour
	return Scenario{
		Name:    "auto-merge-off",
		Purpose: "auto-merge is off: green PRs wait hours for a human to merge them; merge_pr never runs",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// autoMergeFlagOff: auto-merge-off where the town turns auto-merge off by
// its flag (refinery.auto_merge false) and keeps the 5-minute delay: the
// Town must neither merge a green PR by itself nor count it down.
func autoMergeFlagOff() Scenario {
	s := autoMergeOff()
	c := s.Config
	c.Town.NoAutoMerge = false
	c.Town.AutoMergeFlagOff = true
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "auto-merge-flag-off",
		Purpose: "auto-merge is off by refinery.auto_merge with the delay still set: green PRs wait for a human; merge_pr never runs",
		Config:  c,
		Expect:  s.Expect,
	}
}

func mergesFailing() Scenario {
	c := Default()
	c.GitHub.MergeFail = 1
	c.GitHub.MergeDelay = des.LogNormal(3*time.Hour, 0.5)
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "merges-failing",
		Purpose: "every merge call fails although the PR is green: auto-merge retries every tick",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func landingMRFailing() Scenario {
	c := convoys(0)
	c.Work.Approve = 1
	c.Work.ReviewFail = 3
	c.Duration = 4 * time.Hour
	return Scenario{
		Name:    "landing-mr-failing",
		Purpose: "review-then-land convoys whose reviews mostly fail: landing MRs fail, retry with backoff, convoys fail",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.TransitionBead},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func lateExitReports() Scenario {
	c := Default()
	c.Work.DoneToCompleted = des.Uniform(2*time.Minute, 15*time.Minute)
	c.Faults.Rates = map[string]float64{sim.FaultLateDone: 0.3}
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "late-exit-reports",
		Purpose: "exit reports come 2-15 min after gt_done, or gt_done (30%, late_done) 1-10 min after the exit report",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func largeFleet() Scenario {
	c := Default()
	c.Rigs = 10
	c.Agents = 150
	c.Duration = time.Hour
	return Scenario{
		Name:    "large-fleet",
		Purpose: "150 polecats on 10 rigs: the dispatch breaker opens and stays open, tick cost grows",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.NotifyMayor, reconciler.TransitionAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func codeReviewOff() Scenario {
	c := Default()
	c.Town.CodeReviewOffRigs = 2
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "code-review-off",
		Purpose: "two of three rigs switch code review off: their MRs are fast-tracked to PR polling, no refinery",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.TransitionBead, reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// townReviewOff: code review is off in the town's own settings (the
// refinery's code_review), not in any rig's override, so every rig takes
// the town's value (reconciler.md: a rig's override, else the town's
// setting, else on). As in code-review-off, RQ-FT fast-tracks each MR
// with a PR to polling and no refinery reviews it.
func townReviewOff() Scenario {
	c := Default()
	c.Town.CodeReviewOff = true
	c.Duration = 90 * time.Minute
	return Scenario{
		Name:    "town-review-off",
		Purpose: "code review off in the town's settings and in no rig's override: every rig's MRs are fast-tracked to PR polling, no refinery",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.TransitionBead, reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func triageStartFails() Scenario {
	c := stuckAgents().Config
	c.Containers.TriageStartFail = 1
	return Scenario{
		Name:    "triage-start-fails",
		Purpose: "stuck agents raise triage requests, and every start of the triage agent fails with 503",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.CreateTriageRequest, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

func beadsDeleted() Scenario {
	c := Default()
	c.Workload.Delete = 0.2
	c.Workload.DeleteAfter = des.Uniform(10*time.Second, 20*time.Minute)
	c.Workload.DeleteOnDone = 0.2
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "beads-deleted",
		Purpose: "users delete 20% of their issues while agents work on them, and 20% as the agent reports done (events pending)",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// githubFlaky: GitHub answers about half of the status and feedback calls
// with a mix of transient errors and unparsable bodies, for the whole run,
// with normal answers in between: production's poll-error counters count
// consecutive errors of one class, so such a town fails no MR for errors
// that never ran long enough (RQ-1's transient and invalid thresholds).
func githubFlaky() Scenario {
	c := Default()
	c.GitHub.Errors = sim.APIErrorWeights{OK: 4, ServerError: 1, RateLimited: 1, Invalid: 1, WrongShape: 1}
	c.Duration = 2 * time.Hour
	return Scenario{
		Name:    "github-flaky",
		Purpose: "GitHub answers about half of the status and feedback calls with 502, 429 or an unparsable body, interleaved with normal answers",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
