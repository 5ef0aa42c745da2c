package scenarios

import (
	"time"

	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// prLateChange: on most PRs something that holds the merge back lands
// just as auto-merge is due — right after the poll that found the PR
// green for the whole auto-merge delay, before the Town's merge re-reads
// the feedback (github.late_change): a reviewer's unresolved comment
// (without requesting changes), a review requested again, or CI running
// again. A third of the PRs also wait for an approving review first.
// Production's merge re-checks the feedback and gives up (reconciler.md
// §3.4 step 1); a comment gets a feedback bead, a review or a CI run is
// waited for, and the PR merges once green again. On half the PRs, CI
// also runs again or a review is requested again a few minutes after the
// PR first turned green, or a conflicting base commit lands and is
// reverted, before auto-merge is due (github.early_change):
// production starts the delay over once the PR is green again.
func prLateChange() Scenario {
	c := Default()
	c.GitHub.Merge = 2
	c.GitHub.Approval = 1
	c.GitHub.LateChange = 0.75
	c.GitHub.EarlyChange = 0.5
	c.WorkloadStop = 60 * time.Minute
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "pr-late-change",
		Purpose: "on most PRs a review comment, a new review request or a CI re-run lands just as auto-merge is due, " +
			"after its last green poll and before the merge re-reads the feedback; a third of the PRs wait for approval first; " +
			"on half, CI re-runs or a review is re-requested before auto-merge is due",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// githubTokenRefused: gitlab-rig (a GitHub rig and a rig on a self-hosted
// GitLab) where the providers now and then refuse a PR status call for
// good — 401 (the town's token was revoked or expired), 403 (the token
// lacks the scope, or a secondary rate limit) or 410 (the repository was
// removed), one answer in 21 (github.errors unauthorized, forbidden,
// gone). Production fails the MR at once on such a status (reconciler.md
// §3.3) and tells the user why in the provider's words; BD-4 returns its
// issue, which is worked again.
func githubTokenRefused() Scenario {
	s := gitlabRig()
	c := s.Config
	c.GitHub.Errors = sim.APIErrorWeights{OK: 60, Unauthorized: 1, Forbidden: 1, Gone: 1}
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "github-token-refused",
		Purpose: "gitlab-rig where GitHub and GitLab now and then answer a PR status call with 401, 403 or 410: " +
			"the MR fails at once, with a message in its provider's words",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// conflictsEscalated: a town that escalates merge conflicts to a human
// (refinery.auto_resolve_merge_conflicts false, town.escalate_conflicts)
// where two PRs in three conflict with their base. Production's drain
// then opens a high-severity merge_conflict escalation and a triage
// request for each conflicting MR instead of a conflict bead (model.md
// §5.5 pr_conflict_detected, "Disabled"); nobody rebases in the world, so
// those PRs stay dirty and are polled until the run ends, several at once.
func conflictsEscalated() Scenario {
	c := Default()
	c.Town.EscalateConflicts = true
	c.GitHub.Conflict = 2
	c.GitHub.Merge = 1
	c.WorkloadStop = 40 * time.Minute
	c.Duration = 75 * time.Minute
	return Scenario{
		Name: "conflicts-escalated",
		Purpose: "merge conflicts are escalated to a human (auto_resolve_merge_conflicts false) instead of handed " +
			"to a polecat; two PRs in three conflict and stay dirty, several at once",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
