package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// merge-call-only-on-green-feedback fires on a merge call whose PR's last
// feedback answer showed unresolved comments, a failing or pending check,
// a review still required, changes requested, or a thrown call; a green
// answer or production's null (no feedback) keeps it quiet, and so does a
// merge call of another PR.
func TestMergeOnGreenFires(t *testing.T) {
	c := newChecker(Default(), Bounds{}.withDefaults(), CheckOptions{})
	green := &model.PRFeedback{AllChecksPass: true, ReviewDecision: "APPROVED", MergeStateStatus: "CLEAN"}
	with := func(f func(*model.PRFeedback)) *model.PRFeedback { g := *green; f(&g); return &g }
	const url = "https://github.com/o/r/pull/1"
	for _, tc := range []struct {
		name    string
		answer  model.Result
		mergeOf string
		fires   bool
	}{
		{"green", model.Result{Feedback: green}, url, false},
		{"null feedback", model.Result{}, url, false},
		{"another PR's merge", model.Result{Feedback: with(func(f *model.PRFeedback) { f.HasUnresolvedComments = true })}, "https://github.com/o/r/pull/2", false},
		{"unresolved comments", model.Result{Feedback: with(func(f *model.PRFeedback) { f.HasUnresolvedComments = true })}, url, true},
		{"failing checks", model.Result{Feedback: with(func(f *model.PRFeedback) { f.HasFailingChecks = true })}, url, true},
		{"checks pending", model.Result{Feedback: with(func(f *model.PRFeedback) { f.AllChecksPass = false })}, url, true},
		{"review required", model.Result{Feedback: with(func(f *model.PRFeedback) { f.ReviewDecision = "REVIEW_REQUIRED" })}, url, true},
		{"blocked", model.Result{Feedback: with(func(f *model.PRFeedback) { f.MergeStateStatus = "BLOCKED" })}, url, true},
		{"changes requested", model.Result{Feedback: with(func(f *model.PRFeedback) { f.ReviewDecision = "CHANGES_REQUESTED" })}, url, true},
		{"thrown feedback call", model.Result{Err: "fetch failed"}, url, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropMergeOnGreen).(*mergeOnGreenProp)
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			p.call(c, model.Call{Kind: model.CallPRFeedback, URL: url}, tc.answer, now)
			p.call(c, model.Call{Kind: model.CallMergePR, URL: tc.mergeOf}, model.Result{OK: true}, now.Add(time.Second))
			wantFired(t, c, PropMergeOnGreen, tc.fires)
		})
	}
}

// approval-wait-analytics-paired fires on a "resolved" data point with no
// detection before it, on a second detection before a resolution, on a
// resolution that measures nothing or longer than the wait, and on a
// detection whose duration is not the MR's age (over the rows of a short
// real default run); a detection, its resolution a minute later and a new
// detection keep it quiet.
func TestApprovalWaitPairedFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	_, one := rowsOf(t, db)
	mr := one(`SELECT bead_id FROM beads WHERE type = 'merge_request' ORDER BY bead_id LIMIT 1`)
	created, _ := model.ParseTime(one(`SELECT created_at FROM beads WHERE bead_id = ?`, mr))
	start := c.now
	type point struct {
		event string
		ms    float64 // duration; -1: the MR's age
	}
	for _, tc := range []struct {
		name   string
		points []point
		fires  bool
	}{
		{"detected, resolved, detected", []point{{approvalDetected, -1}, {approvalResolved, 60000}, {approvalDetected, -1}}, false},
		{"resolved first", []point{{approvalResolved, 60000}}, true},
		{"resolved twice", []point{{approvalDetected, -1}, {approvalResolved, 60000}, {approvalResolved, 60000}}, true},
		{"detected twice", []point{{approvalDetected, -1}, {approvalDetected, -1}}, true},
		{"resolved measuring nothing", []point{{approvalDetected, -1}, {approvalResolved, 0}}, true},
		{"resolved longer than the wait", []point{{approvalDetected, -1}, {approvalResolved, 600000}}, true},
		{"detected not the MR's age", []point{{approvalDetected, 0}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() { c.now = start }()
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropApprovalWaitPaired).(*approvalWaitPairedProp)
			p.analytics(c, model.AnalyticsEvent{Event: "pr.poll_failed", BeadID: "other"}, nil)
			for i, pt := range tc.points {
				c.now = start.Add(time.Duration(i) * 2 * time.Minute)
				ms := pt.ms
				if ms < 0 {
					ms = float64(c.now.Sub(created).Milliseconds())
				}
				p.analytics(c, model.AnalyticsEvent{Event: pt.event, BeadID: mr, DurationMs: ms}, nil)
				p.judgeAges(c, db)
			}
			wantFired(t, c, PropApprovalWaitPaired, tc.fires)
		})
	}
}

