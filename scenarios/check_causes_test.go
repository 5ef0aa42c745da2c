package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// failure-cause-in-world fires on failures the world does not back, and
// stays quiet when it does, over the rows of a real gitlab-rig run (which
// it passed): a GitLab MR failed for no token although the world gave one,
// a refused host that is the configured instance, too few transient
// answers, an answered PR, and an issue failed for exhausted attempts it
// was never started for.
func TestCauseInWorldFires(t *testing.T) {
	c, db := passedRun(t, "gitlab-rig", 0)
	exec, one := rowsOf(t, db)
	mr := one(`SELECT bead_id FROM beads WHERE type = 'merge_request' ORDER BY bead_id LIMIT 1`)
	issue := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	failAt := c.now.Add(-time.Minute)
	failMR := func(url, kind string) {
		exec(`UPDATE beads SET status = 'failed', metadata = json_set(COALESCE(metadata, '{}'),
			'$.failureReason', 'pr_poll_failed', '$.failureKind', ?) WHERE bead_id = ?`, kind, mr)
		exec(`UPDATE review_metadata SET pr_url = ? WHERE bead_id = ?`, url, mr)
		exec(`INSERT INTO bead_events (bead_event_id, bead_id, agent_id, event_type, old_value, new_value, metadata, created_at)
			VALUES ('ev-cause-mr', ?, 'system', 'status_changed', 'in_progress', 'failed', '{}', ?)`, mr, model.ISO(failAt))
	}
	const gl = "https://gitlab.example.com/townsim/rig-2/-/merge_requests/77"
	const gh = "https://github.com/townsim/rig-1/pull/77"
	answers := func(p property, url string, r model.Result, n int) {
		for i := range n {
			p.(caller).call(c, model.Call{Kind: model.CallPRStatus, URL: url}, r, failAt.Add(time.Duration(i-n)*time.Minute))
		}
	}
	transient := model.Result{StatusCode: 502, PR: model.PRStatus{ErrKind: "http_error", HTTPStatus: 502}}
	for _, tc := range []struct {
		name    string
		breakIt func(p property)
		fires   bool
	}{
		{"no token with the world's GitLab token", func(property) { failMR(gl, "no_token") }, true},
		{"refused host that the world configured", func(property) { failMR(gl, "host_mismatch") }, true},
		{"refused host the world never configured", func(property) {
			failMR("https://gitlab.other.org/x/-/merge_requests/1", "host_mismatch")
		}, false},
		{"nine transient answers", func(p property) { answers(p, gh, transient, 9); failMR(gh, "http_error") }, true},
		{"ten transient answers", func(p property) { answers(p, gh, transient, 10); failMR(gh, "http_error") }, false},
		{"ten transient answers after the failure", func(p property) {
			failMR(gh, "http_error")
			for i := range 10 {
				p.(caller).call(c, model.Call{Kind: model.CallPRStatus, URL: gh}, transient, failAt.Add(time.Duration(i+1)*time.Minute))
			}
		}, true},
		{"an answered PR failed as invalid", func(p property) {
			answers(p, gh, model.Result{StatusCode: 200, PR: model.PRStatus{OK: true, State: "open"}}, 3)
			failMR(gh, "invalid_response")
		}, true},
		{"attempts never started", func(property) {
			exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, issue)
			exec(`INSERT INTO bead_events (bead_event_id, bead_id, agent_id, event_type, old_value, new_value, metadata, created_at)
				VALUES ('ev-cause-issue', ?, 'system', 'status_changed', 'open', 'failed',
				'{"failure_reason":{"code":"reconciler","message":"max dispatch attempts exceeded (5)","source":"scheduler"}}', ?)`,
				issue, model.ISO(failAt))
		}, true},
		{"attempts started five times", func(p property) {
			for range 5 {
				p.(caller).call(c, model.Call{Kind: model.CallStartAgent, BeadID: issue}, model.Result{StatusCode: 503}, failAt)
			}
			exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, issue)
			exec(`INSERT INTO bead_events (bead_event_id, bead_id, agent_id, event_type, old_value, new_value, metadata, created_at)
				VALUES ('ev-cause-issue', ?, 'system', 'status_changed', 'open', 'failed',
				'{"failure_reason":{"code":"reconciler","message":"max dispatch attempts exceeded (5)","source":"scheduler"}}', ?)`,
				issue, model.ISO(failAt))
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT cause`)
			defer exec(`ROLLBACK TO cause`)
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropCauseInWorld)
			tc.breakIt(p)
			p.(ender).end(c, c.world, db)
			wantFired(t, c, PropCauseInWorld, tc.fires)
			if tc.fires {
				t.Log(c.failures[0])
			}
		})
	}
}
