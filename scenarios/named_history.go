package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
)

// The named scenarios added so that production's own bugs
// (mutate/historical.yaml) are reached by some run.

// convoyLandReviewOff: review-then-land convoys in a town whose rigs all
// have code review off. The landing MR a convoy's completion creates is a
// system-created MR without a PR: the orphan cleanup (RQ-OR) must leave
// it alone and RQ-5 must still pop it for a refinery, which opens the
// landing PR (production's fixes in PR #2374).
func convoyLandReviewOff() Scenario {
	c := convoys(0)
	c.Town.CodeReviewOffRigs = c.Rigs
	return Scenario{
		Name: "convoy-land-review-off",
		Purpose: "review-then-land convoys in rigs with code review off: the system-created landing MR is " +
			"popped for a refinery (RQ-5), never failed as an orphan (RQ-OR)",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// slowConflictFixes: every third PR conflicts with its base, its CI
// finishes within two minutes, and the polecat that rebases it takes about
// half an hour: a PR stays dirty long after its checks pass, longer than
// the auto-merge delay. Production resets the auto-merge timer on every
// dirty poll (PR #2374), so no merge call comes while it conflicts.
func slowConflictFixes() Scenario {
	c := Default()
	c.GitHub.Conflict = 1
	c.GitHub.Merge = 2
	c.GitHub.ChecksDelay = des.Uniform(time.Minute, 2*time.Minute)
	c.Work.Fixup = des.LogNormal(30*time.Minute, 0.3)
	c.Duration = 90 * time.Minute
	return Scenario{
		Name: "slow-conflict-fixes",
		Purpose: "PRs that conflict stay dirty for about 30 min after their CI passed (slow rebases), longer than " +
			"the auto-merge delay: no merge call while a PR conflicts",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
