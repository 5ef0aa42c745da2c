package scenarios

import (
	"testing"
	"time"
)

// pr-review-waits-in-progress fires on a PR-backed merge request that was in
// progress with nobody hooked at one tick and is open at the next, over the
// rows of a short real default run; one with a hooked agent (AG-4's path)
// or without a PR (RQ-2, RQ-3) may go back to open.
func TestPRReviewWaitsFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	mr := one(`SELECT b.bead_id FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' ORDER BY b.bead_id LIMIT 1`)
	agent := one(`SELECT bead_id FROM agent_metadata WHERE role = 'refinery' ORDER BY bead_id LIMIT 1`)
	for _, tc := range []struct {
		name   string
		pr     any
		hooked bool
		fires  bool
	}{
		{"a PR and nobody on it", "https://github.com/o/r/pull/1", false, true},
		{"a refinery hooked", "https://github.com/o/r/pull/1", true, false},
		{"no PR", nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT prwait`)
			defer db.Exec(`ROLLBACK TO prwait`)
			exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL WHERE current_hook_bead_id = ?`, mr)
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, mr)
			exec(`UPDATE review_metadata SET pr_url = ? WHERE bead_id = ?`, tc.pr, mr)
			if tc.hooked {
				exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id = ?`, mr, agent)
			}
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropPRReviewWaits).(*prReviewWaitsProp)
			p.tick(c, &tickView{db: db})
			exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, mr)
			p.tick(c, &tickView{db: db})
			wantFired(t, c, PropPRReviewWaits, tc.fires)
		})
	}
}
