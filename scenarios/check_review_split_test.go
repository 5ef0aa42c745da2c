package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model/reconciler"
)

// safety/review-rules-split-by-pr over the rows of code-review-off (the
// first two rigs override code review off, the third keeps it on): RQ-4
// failing a PR-less review or one of a rig without code review, RQ-1
// polling an MR without a PR or under another URL, merging one nobody
// flagged, RQ-2 or RQ-3 reopening a review whose PR is up, and any of
// them naming an MR not in progress fire; each rule on its own kind of
// review, and actions of other rules, keep it quiet.
func TestReviewSplitFires(t *testing.T) {
	c, db := passedRun(t, "code-review-off", 20*time.Minute)
	exec, one := rowsOf(t, db)
	offRig := one(`SELECT id FROM rigs WHERE json_extract(config, '$.code_review') = 0 ORDER BY name LIMIT 1`)
	onRig := one(`SELECT id FROM rigs WHERE json_extract(config, '$.code_review') IS NULL ORDER BY name LIMIT 1`)
	mr := one(`SELECT b.bead_id FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' ORDER BY b.bead_id LIMIT 1`)
	issue := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	const url = "https://github.com/townsim/rig-1/pull/77"
	withPR := func() {
		exec(`UPDATE beads SET status = 'in_progress', rig_id = ?, metadata = '{}' WHERE bead_id = ?`, onRig, mr)
		exec(`UPDATE review_metadata SET pr_url = ? WHERE bead_id = ?`, url, mr)
	}
	prLess := func() {
		withPR()
		exec(`UPDATE review_metadata SET pr_url = NULL WHERE bead_id = ?`, mr)
	}
	tr := func(rule, id string) reconciler.Action {
		return reconciler.Action{Rule: rule, Type: reconciler.TransitionBead, BeadID: id, From: "in_progress"}
	}
	poll := reconciler.Action{Rule: "RQ-1", Type: reconciler.PollPR, BeadID: mr, PRURL: url}
	merge := reconciler.Action{Rule: "RQ-1", Type: reconciler.MergePR, BeadID: mr, PRURL: url}
	for _, tc := range []struct {
		name   string
		setup  func()
		action reconciler.Action
		fires  bool
	}{
		{"RQ-4 fails a PR review of a rig with code review on", withPR, tr("RQ-4", mr), false},
		{"RQ-1 polls its PR", withPR, poll, false},
		{"RQ-1 merges a flagged PR", func() {
			withPR()
			exec(`UPDATE beads SET metadata = '{"auto_merge_pending":1}' WHERE bead_id = ?`, mr)
		}, merge, false},
		{"RQ-2 reopens a PR-less review", prLess, tr("RQ-2", mr), false},
		{"RQ-3 reopens a PR-less review", prLess, tr("RQ-3", mr), false},
		{"another rule's transition of a PR review", withPR, tr("BD-3", mr), false},
		{"RQ-2's unhook", prLess, reconciler.Action{Rule: "RQ-2", Type: reconciler.UnhookAgent, AgentID: "a"}, false},
		{"RQ-4 fails a PR-less review", prLess, tr("RQ-4", mr), true},
		{"RQ-4 fails a PR review of a rig with code review off", func() {
			withPR()
			exec(`UPDATE beads SET rig_id = ? WHERE bead_id = ?`, offRig, mr)
		}, tr("RQ-4", mr), true},
		{"RQ-4 fails an open PR review", func() {
			withPR()
			exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, mr)
		}, tr("RQ-4", mr), true},
		{"RQ-1 polls a PR-less review", prLess, poll, true},
		{"RQ-1 polls another PR", withPR, reconciler.Action{Rule: "RQ-1", Type: reconciler.PollPR, BeadID: mr, PRURL: url + "1"}, true},
		{"RQ-1 merges an unflagged PR", withPR, merge, true},
		{"RQ-2 reopens a PR review", withPR, tr("RQ-2", mr), true},
		{"RQ-3 reopens a PR review", withPR, tr("RQ-3", mr), true},
		{"RQ-3 reopens an issue", withPR, tr("RQ-3", issue), true},
		{"RQ-2 names a bead that is not there", withPR, tr("RQ-2", "gone"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			p := propByName(t, PropReviewSplitByPR).(*reviewSplitProp)
			got := firedOn(t, PropReviewSplitByPR, func(fc *checker) {
				fc.cfg = c.cfg
				p.reconciled(fc, db, []reconciler.Action{tc.action})
				p.everyTick(fc, nil, nil)
			})
			if got != tc.fires {
				t.Errorf("fired %v, want %v", got, tc.fires)
			}
		})
	}
}
