package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// Scenarios that give the world the behaviour production needs for its
// rarest rules to fire (issue 19, item 3): each is small and short, so
// the suite stays within minutes.

// refineryStartOutage: the refinery's start path fails (503) for the
// first 70 minutes while polecats start, in a quiet town (1.5 issues an
// hour, never stopping). Each merge request's review dispatch fails and
// is retried; the refinery's dispatch attempts add up across merge
// requests (a refinery's start never resets them) while humans merge the
// PRs meanwhile. Once it has five and 30 minutes pass without a dispatch,
// AG-3 resets its counter; after the heal its starts succeed again.
func refineryStartOutage() Scenario {
	c := Default()
	c.Rigs = 1
	c.Agents = 2
	c.Workload.IssuesPerHour = 1.5
	c.Workload.ConvoysPerHour = 0
	c.Workload.HeldPerHour = 0
	c.Workload.Cancel = 0
	c.WorkloadStop = 0
	c.Faults.Rates = map[string]float64{sim.FaultRefineryStartError: 1}
	c.Faults.Heal = 70 * time.Minute
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "refinery-start-outage",
		Purpose: "the refinery's starts answer 503 for 70 min while polecats start: its attempts pile up, " +
			"AG-3 resets them after 30 quiet minutes, its starts succeed after the heal",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.ResetAgentDispatchAttempts, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// slingEvicted: the Durable Object is evicted right after a third of the
// slingBead calls hooked their polecat, before the dispatch they started
// without awaiting ran. The polecat is left idle and hooked to an open
// bead; BD-2 dispatches it on the next tick.
func slingEvicted() Scenario {
	c := Default()
	c.Rigs = 1
	c.Agents = 3
	c.Workload.ConvoysPerHour = 0
	c.Workload.HeldPerHour = 0
	c.Workload.Unassigned = 0
	c.Faults.Rates = map[string]float64{sim.FaultSlingRestart: 0.3}
	c.WorkloadStop = 30 * time.Minute
	c.Duration = time.Hour
	return Scenario{
		Name: "sling-evicted",
		Purpose: "the Town is evicted between slingBead's hook and its fire-and-forget dispatch (3 in 10 slings): " +
			"BD-2 dispatches the idle hooked polecats",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// landingConvoys is a small town of review-then-land convoys (one rig,
// four polecats, short tasks, eight convoys an hour for 40 min).
func landingConvoys() sim.Config {
	c := convoys(0)
	c.Rigs = 1
	c.Agents = 4
	c.Workload.IssuesPerHour = 0.5
	c.Workload.NoInitialFill = true
	c.Workload.MaxOpen = 0
	c.Workload.ConvoysPerHour = 8
	c.Workload.ConvoyDepends = 0
	c.Workload.Cancel = 0
	c.Work.Polecat = des.Uniform(4*time.Minute, 8*time.Minute)
	c.Work.Refinery = des.Uniform(time.Minute, 3*time.Minute)
	c.GitHub.CloseDelay = des.Uniform(5*time.Minute, 10*time.Minute)
	c.WorkloadStop = 40 * time.Minute
	c.Duration = 150 * time.Minute
	return c
}

// landingExhausted: review-then-land convoys whose landing PRs a human
// closes without merging (the feature branch does not land). Each failed
// landing MR is followed by a new one after CV-7's backoff (1, 2, 4, 8
// min); after the fifth the convoy is failed (fail_convoy).
func landingExhausted() Scenario {
	c := landingConvoys()
	c.GitHub.LandingClose = 1
	return Scenario{
		Name: "landing-exhausted",
		Purpose: "review-then-land convoys whose landing PRs are closed unmerged: five landing MRs with backoff, " +
			"then fail_convoy",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.FailConvoy},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// landingRejected: review-then-land convoys in a town where half of the
// PRs wait for an approving review that never comes, until a human
// closes them. A landing MR failed that way still carries
// awaiting_approval, and CV-7 suppresses its respawn (emit_event
// reconciler.respawn_suppressed, every tick: the convoy waits for a
// human).
func landingRejected() Scenario {
	c := landingConvoys()
	c.GitHub.Rejected = 1
	return Scenario{
		Name: "landing-rejected",
		Purpose: "review-then-land convoys whose PRs are often rejected (awaiting approval, then closed): " +
			"CV-7 suppresses a rejected landing MR's respawn (emit_event)",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.EmitEvent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// gcRetention: a tiny town whose work ends within the first hour and
// which then stays idle for a day: GC deletes each idle polecat and the
// refinery 24 h after its last activity (never before).
func gcRetention() Scenario {
	c := Default()
	c.Rigs = 1
	c.Agents = 2
	c.Workload.IssuesPerHour = 4
	c.Workload.ConvoysPerHour = 0
	c.Workload.HeldPerHour = 0
	c.Workload.Cancel = 0
	c.Workload.Unassigned = 0
	c.Work.MayorSession = des.Const(10 * time.Minute)
	c.WorkloadStop = 20 * time.Minute
	c.Duration = 26 * time.Hour
	return Scenario{
		Name:    "gc-retention",
		Purpose: "a tiny town idle for a day after 20 min of work: GC deletes its idle agents 24 h after their last activity",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DeleteAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// gitlabRig: the second of two rigs keeps its repository on a
// self-hosted GitLab (gitlab.example.com, configured as the town's GitLab
// instance with a GitLab token). Its merge requests' PRs are GitLab merge
// requests: production polls their status (the GitLab path of
// checkPRStatus), never fetches feedback or merges them; humans merge.
func gitlabRig() Scenario {
	c := Default()
	c.Rigs = 2
	c.Agents = 4
	c.Workload.ConvoysPerHour = 0
	c.Workload.HeldPerHour = 0
	c.Town.GitLabRigs = 1
	c.Town.GitLabHost = "gitlab.example.com"
	c.WorkloadStop = 40 * time.Minute
	c.Duration = 90 * time.Minute
	return Scenario{
		Name: "gitlab-rig",
		Purpose: "one of two rigs on a self-hosted GitLab: its merge requests are polled through the GitLab path " +
			"(token, instance host) and merged by humans",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// wastelandClaims: three in five issues are slung by the mayor for
// wanted items it claimed on the town's wasteland (production's origin
// tag, metadata.wasteland); the wasteland rule reads and groups them
// every tick.
func wastelandClaims() Scenario {
	c := Default()
	c.Rigs = 1
	c.Agents = 3
	c.Workload.ConvoysPerHour = 0
	c.Workload.HeldPerHour = 0
	c.Workload.Unassigned = 0
	c.Workload.Wasteland = 0.6
	c.WorkloadStop = 40 * time.Minute
	c.Duration = 80 * time.Minute
	return Scenario{
		Name:    "wasteland-claims",
		Purpose: "the mayor slings most issues for claimed wasteland items (metadata.wasteland origin tags)",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
