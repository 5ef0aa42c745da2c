package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
)

// deletedInReview: the default town where a user deletes 40 % of the
// issues the moment they reach review (workload.delete_in_review), while
// humans close half of the PRs unmerged a few minutes after they open and
// a third of the refineries' reviews fail. The merge request outlives
// its source: its review still ends (merged, closed unmerged, failed),
// and the completion finds no source issue to close or reopen.
func deletedInReview() Scenario {
	c := Default()
	c.GitHub.Close = 1
	c.GitHub.CloseDelay = des.Uniform(3*time.Minute, 12*time.Minute)
	c.Work.ReviewFail = 0.5
	c.Workload.DeleteInReview = 0.4
	c.WorkloadStop = 50 * time.Minute
	c.Duration = 90 * time.Minute
	return Scenario{
		Name: "deleted-in-review",
		Purpose: "users delete 40 % of the issues as they reach review; their merge requests stay, and PRs closed " +
			"unmerged or failed reviews complete them with no source left to reopen",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
