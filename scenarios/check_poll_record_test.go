package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
)

// pr-poll-record fires when a poll's answer is not what its MR records
// (a dirty answer without the mark, a moved detection time, an error
// without its kind or count) and when a poll changes the record of
// another bead (another MR's or a fix bead's conflict mark cleared, an
// unpolled MR's error kind); the poll's own writes keep it quiet. Over
// the rows of a short real default run.
func TestPollRecordFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, _ := rowsOf(t, db)
	mrs, err := db.Strings(`SELECT bead_id FROM beads WHERE type = 'merge_request' ORDER BY bead_id LIMIT 2`)
	if err != nil || len(mrs) < 2 {
		t.Fatalf("merge requests %v %v", mrs, err)
	}
	issue, err := db.Strings(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	if err != nil || len(issue) < 1 {
		t.Fatalf("issues %v %v", issue, err)
	}
	a, b, fix := mrs[0], mrs[1], issue[0]
	const url = "https://github.com/o/r/pull/1"
	at := c.now.Add(time.Minute)
	mark := func(id, when string) {
		exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.has_conflicts', 1, '$.conflicts_detected_at', ?) WHERE bead_id = ?`, when, id)
	}
	unmark := func(id string) {
		exec(`UPDATE beads SET metadata = json_remove(COALESCE(metadata, '{}'), '$.has_conflicts', '$.conflicts_detected_at') WHERE bead_id = ?`, id)
	}
	errs := func(id, kind string, transient, invalid int) {
		exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.poll_error_kind', ?, '$.poll_transient_count', ?,
			'$.poll_non_transient_count', ?) WHERE bead_id = ?`, kind, transient, invalid, id)
	}
	ok := func(id string) {
		errs(id, "", 0, 0)
		exec(`UPDATE beads SET metadata = json_set(metadata, '$.poll_error_kind', NULL) WHERE bead_id = ?`, id)
	}
	open := func(state string) model.Result {
		return model.Result{StatusCode: 200, PR: model.PRStatus{OK: true, State: "open", MergeableState: state}}
	}
	iso := model.ISO(at)
	for _, tc := range []struct {
		name   string
		before func()
		answer model.Result
		after  func()
		fires  bool
	}{
		{"dirty marks its MR", func() { ok(a) }, open("dirty"), func() { mark(a, iso) }, false},
		{"dirty without the mark", func() { ok(a) }, open("dirty"), func() {}, true},
		{"dirty keeps the episode's time", func() { ok(a); mark(a, "2020-01-01T00:00:00.000Z") }, open("dirty"), func() {}, false},
		{"dirty moves the episode's time", func() { ok(a); mark(a, "2020-01-01T00:00:00.000Z") }, open("dirty"), func() { mark(a, iso) }, true},
		{"clean clears its own mark", func() { ok(a); mark(a, iso); mark(b, iso) }, open("clean"), func() { unmark(a) }, false},
		{"clean clears another MR's mark", func() { ok(a); mark(a, iso); mark(b, iso) }, open("clean"), func() { unmark(a); unmark(b) }, true},
		{"clean clears a fix bead's mark", func() { ok(a); mark(fix, iso) }, open("clean"), func() { unmark(fix) }, true},
		{"unstable leaves the mark", func() { ok(a); mark(a, iso) }, open("unstable"), func() {}, false},
		{"502 counted", func() { ok(a) }, model.Result{StatusCode: 502, PR: model.PRStatus{ErrKind: "http_error", HTTPStatus: 502}},
			func() { errs(a, "http_error", 1, 0) }, false},
		{"502 without its kind", func() { ok(a) }, model.Result{StatusCode: 502, PR: model.PRStatus{ErrKind: "http_error", HTTPStatus: 502}},
			func() { errs(a, "", 1, 0) }, true},
		{"invalid resets the transient count", func() { errs(a, "http_error", 4, 0) }, model.Result{StatusCode: 200, PR: model.PRStatus{ErrKind: "invalid_response"}},
			func() { errs(a, "invalid_response", 0, 1) }, false},
		{"invalid keeps the transient count", func() { errs(a, "http_error", 4, 0) }, model.Result{StatusCode: 200, PR: model.PRStatus{ErrKind: "invalid_response"}},
			func() { errs(a, "invalid_response", 4, 1) }, true},
		{"ok clears the errors", func() { errs(a, "invalid_response", 0, 2) }, open("unknown"), func() { ok(a) }, false},
		{"thrown changes nothing", func() { errs(a, "http_error", 2, 0) }, model.Result{Err: "fetch failed"}, func() {}, false},
		{"an unpolled MR's kind changes", func() { ok(a); ok(b) }, open("clean"), func() { errs(b, "http_error", 0, 0) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT record`)
			defer db.Exec(`ROLLBACK TO record`)
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropPollRecord).(*pollRecordProp)
			tv := &tickView{db: db, res: &alarm.TickResult{}}
			tc.before()
			p.tick(c, tv) // the baseline read
			p.call(c, model.Call{Kind: model.CallPRStatus, URL: url}, tc.answer, at)
			p.action(c, reconciler.Action{Type: reconciler.PollPR, BeadID: a, PRURL: url}, tv)
			tc.after()
			p.tick(c, tv)
			wantFired(t, c, PropPollRecord, tc.fires)
		})
	}
}

