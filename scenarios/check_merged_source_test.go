package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// safety/merged-review-closes-source fires on a merged issue sent back to
// work or left in review past BD-4's freshness, and stays quiet on the
// real rows, on an issue in review still fresh or with a review open, and
// on reopened work whose reviews all failed.
func TestMergedSourceClosesFires(t *testing.T) {
	c, db := passedRun(t, "default", 0)
	exec, one := rowsOf(t, db)
	issue := one(`SELECT b.bead_id FROM beads b WHERE b.type = 'issue' AND b.status = 'closed'
		AND EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
		  WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks' AND m.status = 'closed')
		ORDER BY b.bead_id LIMIT 1`)
	mrs := `(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks')`
	updated := one(`SELECT updated_at FROM beads WHERE bead_id = ?`, issue)
	at := c.now.Add(time.Hour)
	old, fresh := model.ISO(at.Add(-10*time.Minute)), model.ISO(at.Add(-2*time.Minute))
	tests := []struct {
		name    string
		status  string // the issue's, with updated_at
		at      string
		mrState string // every tracking MR's ("" unchanged)
		extraMR string // one tracking MR's other status ("" none)
		fires   bool
	}{
		{"the real rows pass", "closed", updated, "", "", false},
		{"merged, sent back to open", "open", old, "", "", true},
		{"merged, sent back to work", "in_progress", old, "", "", true},
		{"merged, in review past a reconcile", "in_review", old, "closed", "", true},
		{"merged, in review and fresh", "in_review", fresh, "closed", "", false},
		{"merged, in review with a review still open", "in_review", old, "closed", "open", false},
		{"reviews all failed, reopened", "open", old, "failed", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := map[string]string{}
			for _, m := range c.pairs(db, `SELECT bead_id, status FROM beads WHERE bead_id IN `+mrs, issue) {
				saved[m[0]] = m[1]
			}
			exec(`UPDATE beads SET status = ?, updated_at = ? WHERE bead_id = ?`, tt.status, tt.at, issue)
			if tt.mrState != "" {
				exec(`UPDATE beads SET status = ? WHERE bead_id IN `+mrs, tt.mrState, issue)
			}
			if tt.extraMR != "" { // a second review of the issue, still going
				exec(`INSERT INTO beads (bead_id, type, status, title, created_at, updated_at) VALUES ('zz-mr', 'merge_request', ?, 'x', ?, ?)`,
					tt.extraMR, tt.at, tt.at)
				exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES ('zz-mr', ?, 'tracks')`, issue)
			}
			defer func() {
				exec(`UPDATE beads SET status = 'closed', updated_at = ? WHERE bead_id = ?`, updated, issue)
				for id, st := range saved {
					exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, st, id)
				}
				exec(`DELETE FROM bead_dependencies WHERE bead_id = 'zz-mr'`)
				exec(`DELETE FROM beads WHERE bead_id = 'zz-mr'`)
			}()
			c.failures, c.seen, c.lastRan = nil, map[string]bool{}, true
			c.now = at
			p := &mergedSourceProp{}
			p.tick(c, &tickView{rec: &sim.TickRecord{At: at, End: at}, res: &alarm.TickResult{Ran: true}, w: c.world, db: db,
				byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}})
			if fired := len(c.failures) > 0; fired != tt.fires {
				t.Errorf("fired %v, want %v: %v", fired, tt.fires, c.failures)
			}
			for _, v := range c.failures {
				if v.Property != PropMergedSourceCloses || v.Entity != issue {
					t.Errorf("unexpected violation %s on %s", v.Property, v.Entity)
				}
			}
		})
	}
}
