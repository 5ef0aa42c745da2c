package scenarios

import (
	"time"

	"github.com/townsim/townsim/model/reconciler"
)

// refineryResetMidReview: a direct-merge town (merge requests without a
// PR) for 2 h, where an admin
// force-resets a third of the refineries at a uniform point of a review
// (production's adminForceResetAgent: unhook, then idle). The merge
// request stays in progress with nobody hooked and no PR yet, which is
// what the review queue's abandoned-review rule (RQ-3) exists for: it
// reopens the review 2 min after its last update, and a refinery takes
// it again. The reset refinery's process is not told: it works on and
// reports gt_done for an agent that lost its hook.
func refineryResetMidReview() Scenario {
	c := Default()
	c.Town.MergeStrategy = "direct" // merge requests without a PR: RQ-3's kind
	c.Workload.ResetRefineryMidReview = 0.3
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "refinery-reset-mid-review",
		Purpose: "an admin force-resets reviewing refineries mid-review; their PR-less merge requests are " +
			"left in progress with nobody hooked (RQ-3) while the processes work on",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
