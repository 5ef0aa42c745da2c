package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// reviewOffCase is one case of the review-off property tests: a change
// to the rows, the town's own code_review setting, the action judged and
// whether it must fire.
type reviewOffCase struct {
	name    string
	setup   func()
	townOff bool
	action  reconciler.Action
	fires   bool
}

// reviewOffRows reads a code-review-off run's rig whose override turns code
// review off and one without an override, and adds an open review-then-land
// convoy ("convoy-by-hand") for cases to make a merge request's parent.
func reviewOffRows(exec func(q string, args ...any), one func(q string, args ...any) string) (offRig, onRig, convoy string) {
	offRig = one(`SELECT id FROM rigs WHERE json_extract(config, '$.code_review') = 0 ORDER BY name LIMIT 1`)
	onRig = one(`SELECT id FROM rigs WHERE json_extract(config, '$.code_review') IS NULL ORDER BY name LIMIT 1`)
	convoy = "convoy-by-hand"
	exec(`INSERT INTO beads (bead_id, type, status, title, created_at, updated_at)
		VALUES (?, 'convoy', 'open', 'a convoy', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`, convoy)
	exec(`INSERT INTO convoy_metadata (bead_id, merge_mode) VALUES (?, 'review-then-land')`, convoy)
	return offRig, onRig, convoy
}

// review-off-pops-only-system-work over the rows of code-review-off (the
// first two rigs override code review off, the third keeps it on): an
// RQ-5 pop of a polecat's MR in a rig with code review off fires, by the
// rig's override or, in a rig without one, by the town's setting; a
// landing MR, a review-and-merge child, a rig with code review on and
// another rule's transition keep it quiet.
func TestReviewOffPopsFires(t *testing.T) {
	c, db := passedRun(t, "code-review-off", 20*time.Minute)
	exec, one := rowsOf(t, db)
	offRig, onRig, convoy := reviewOffRows(exec, one)
	mr := one(`SELECT bead_id FROM beads WHERE type = 'merge_request' AND created_by != 'system' ORDER BY bead_id LIMIT 1`)
	exec(`UPDATE beads SET parent_bead_id = NULL WHERE bead_id = ?`, mr)
	pop := reconciler.Action{Rule: "RQ-5", Type: reconciler.TransitionBead, BeadID: mr}
	for _, tc := range []reviewOffCase{
		{"a polecat's MR popped in a rig whose override is off", func() { exec(`UPDATE beads SET rig_id = ? WHERE bead_id = ?`, offRig, mr) }, false, pop, true},
		{"a landing MR popped there", func() { exec(`UPDATE beads SET created_by = 'system' WHERE bead_id = ?`, mr) }, false, pop, false},
		{"a review-and-merge child popped there", func() {
			exec(`UPDATE beads SET created_by = 'polecat', parent_bead_id = ? WHERE bead_id = ?`, convoy, mr)
			exec(`UPDATE convoy_metadata SET merge_mode = 'review-and-merge' WHERE bead_id = ?`, convoy)
		}, false, pop, false},
		{"a child of a review-then-land convoy popped there", func() {
			exec(`UPDATE convoy_metadata SET merge_mode = 'review-then-land' WHERE bead_id = ?`, convoy)
		}, false, pop, true},
		{"a polecat's MR popped in a rig with code review on", func() {
			exec(`UPDATE beads SET parent_bead_id = NULL, rig_id = ? WHERE bead_id = ?`, onRig, mr)
		}, false, pop, false},
		{"the same rig, its town's code review off", func() {}, true, pop, true},
		{"RQ-FT's transition in that town", func() {}, true, reconciler.Action{Rule: "RQ-FT", Type: reconciler.TransitionBead, BeadID: mr}, false},
		{"RQ-5's dispatch action (judged by its transition)", func() {}, true, reconciler.Action{Rule: "RQ-5", Type: reconciler.DispatchAgent, BeadID: mr}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			c.failures, c.seen = nil, map[string]bool{}
			c.cfg.Town.CodeReviewOff = tc.townOff
			p := propByName(t, PropReviewOffPops).(*reviewOffPopsProp)
			p.action(c, tc.action, &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{Ran: true},
				w: c.world, db: db, byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}})
			wantFired(t, c, PropReviewOffPops, tc.fires)
		})
	}
}

