package sim

import (
	"github.com/townsim/townsim/des"
)

// GitHubConfig describes pull requests and the GitHub API.
type GitHubConfig struct {
	// Org is the owner of every rig's repository.
	Org string `yaml:"org"`
	// Outcome weights of a new PR: Merge (a human merges it once green),
	// Close (a human closes it), Comments (review comments to resolve
	// first), FailingChecks (CI fails until fixed), Approval (waits for an
	// approving review), Conflict (merge conflicts until resolved),
	// Rejected (waits for an approving review that never comes; a human
	// closes it after CloseDelay).
	Merge         float64 `yaml:"merge"`
	Close         float64 `yaml:"close"`
	Comments      float64 `yaml:"comments"`
	FailingChecks float64 `yaml:"failing_checks"`
	Approval      float64 `yaml:"approval"`
	Conflict      float64 `yaml:"conflict"`
	Rejected      float64 `yaml:"rejected"`
	// MergeDelay is how long after a PR is green a human merges it.
	MergeDelay des.Dist `yaml:"merge_delay"`
	// CloseDelay is how long after creation a human closes a PR.
	CloseDelay des.Dist `yaml:"close_delay"`
	// ChecksDelay is CI's run time after each push.
	ChecksDelay des.Dist `yaml:"checks_delay"`
	// ApprovalDelay is how long an Approval PR waits for its review.
	ApprovalDelay des.Dist `yaml:"approval_delay"`
	// Errors weigh the answers of status and feedback calls.
	Errors APIErrorWeights `yaml:"errors"`
	// NotFoundDeletes makes a 404 status answer true: the PR was deleted
	// (its branch or repository removed), so the world closes it unmerged
	// when it answers 404. The zero value answers 404 for a PR that lives on.
	NotFoundDeletes bool `yaml:"not_found_deletes"`
	// LandingClose is the probability that a human closes the PR of a
	// convoy's landing MR (the feature branch into the default branch)
	// after CloseDelay without merging it, instead of its drawn fate.
	LandingClose float64 `yaml:"landing_close"`
	// LateConflict is the fraction of the feedback beads on PRs drawn
	// with review comments during whose work the PR's target branch
	// moves: halfway through the polecat's work the PR turns dirty (merge
	// conflicts) until a push resolves them. Production's poll then
	// reports the conflict on an MR whose feedback bead is still open, and
	// the Town marks that bead has_conflicts for its polecat (the world's
	// polecat resolves the conflicts when its bead says so as it
	// finishes). Nothing is drawn while it is 0.
	LateConflict float64 `yaml:"late_conflict"`
	// MergeFail is the probability that a merge call fails although the
	// PR is mergeable.
	MergeFail float64 `yaml:"merge_fail"`
	// Mirror is the probability that a polecat reports the PR it opened
	// under the URL of a mirror it pushed to, which no provider of the
	// town polls: a GitHub-style PR URL on another host (production:
	// unrecognized_url) for a GitHub rig, a GitLab MR URL on another
	// GitLab host (host_mismatch, or no_token without a GitLab token) for
	// a GitLab rig. The PR itself is opened and decided as usual.
	Mirror float64 `yaml:"mirror"`
	// Fork is the probability that a polecat opens the PR for its issue
	// in another repository on the rig's own forge: the same repository
	// name under the organisation's fork (<org>-fork), numbered on its
	// own. Every provider of the town polls it like any PR (production
	// checks only the host), humans decide it as drawn, and merge_pr's
	// repository check must refuse to merge it. Drawn from its own
	// stream, only when on.
	Fork float64 `yaml:"fork"`
	// ManyChecks is the probability that a new PR's CI runs more check
	// runs than one page of GitHub's check-runs listing holds (over 100):
	// a feedback answer then reports unchecked runs (production reads only
	// the first page) and never that all checks pass, whatever CI's
	// outcome; humans, who see every run, merge it as usual. Drawn from
	// its own stream, only when on.
	ManyChecks float64 `yaml:"many_checks"`
	// LateChange is the probability that something that holds a merge
	// back lands on a PR just as auto-merge is due: right after a feedback
	// answer that found the PR green for at least the town's auto-merge
	// delay, once per PR, one of three, equally likely: a reviewer's
	// unresolved comment (no change request), a review requested again
	// (an approval is needed after ApprovalDelay), or CI running again
	// (for ChecksDelay). The Town's merge then meets it in its own
	// re-check of the feedback. Drawn from its own stream, only when on.
	LateChange float64 `yaml:"late_change"`
	// HandMergeAtDelay is the probability that, once per PR, just as
	// auto-merge is due (at a feedback answer that found it green for the
	// town's auto-merge delay), a human merges the PR by hand and closes
	// its merge request in the Town's UI (tRPC updateBeadStatus closed)
	// before the answer reaches the Town: the poll that asked goes on for
	// a merge request that is closed. Nothing is drawn while it is 0.
	HandMergeAtDelay float64 `yaml:"hand_merge_at_delay"`
	// EarlyChange is the probability that, once per PR, something holds
	// its merge back for a while before auto-merge is due: at the first
	// feedback answer that finds the PR green, a change is drawn to land
	// between a fifth and three fifths of the town's auto-merge delay
	// later (if the PR is still open and green then): CI running again
	// (for ChecksDelay, a re-run or a trivial push), a review requested
	// again (an approval needed after ApprovalDelay), or a conflicting
	// commit on the base branch that is reverted 90 s to 3 min later (the
	// PR is dirty meanwhile and clean again without a push), equally
	// likely. The PR turns green again by itself; production starts the
	// delay over (reconciler.md §3.3 steps 5 and 11). Drawn from its own
	// stream, only when on.
	EarlyChange float64 `yaml:"early_change"`
}

// APIErrorWeights weigh the answers of a GitHub API call.
type APIErrorWeights struct {
	// OK is a normal answer.
	OK float64 `yaml:"ok"`
	// ServerError is a transient 502.
	ServerError float64 `yaml:"server_error"`
	// RateLimited is a transient 429.
	RateLimited float64 `yaml:"rate_limited"`
	// NotFound is a 404 (non-transient: the MR fails at once).
	NotFound float64 `yaml:"not_found"`
	// Invalid is an unparsable body (invalid_response, json_parse).
	Invalid float64 `yaml:"invalid"`
	// WrongShape is a JSON body of the wrong shape (invalid_response,
	// schema_mismatch, its top-level keys in the failure message).
	WrongShape float64 `yaml:"wrong_shape"`
	// Network is a thrown fetch error.
	Network float64 `yaml:"network"`
	// Unauthorized is a 401 (the token was revoked or expired;
	// non-transient: the MR fails at once).
	Unauthorized float64 `yaml:"unauthorized"`
	// Forbidden is a 403 (the token lacks the scope, or a secondary rate
	// limit; non-transient: the MR fails at once).
	Forbidden float64 `yaml:"forbidden"`
	// Gone is a 410 (the repository was removed; non-transient: the MR
	// fails at once).
	Gone float64 `yaml:"gone"`
}