// one-live-fix-bead-per-mr-and-kind and pr-poll-failure-names-cause, over the
// rows of a short real default run.
func TestPRRecordRowsFire(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	mr := one(`SELECT b.bead_id FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' ORDER BY b.bead_id LIMIT 1`)
	issues, err := db.Strings(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 2`)
	if err != nil || len(issues) < 2 {
		t.Fatalf("issues %v %v", issues, err)
	}

	// one-live-fix-bead-per-mr-and-kind fires on a merge request blocked by
	// two live feedback beads or two live conflict beads; one live and one
	// closed, or one live of each kind, keep it quiet.
	for _, tc := range []struct {
		name         string
		secondStatus string
		secondLabel  string
		fires        bool
	}{
		{"two live", "in_progress", "gt:pr-feedback", true},
		{"two live conflicts", "in_progress", "gt:pr-conflict", true},
		{"one live, one closed", "closed", "gt:pr-feedback", false},
		{"one of each kind", "open", "gt:pr-conflict", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT feedback`)
			defer db.Exec(`ROLLBACK TO feedback`)
			exec(`DELETE FROM bead_dependencies WHERE bead_id = ? AND dependency_type = 'blocks'`, mr)
			for i, id := range issues {
				st, label := "open", "gt:pr-feedback"
				if i == 1 {
					st, label = tc.secondStatus, tc.secondLabel
				}
				if tc.secondLabel == "gt:pr-conflict" && tc.fires {
					label = "gt:pr-conflict"
				}
				exec(`UPDATE beads SET labels = json_array(?), status = ? WHERE bead_id = ?`, label, st, id)
				exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'blocks')`, mr, id)
			}
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropOneFeedbackBead).(*oneFeedbackBeadProp)
			p.tick(c, &tickView{db: db})
			wantFired(t, c, PropOneFeedbackBead, tc.fires)
		})
	}

	// pr-poll-failure-names-cause fires on a message that speaks of the other
	// provider or misses the cause, and on a data point that names another
	// kind, provider or status; production's own wording keeps it quiet.
	const gh = "https://github.com/o/r/pull/1"
	const gl = "https://gitlab.com/o/r/-/merge_requests/1"
	notFound := model.PRStatus{ErrKind: "http_error", HTTPStatus: 404}
	badGateway := model.PRStatus{ErrKind: "http_error", HTTPStatus: 502}
	shape := model.PRStatus{ErrKind: "invalid_response", InvalidReason: "schema_mismatch", Keys: []string{"message", "status"}}
	for _, tc := range []struct {
		name, url, kind, msg string
		answer               model.PRStatus
		point                model.AnalyticsEvent
		fires                bool
	}{
		{"GitHub 404", gh, "http_error", "PR not found (HTTP 404). Was the branch deleted?", notFound,
			model.AnalyticsEvent{Reason: "http_error", Label: "github", StatusCode: 404}, false},
		{"GitHub 404 called an MR", gh, "http_error", "MR not found (HTTP 404). Was the branch deleted?", notFound,
			model.AnalyticsEvent{Reason: "http_error", Label: "github", StatusCode: 404}, true},
		{"404 as a bare status", gh, "http_error", "github API returned HTTP 404 Not Found. Not retryable.", notFound,
			model.AnalyticsEvent{Reason: "http_error", Label: "github", StatusCode: 404}, true},
		{"GitLab 404 called a pull request", gl, "http_error", "pull request not found (HTTP 404)", notFound,
			model.AnalyticsEvent{Reason: "http_error", Label: "gitlab", StatusCode: 404}, true},
		{"another status", gh, "http_error", "PR not found (HTTP 404).", badGateway,
			model.AnalyticsEvent{Reason: "http_error", Label: "github", StatusCode: 502}, true},
		{"502 with its text", gh, "http_error", "github API returned HTTP 502 Bad Gateway. Retrying.", badGateway,
			model.AnalyticsEvent{Reason: "http_error", Label: "github", StatusCode: 502}, false},
		{"410 promising a retry", gh, "http_error", "github API returned HTTP 410 Gone. Retrying.",
			model.PRStatus{ErrKind: "http_error", HTTPStatus: 410},
			model.AnalyticsEvent{Reason: "http_error", Label: "github", StatusCode: 410}, true},
		{"401 without the token", gl, "http_error", "GitLab API returned HTTP 401 Unauthorized. Not retryable.",
			model.PRStatus{ErrKind: "http_error", HTTPStatus: 401},
			model.AnalyticsEvent{Reason: "http_error", Label: "gitlab", StatusCode: 401}, true},
		{"data point without the status", gh, "http_error", "PR not found (HTTP 404).", notFound,
			model.AnalyticsEvent{Reason: "http_error", Label: "github"}, true},
		{"data point with a status for another kind", gh, "invalid_response",
			"github API returned an unexpected response shape (schema_mismatch); top-level keys: message, status.", shape,
			model.AnalyticsEvent{Reason: "invalid_response", Label: "github", StatusCode: 200}, true},
		{"shape without its keys", gh, "invalid_response", "github API returned an unexpected response shape (schema_mismatch).", shape,
			model.AnalyticsEvent{Reason: "invalid_response", Label: "github"}, true},
		{"keys of a body that did not parse", gh, "invalid_response",
			"github API returned an unexpected response shape (json_parse); top-level keys: .", model.PRStatus{ErrKind: "invalid_response"},
			model.AnalyticsEvent{Reason: "invalid_response", Label: "github"}, true},
		{"data point of another provider", gl, "no_token", "No GitLab token resolved for this town.", model.PRStatus{},
			model.AnalyticsEvent{Reason: "no_token", Label: "github"}, true},
		{"GitLab no token", gl, "no_token", "No GitLab token resolved for this town.", model.PRStatus{},
			model.AnalyticsEvent{Reason: "no_token", Label: "gitlab"}, false},
		{"unrecognised URL", "https://git.example/o/r/pull/1", "unrecognized_url",
			"PR URL format not recognized: https://git.example/o/r/pull/1. Expected GitHub PR or GitLab MR URL.", model.PRStatus{},
			model.AnalyticsEvent{Reason: "unrecognized_url"}, false},
		{"refused host not named", "https://git.example/o/r/-/merge_requests/1", "host_mismatch",
			"Refusing to send GitLab token to an unexpected host.", model.PRStatus{},
			model.AnalyticsEvent{Reason: "host_mismatch", Label: "gitlab"}, true},
		{"refused host and configured gitlab.com", "https://git.example/o/r/-/merge_requests/1", "host_mismatch",
			"Refusing to send GitLab token to unexpected host `git.example` (configured: `gitlab.com`).", model.PRStatus{},
			model.AnalyticsEvent{Reason: "host_mismatch", Label: "gitlab"}, false},
		{"configured host not named", "https://git.example/o/r/-/merge_requests/1", "host_mismatch",
			"Refusing to send GitLab token to unexpected host `git.example` (configured: ``).", model.PRStatus{},
			model.AnalyticsEvent{Reason: "host_mismatch", Label: "gitlab"}, true},
		{"another configured host named", "https://git.example/o/r/-/merge_requests/1", "host_mismatch",
			"Refusing to send GitLab token to unexpected host `git.example` (configured: `gitlab.example.com`).", model.PRStatus{},
			model.AnalyticsEvent{Reason: "host_mismatch", Label: "gitlab"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT pollfail`)
			defer db.Exec(`ROLLBACK TO pollfail`)
			exec(`UPDATE beads SET status = 'failed', metadata = json_set(COALESCE(metadata, '{}'),
				'$.failureReason', 'pr_poll_failed', '$.failureKind', ?, '$.failureMessage', ?) WHERE bead_id = ?`, tc.kind, tc.msg, mr)
			exec(`UPDATE review_metadata SET pr_url = ? WHERE bead_id = ?`, tc.url, mr)
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropPollFailureNamed).(*pollFailureNamedProp)
			if tc.answer.ErrKind != "" {
				p.call(c, model.Call{Kind: model.CallPRStatus, URL: tc.url}, model.Result{PR: tc.answer}, c.now)
			}
			pt := tc.point
			pt.Event, pt.BeadID = "pr.poll_failed", mr
			p.analytics(c, pt, nil)
			p.tick(c, &tickView{db: db})
			wantFired(t, c, PropPollFailureNamed, tc.fires)
		})
	}
}