// safety/review-off-rules-only-where-off fires when RQ-FT or RQ-OR moves a
// merge request of a rig whose code review is on (by its override, or by
// the town's setting where it has none), a bead that is not a merge
// request, a PR-less MR fast-tracked or an MR with a PR failed as
// PR-less, a child of a review-and-merge convoy moved by either, a landing
// MR (created by the system) failed by RQ-OR; RQ-OR's reopening of the
// source issue is not judged.
func TestReviewOffRulesFire(t *testing.T) {
	c, db := passedRun(t, "code-review-off", 20*time.Minute)
	exec, one := rowsOf(t, db)
	offRig, onRig, convoy := reviewOffRows(exec, one)
	mr := one(`SELECT b.bead_id FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND rm.pr_url IS NOT NULL ORDER BY b.bead_id LIMIT 1`)
	issue := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	url := one(`SELECT pr_url FROM review_metadata WHERE bead_id = ?`, mr)
	ft := reconciler.Action{Rule: "RQ-FT", Type: reconciler.TransitionBead, BeadID: mr, From: model.StatusOpen}
	or := reconciler.Action{Rule: "RQ-OR", Type: reconciler.TransitionBead, BeadID: mr, From: model.StatusOpen}
	exec(`UPDATE beads SET created_by = 'polecat' WHERE bead_id = ?`, mr)
	for _, tc := range []reviewOffCase{
		{"RQ-FT in a rig whose override is off", func() { exec(`UPDATE beads SET rig_id = ? WHERE bead_id = ?`, offRig, mr) }, false, ft, false},
		{"RQ-OR failing an MR with a PR there", func() {}, false, or, true},
		{"RQ-OR failing it once PR-less", func() { exec(`UPDATE review_metadata SET pr_url = NULL WHERE bead_id = ?`, mr) }, false, or, false},
		{"RQ-FT fast-tracking it PR-less", func() {}, false, ft, true},
		{"RQ-FT in a rig with code review on", func() {
			exec(`UPDATE review_metadata SET pr_url = ? WHERE bead_id = ?`, url, mr)
			exec(`UPDATE beads SET rig_id = ? WHERE bead_id = ?`, onRig, mr)
		}, false, ft, true},
		{"the same rig, its town's code review off", func() {}, true, ft, false},
		{"RQ-FT naming an issue", func() {}, true, reconciler.Action{Rule: "RQ-FT", Type: reconciler.TransitionBead, BeadID: issue}, true},
		{"RQ-OR reopening the source issue", func() {}, false, reconciler.Action{Rule: "RQ-OR", Type: reconciler.TransitionBead,
			BeadID: issue, From: model.StatusInReview}, false},
		{"RQ-FT fast-tracking a child of a review-then-land convoy", func() {
			exec(`UPDATE beads SET rig_id = ?, parent_bead_id = ? WHERE bead_id = ?`, offRig, convoy, mr)
		}, false, ft, false},
		{"RQ-FT fast-tracking a child of a review-and-merge convoy", func() {
			exec(`UPDATE convoy_metadata SET merge_mode = 'review-and-merge' WHERE bead_id = ?`, convoy)
		}, false, ft, true},
		{"RQ-OR failing a PR-less review-and-merge child", func() {
			exec(`UPDATE review_metadata SET pr_url = NULL WHERE bead_id = ?`, mr)
		}, false, or, true},
		{"RQ-OR failing a PR-less polecat's MR", func() {
			exec(`UPDATE beads SET parent_bead_id = NULL WHERE bead_id = ?`, mr)
		}, false, or, false},
		{"RQ-OR failing a PR-less landing MR", func() {
			exec(`UPDATE beads SET created_by = 'system' WHERE bead_id = ?`, mr)
		}, false, or, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			c.failures, c.seen = nil, map[string]bool{}
			c.cfg.Town.CodeReviewOff = tc.townOff
			p := propByName(t, PropReviewOffRulesWhereOff).(*reviewOffRulesProp)
			p.action(c, tc.action, &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{Ran: true},
				w: c.world, db: db})
			wantFired(t, c, PropReviewOffRulesWhereOff, tc.fires)
		})
	}
}
