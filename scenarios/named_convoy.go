package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
)

// convoySingleTask: convoys of one task each, half of them in
// review-then-land mode (one landing MR after the task merges into the
// feature branch) and half in review-and-merge (closed by the recount or
// CV-8). Production's sling-convoy tool takes any number of tasks from
// one (mayor-tools: tasks.min(1)); the other convoy scenarios sling two
// or more, so a convoy rule that miscounts a convoy of one is never seen.
// As in convoy-tasks-closed-in-review, users close half of the tasks from
// the edit form 5–15 min after creation, often while the task's merge
// request is in review, and a third of the PRs are closed unmerged: a task
// closed with its MR in flight is not counted done by the recount, and
// when that MR fails nothing recounts the convoy, so the convoy rules end
// it themselves — for a review-and-merge convoy CV-8's direct close, which
// the recount otherwise always beats.
func convoySingleTask() Scenario {
	c := landingConvoys()
	c.Workload.ConvoyMinTasks = 1
	c.Workload.ConvoyMaxTasks = 1
	c.Workload.ReviewAndMerge = 0.5
	c.Workload.ConvoysPerHour = 12
	c.Workload.Edit = 0.5
	c.Workload.EditAfter = des.Uniform(5*time.Minute, 15*time.Minute)
	c.Workload.EditClose = 0.8
	c.Work.Refinery = des.Uniform(5*time.Minute, 12*time.Minute)
	c.GitHub.Close = c.GitHub.Merge / 2
	c.Duration = 100 * time.Minute
	return Scenario{
		Name: "convoy-single-task",
		Purpose: "convoys of one task each, half review-then-land (one landing MR), half review-and-merge, tasks often closed " +
			"by users while in review: the convoy rules (CV-7, CV-8) on the smallest convoy production lets the mayor sling",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.CloseConvoy},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
