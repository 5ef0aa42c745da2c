package scenarios

import (
	"time"

	"github.com/townsim/townsim/model/reconciler"
)

// convoySingleTask: convoys of one task each, half of them in
// review-then-land mode (one landing MR after the task merges into the
// feature branch) and half in review-and-merge (closed by the recount or
// CV-8). Production's sling-convoy tool takes any number of tasks from
// one (mayor-tools: tasks.min(1)); the other convoy scenarios sling two
// or more, so a convoy rule that miscounts a convoy of one is never seen.
func convoySingleTask() Scenario {
	c := landingConvoys()
	c.Workload.ConvoyMinTasks = 1
	c.Workload.ConvoyMaxTasks = 1
	c.Workload.ReviewAndMerge = 0.5
	c.Workload.ConvoysPerHour = 12
	c.Duration = 100 * time.Minute
	return Scenario{
		Name: "convoy-single-task",
		Purpose: "convoys of one task each, half review-then-land (one landing MR), half review-and-merge: " +
			"the convoy rules on the smallest convoy production lets the mayor sling",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