// failing-polls-fail-mr fires on a merge request still in progress after
// the answer that completed 3 invalid, 10 transient or 1 non-transient
// status answers in a row (over the rows of a short real default run); a
// run broken by a normal answer or of another class, an answer right
// after a feedback call (auto-resolve's re-check) or a failed MR keep it
// quiet, and thrown calls neither count nor break a run.
func TestFailingPollsFailMRFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	mr := one(`SELECT b.bead_id FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' ORDER BY b.bead_id LIMIT 1`)
	const url = "https://github.com/o/r/pull/77"
	ok := model.Result{PR: model.PRStatus{OK: true, State: "open"}}
	invalid := model.Result{PR: model.PRStatus{ErrKind: "invalid_response"}}
	bad := model.Result{PR: model.PRStatus{ErrKind: "http_error", HTTPStatus: 502}}
	gone := model.Result{PR: model.PRStatus{ErrKind: "http_error", HTTPStatus: 410}}
	thrown := model.Result{Err: "fetch failed"}
	feedback := model.Result{Feedback: &model.PRFeedback{}}
	times := func(r model.Result, n int) []model.Result {
		out := make([]model.Result, n)
		for i := range out {
			out[i] = r
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		answers []model.Result // status answers, each a minute apart; a feedback answer comes 3 s before the next
		failed  bool
		fires   bool
	}{
		{"three invalid", times(invalid, 3), false, true},
		{"three invalid around a thrown call", []model.Result{invalid, thrown, invalid, invalid}, false, true},
		{"three invalid, failed", times(invalid, 3), true, false},
		{"two invalid, ok, invalid", []model.Result{invalid, invalid, ok, invalid}, false, false},
		{"invalid, transient, invalid", []model.Result{invalid, bad, invalid}, false, false},
		{"ten transient", times(bad, 10), false, true},
		{"nine transient", times(bad, 9), false, false},
		{"one 410", []model.Result{gone}, false, true},
		{"two invalid and a re-check", []model.Result{invalid, invalid, feedback, invalid}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT pollrun`)
			defer db.Exec(`ROLLBACK TO pollrun`)
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, mr)
			exec(`UPDATE review_metadata SET pr_url = ? WHERE bead_id = ?`, url, mr)
			if tc.failed {
				exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, mr)
			}
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropFailingPollsFailMR).(*failingPollsFailMRProp)
			at := c.now
			for _, r := range tc.answers {
				if r.Feedback != nil { // 3 s before the next status call
					p.call(c, model.Call{Kind: model.CallPRFeedback, URL: url}, r, at.Add(time.Minute+2*time.Second))
					continue
				}
				at = at.Add(time.Minute)
				p.call(c, model.Call{Kind: model.CallPRStatus, URL: url}, r, at.Add(5*time.Second))
			}
			p.tick(c, &tickView{db: db})
			wantFired(t, c, PropFailingPollsFailMR, tc.fires)
		})
	}
}