// auto-merge-after-green-delay fires on a pr_auto_merge before the PR was
// green for the delay since its last break (a non-green or thrown
// feedback answer, a dirty poll, a merge that did not merge), and on one
// in a town with auto-merge off; green answers for the whole delay, a
// null feedback answer and a break its thrown status re-check undid keep
// it quiet. Over the rows of a short real default run (delay 5 min).
func TestAutoMergeWaitsFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, _ := rowsOf(t, db)
	const url = "https://github.com/o/r/pull/99"
	base := c.now.Add(time.Hour)
	green := model.Result{Feedback: &model.PRFeedback{AllChecksPass: true, ReviewDecision: "APPROVED", MergeStateStatus: "CLEAN"}}
	red := model.Result{Feedback: &model.PRFeedback{AllChecksPass: false, MergeStateStatus: "UNSTABLE"}}
	comments := model.Result{Feedback: &model.PRFeedback{AllChecksPass: true, HasUnresolvedComments: true}}
	type obs struct {
		min  float64
		kind model.CallKind
		r    model.Result
	}
	fb := func(min float64, r model.Result) obs { return obs{min, model.CallPRFeedback, r} }
	st := func(min float64, r model.Result) obs { return obs{min, model.CallPRStatus, r} }
	dirty := model.Result{PR: model.PRStatus{OK: true, State: "open", MergeableState: "dirty"}}
	for _, tc := range []struct {
		name  string
		obs   []obs
		event float64 // minutes after base
		off   bool
		fires bool
	}{
		{"green for the delay", []obs{fb(0, green), fb(1, green), fb(3, green), fb(5, green)}, 5, false, false},
		{"green for less", []obs{fb(0, green), fb(4, green)}, 4, false, true},
		{"red in between, merged early", []obs{fb(0, green), fb(2, red), fb(3, green), fb(6, green)}, 6, false, true},
		{"red in between, waited again", []obs{fb(0, green), fb(2, red), fb(3, green), fb(8, green)}, 8, false, false},
		{"dirty poll in between", []obs{fb(0, green), st(2, dirty), fb(3, green), fb(6, green)}, 6, false, true},
		{"thrown feedback in between", []obs{fb(0, green), fb(2, model.Result{Err: "fetch failed"}), fb(3, green), fb(6, green)}, 6, false, true},
		{"failed merge in between", []obs{fb(0, green), {2, model.CallMergePR, model.Result{StatusCode: 405}}, fb(3, green), fb(6, green)}, 6, false, true},
		{"null feedback in between", []obs{fb(0, green), fb(2, model.Result{}), fb(5, green)}, 5, false, false},
		{"re-check thrown undoes the break", []obs{fb(0, green), fb(2, comments), st(2.01, model.Result{Err: "fetch failed"}), fb(5, green)}, 5, false, false},
		{"no green answer", []obs{fb(0, red)}, 6, false, true},
		{"auto-merge off", []obs{fb(0, green), fb(6, green)}, 6, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT automerge`)
			defer db.Exec(`ROLLBACK TO automerge`)
			defer func(off bool) { c.cfg.Town.NoAutoMerge = off }(c.cfg.Town.NoAutoMerge)
			c.cfg.Town.NoAutoMerge = tc.off
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropAutoMergeWaits).(*autoMergeWaitsProp)
			p.since = model.ISO(base.Add(-time.Minute))
			for _, o := range tc.obs {
				p.call(c, model.Call{Kind: o.kind, URL: url}, o.r, base.Add(time.Duration(o.min*float64(time.Minute))))
			}
			exec(`INSERT INTO town_events (event_id, event_type, bead_id, payload, created_at, processed_at)
				VALUES ('test-auto-merge', 'pr_auto_merge', NULL, json_object('pr_url', ?), ?, ?)`,
				url, model.ISO(base.Add(time.Duration(tc.event*float64(time.Minute)))), model.ISO(base.Add(time.Hour)))
			p.tick(c, &tickView{db: db})
			wantFired(t, c, PropAutoMergeWaits, tc.fires)
		})
	}
}
