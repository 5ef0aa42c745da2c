package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// prless-review-has-reviewer fires on a merge request without a PR URL that
// moved to in_progress with nobody hooked and no start asked for it, over
// the rows of a short real default run; a hooked agent, a start call in
// the tick, or an MR already in progress at the previous tick keep it
// quiet.
func TestReviewHasReviewerFires(t *testing.T) {
	c, db := passedRun(t, "default", 30*time.Minute)
	exec, one := rowsOf(t, db)
	mr := one(`SELECT b.bead_id FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' ORDER BY b.bead_id LIMIT 1`)
	agent := one(`SELECT bead_id FROM agent_metadata WHERE role = 'refinery' ORDER BY bead_id LIMIT 1`)
	for _, tc := range []struct {
		name    string
		hooked  bool
		started bool
		before  bool
		fires   bool
	}{
		{"nobody on it", false, false, false, true},
		{"a refinery hooked", true, false, false, false},
		{"a start asked in the tick", false, true, false, false},
		{"in progress at the previous tick", false, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT reviewer`)
			defer db.Exec(`ROLLBACK TO reviewer`)
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, mr)
			exec(`UPDATE review_metadata SET pr_url = NULL WHERE bead_id = ?`, mr)
			exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL WHERE current_hook_bead_id = ?`, mr)
			if tc.hooked {
				exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id = ?`, mr, agent)
			}
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropReviewHasReviewer).(*reviewHasReviewerProp)
			p.last = c.now.Add(-5 * time.Second)
			if tc.before {
				p.prev = map[string]bool{mr: true}
			}
			if tc.started {
				p.call(c, model.Call{Kind: model.CallStartAgent, BeadID: mr}, model.Result{}, c.now)
			}
			p.tick(c, &tickView{db: db})
			wantFired(t, c, PropReviewHasReviewer, tc.fires)
		})
	}
}
