package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// unpollable-pr-fails-at-first-poll fires on a merge request left in
// progress for 100 s of ticks with a PR URL the town can never poll, over
// the rows of a short real default run (a GitHub town with a stored token
// and no GitLab rig); a GitHub PR URL, or an MR that leaves in_progress
// after 30 s, keeps it quiet.
func TestUnpollableFailsFastFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	mr := one(`SELECT b.bead_id FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' ORDER BY b.bead_id LIMIT 1`)
	start := c.now
	for _, tc := range []struct {
		name, url string
		leaves    time.Duration // the MR leaves in_progress this long after the first tick (0: never)
		fires     bool
	}{
		{"another forge", "https://git.mirror.example/org/repo/pull/3", 0, true},
		{"a GitLab MR without a GitLab token", "https://gitlab.com/org/repo/-/merge_requests/3", 0, true},
		{"a GitHub PR with a token", "https://github.com/org/repo/pull/3", 0, false},
		{"failed at its first poll", "https://git.mirror.example/org/repo/pull/4", 30 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT unpollable`)
			defer db.Exec(`ROLLBACK TO unpollable`)
			defer func() { c.now = start }()
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, mr)
			exec(`UPDATE review_metadata SET pr_url = ? WHERE bead_id = ?`, tc.url, mr)
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropUnpollableFailsFast).(*unpollableFailsFastProp)
			view := &tickView{db: db, res: &alarm.TickResult{Ran: true}, rec: &sim.TickRecord{}}
			for i := 0; i <= 20; i++ {
				c.now = start.Add(time.Duration(i) * 5 * time.Second)
				if tc.leaves > 0 && c.now.Sub(start) >= tc.leaves {
					exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, mr)
				}
				p.tick(c, view)
			}
			wantFired(t, c, PropUnpollableFailsFast, tc.fires)
		})
	}
}
