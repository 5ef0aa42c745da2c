package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// liveness/pr-feedback-gets-a-fix-bead fires when a feedback answer asks
// for a fix (comments, failing checks, unchecked runs) and the merge
// request has no feedback bead two minutes later; and stays quiet with a
// live or since-closed feedback bead, a conflict bead, a re-check that
// found the PR closed, or feedback with nothing to fix.
func TestPRFeedbackGetsAFixBeadFires(t *testing.T) {
	c, db := passedRun(t, "default", 30*time.Minute)
	exec, one := rowsOf(t, db)
	mr := one(`SELECT b.bead_id FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND COALESCE(rm.pr_url, '') != '' ORDER BY b.bead_id LIMIT 1`)
	url := one(`SELECT pr_url FROM review_metadata WHERE bead_id = ?`, mr)
	fix := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	at := c.now.Add(time.Hour)
	view := func(d time.Duration) *tickView {
		c.now = at.Add(d)
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{}, w: c.world, db: db,
			byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}}
	}
	type fixBead struct{ label, status string }
	for _, tc := range []struct {
		name  string
		fb    model.PRFeedback
		state string   // the re-check's PR state
		bead  *fixBead // a blocker of the MR (nil = none)
		fires bool
	}{
		{"comments, no bead", model.PRFeedback{HasUnresolvedComments: true}, "open", nil, true},
		{"unchecked runs, no bead", model.PRFeedback{HasUncheckedRuns: true}, "open", nil, true},
		{"failing, live feedback bead", model.PRFeedback{HasFailingChecks: true}, "open", &fixBead{model.LabelPRFeedback, "in_progress"}, false},
		{"unchecked, bead closed since", model.PRFeedback{HasUncheckedRuns: true}, "open", &fixBead{model.LabelPRFeedback, "closed"}, false},
		{"comments, conflict bead", model.PRFeedback{HasUnresolvedComments: true}, "open", &fixBead{model.LabelPRConflict, "open"}, false},
		{"comments, re-check closed", model.PRFeedback{HasUnresolvedComments: true}, "closed", nil, false},
		{"nothing to fix", model.PRFeedback{AllChecksPass: true}, "open", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, mr)
			exec(`DELETE FROM bead_dependencies WHERE bead_id = ?`, mr)
			p := propByName(t, PropFeedbackGetsFixer).(*feedbackFixProp)
			c.now = at
			fb := tc.fb
			p.call(c, model.Call{Kind: model.CallPRFeedback, URL: url}, model.Result{Feedback: &fb}, at)
			p.call(c, model.Call{Kind: model.CallPRStatus, URL: url}, model.Result{PR: model.PRStatus{OK: true, State: tc.state}}, at.Add(time.Second))
			if tc.bead != nil {
				exec(`UPDATE beads SET labels = json_array(?), status = ?, closed_at = ? WHERE bead_id = ?`,
					tc.bead.label, tc.bead.status, model.ISO(at.Add(time.Minute)), fix)
				exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'blocks')`, mr, fix)
			}
			p.tick(c, view(time.Minute))
			p.tick(c, view(3*time.Minute))
			wantFired(t, c, PropFeedbackGetsFixer, tc.fires)
		})
	}
}

// safety/pr-feedback-bead-asked-for fires on a feedback bead created with
// no feedback answer for its PR asking for a fix in the 2 min before; and
// not when one did.
func TestPRFeedbackBeadAskedForFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	bead := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	url := "https://github.com/townsim/rig-1/pull/99"
	at := c.now.Add(time.Hour)
	for _, tc := range []struct {
		name  string
		fb    *model.PRFeedback // the answer 10 s before the bead (nil = none)
		early bool              // the answer came 5 min before instead
		fires bool
	}{
		{"asked for a fix", &model.PRFeedback{HasUncheckedRuns: true}, false, false},
		{"nothing asked", &model.PRFeedback{AllChecksPass: true}, false, true},
		{"no answer", nil, false, true},
		{"asked long before", &model.PRFeedback{HasFailingChecks: true}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			p := propByName(t, PropFeedbackAskedFor).(*feedbackAskedProp)
			p.seen = model.ISO(at.Add(-time.Second))
			if tc.fb != nil {
				ans := at.Add(-10 * time.Second)
				if tc.early {
					ans = at.Add(-5 * time.Minute)
				}
				p.call(c, model.Call{Kind: model.CallPRFeedback, URL: url}, model.Result{Feedback: tc.fb}, ans)
			}
			exec(`UPDATE beads SET labels = json_array('gt:pr-feedback'), metadata = json_object('pr_url', ?), created_at = ? WHERE bead_id = ?`,
				url, model.ISO(at), bead)
			c.now = at.Add(5 * time.Second)
			p.tick(c, &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{}, w: c.world, db: db,
				byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}})
			wantFired(t, c, PropFeedbackAskedFor, tc.fires)
		})
	}
}
