package scenarios

import (
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
