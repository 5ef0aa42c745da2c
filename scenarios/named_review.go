package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
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
