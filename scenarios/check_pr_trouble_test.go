package scenarios

import (
	"strings"
	"testing"
)

// A feedback bead's title is production's, from the event's flags, PR
// number and repo; its body mentions the PR, the branch, gt_done and
// exactly the things to fix the event asked for.
func TestFeedbackTextMismatch(t *testing.T) {
	body := func(what ...string) string {
		return "Pull request #7 in org/app (branch gt/fix) needs attention: " + strings.Join(what, ", ") +
			". Fix it, push to gt/fix, then finish with gt_done."
	}
	tests := []struct {
		name        string
		title, body string
		ev          []string // comments, failing, unchecked (JSON types), PR number, repo
		bad         bool
	}{
		{"comments only", "Address review comments on PR #7 (app)", body("unresolved review comments"),
			[]string{"true", "false", "false", "7", "org/app"}, false},
		{"failing hides unchecked", "Address review comments & failing CI on PR #7 (app)",
			body("unresolved review comments", "failing CI checks"), []string{"true", "true", "true", "7", "org/app"}, false},
		{"unchecked runs", "Address unchecked CI runs on PR #7 (app)", body("CI check runs that could not all be inspected"),
			[]string{"false", "false", "true", "7", "org/app"}, false},
		{"a flag that is not JSON true", "Address  on PR #7 (app)", body(),
			[]string{"integer", "text", "null", "7", "org/app"}, false},
		{"no repo", "Address failing CI on PR #7", body("failing CI checks"), []string{"false", "true", "false", "7", ""}, false},
		{"title names comments not asked for", "Address review comments & failing CI on PR #7 (app)", body("failing CI checks"),
			[]string{"false", "true", "false", "7", "org/app"}, true},
		{"title without the repo", "Address review comments on PR #7", body("unresolved review comments"),
			[]string{"true", "false", "false", "7", "org/app"}, true},
		{"title with the whole repo path", "Address review comments on PR #7 (org/app)", body("unresolved review comments"),
			[]string{"true", "false", "false", "7", "org/app"}, true},
		{"body omits what to fix", "Address review comments on PR #7 (app)", body(),
			[]string{"true", "false", "false", "7", "org/app"}, true},
		{"body asks for a fix not asked", "Address review comments on PR #7 (app)", body("unresolved review comments", "failing CI checks"),
			[]string{"true", "false", "false", "7", "org/app"}, true},
		{"body without the branch", "Address review comments on PR #7 (app)", "Fix the unresolved review comments of PR #7, then gt_done.",
			[]string{"true", "false", "false", "7", "org/app"}, true},
	}
	for _, tt := range tests {
		why := feedbackTextMismatch(tt.title, tt.body, "gt/fix", tt.ev)
		if (why != "") != tt.bad {
			t.Errorf("%s: mismatch %q, want bad=%v", tt.name, why, tt.bad)
		}
	}
}
