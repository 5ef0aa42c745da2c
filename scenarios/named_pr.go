package scenarios

import (
	"time"

	"github.com/townsim/townsim/model/reconciler"
)

// prLateComment: reviewers leave an unresolved review comment (without
// requesting changes) on most PRs just as auto-merge is due — right after
// the poll that found the PR green for the whole auto-merge delay, before
// the Town's merge re-reads the feedback (github.late_comment). A third
// of the PRs also wait for an approving review first. Production's merge
// re-checks the feedback and gives up on the comment (reconciler.md §3.4
// step 1); the next poll asks for a feedback bead, a polecat resolves the
// comment, and the PR merges once green again.
func prLateComment() Scenario {
	c := Default()
	c.GitHub.Merge = 2
	c.GitHub.Approval = 1
	c.GitHub.LateComment = 0.6
	c.WorkloadStop = 60 * time.Minute
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "pr-late-comment",
		Purpose: "reviewers comment on most PRs just as auto-merge is due, after its last green poll and before the merge " +
			"re-reads the feedback; a third of the PRs wait for approval first",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
