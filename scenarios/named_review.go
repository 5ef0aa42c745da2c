package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// landingQueueReviewOff: review-then-land convoys in one rig with code
// review off, finishing often enough that a convoy's landing MR waits
// open while the rig's only refinery lands another one. Users create the
// convoys (tRPC createConvoy / sling); the landing MRs are the system's.
// RQ-FT must leave the waiting PR-less landing MR open (it fast-tracks only
// MRs with a PR to poll) and RQ-5 pops it when the refinery is free.
func landingQueueReviewOff() Scenario {
	c := convoys(0)
	c.Rigs = 1
	c.Workload.ConvoysPerHour = 8
	c.Workload.IssuesPerHour = 2
	c.Town.CodeReviewOffRigs = c.Rigs
	c.Work.Refinery = des.LogNormal(12*time.Minute, 0.3)
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "landing-queue-review-off",
		Purpose: "review-then-land convoys in one rig with code review off: landing MRs queue for the rig's one " +
			"refinery; a waiting PR-less landing MR stays open until RQ-5 pops it",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// prMirrors: gitlab-rig (a GitHub rig and a self-hosted GitLab rig) where
// a third of the polecats report the PR they opened under the URL of a
// mirror they pushed to (`github.mirror`): a GitHub-style URL on another
// forge, a GitLab MR on another GitLab host. No provider of the town polls
// those: production fails each such MR at its first poll for a
// configuration error (unrecognized_url, host_mismatch) and BD-4 reopens
// the issue.
func prMirrors() Scenario {
	s := gitlabRig()
	c := s.Config
	c.GitHub.Mirror = 0.35
	return Scenario{
		Name: "pr-mirrors",
		Purpose: "polecats report a third of their PRs under a mirror's URL no provider of the town polls (another " +
			"forge, another GitLab host): each such MR fails at its first poll for a configuration error",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// triageAgentCrashes: stuck-agents (frozen sessions that GUPP escalates
// into triage requests) where half the triage agents' processes crash 1–3
// min into their run (`containers.triage_crash`): a triage batch is left
// in progress with no live agent, BD-3 resets it to open and BD-1 must
// dispatch it again (its rig makes it dispatchable), or triage stops for
// good.
func triageAgentCrashes() Scenario {
	c := stuckAgents().Config
	c.Containers.TriageCrash = 0.6
	return Scenario{
		Name: "triage-agent-crashes",
		Purpose: "stuck agents raise triage requests and half the triage agents crash within minutes: an abandoned " +
			"triage batch is reset and dispatched again",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.CreateTriageRequest, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// lateAlarmsQuietTown: a small town whose work is done and whose mayor's
// session ended, with merge requests whose PRs wait about half an hour for
// a human's approving review, and a platform whose alarm now and then
// fires 30 s to 10 min late (`clock_step`, one fire in ten). With no agent
// heartbeating, nothing re-arms the alarm early: the Town wakes after a
// gap longer than RQ-3's 2 minutes, and the reviews that have their PR
// must stay in progress (RQ-2 and RQ-3 return only PR-less reviews to the
// queue).
func lateAlarmsQuietTown() Scenario {
	c := Default()
	c.Rigs = 1
	c.Agents = 2
	c.WorkloadStop = time.Minute
	c.Workload.IssuesPerHour = 0.001
	c.Workload.ConvoysPerHour = 0
	c.Workload.HeldPerHour = 0
	c.Work.MayorSession = des.Uniform(10*time.Minute, 20*time.Minute)
	c.GitHub.Merge, c.GitHub.Close, c.GitHub.Comments, c.GitHub.FailingChecks = 0, 0, 0, 0
	c.GitHub.Conflict, c.GitHub.Rejected, c.GitHub.Approval = 0, 0, 1
	c.Faults.Rates = map[string]float64{sim.FaultClockStep: 0.1}
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "late-alarms-quiet-town",
		Purpose: "a quiet town (work done, mayor gone) with PRs awaiting approval and an alarm that fires 30 s–10 min " +
			"late one time in ten: reviews that have their PR wait in progress across the gaps",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// reviewAndMergeReviewOff: two of three rigs switch code review off in a
// town of review-and-merge convoys (each task merges on its own), four an
// hour, beside plain issues. In a rig with code review off a refinery
// reviews only the MRs whose parent is a review-and-merge convoy and the
// landing MRs; every other MR there is fast-tracked (it has a PR) or
// failed (it has none) without one (reconciler.md §2.3, groups 2 and 3),
// also while review-and-merge convoys exist elsewhere in the town. (A
// task's MR tracks its issue and has no parent, so in this world the
// convoy's task MRs take the fast track too.)
func reviewAndMergeReviewOff() Scenario {
	c := convoys(1)
	c.Town.CodeReviewOffRigs = 2
	c.Workload.ConvoysPerHour = 4
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "review-and-merge-review-off",
		Purpose: "two of three rigs switch code review off in a town of review-and-merge convoys: the MRs there " +
			"skip the refinery, also while review-and-merge convoys exist",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
