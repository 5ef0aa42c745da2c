package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// invariant-4-before-bd4 explains an issue left in review by a merge
// request that a side effect failed a moment ago, not one whose merge
// request RQ-OR failed (RQ-OR reopens the issue in the same reconcile),
// unless a fault of the Town's code cut that tick.
func TestInvariant4NotAfterOrphanCleanup(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	mr := one(`SELECT d.bead_id FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
		WHERE d.dependency_type = 'tracks' AND m.type = 'merge_request' ORDER BY d.bead_id LIMIT 1`)
	issue := one(`SELECT depends_on_bead_id FROM bead_dependencies WHERE bead_id = ? AND dependency_type = 'tracks'`, mr)
	f := finding(t, "invariant-4-before-bd4")
	for _, tc := range []struct {
		name, reason string
		fault        bool
		applies      bool
	}{
		{"failed by a PR poll (a side effect)", "", false, true},
		{"failed by RQ-OR", "MR bead has no pr_url and code review is disabled — polecat failed to create PR", false, false},
		{"failed by RQ-OR in a cut tick", "MR bead has no pr_url and code review is disabled — polecat failed to create PR", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT orphan`)
			defer db.Exec(`ROLLBACK TO orphan`)
			defer func() { c.faultTimes = map[string][]time.Time{} }()
			now := model.ISO(c.now)
			exec(`UPDATE beads SET status = 'failed', updated_at = ? WHERE bead_id IN
				(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks')`, now, issue)
			exec(`UPDATE beads SET status = 'in_review', updated_at = ? WHERE bead_id = ?`, now, issue)
			exec(`INSERT INTO bead_events (bead_event_id, bead_id, agent_id, event_type, old_value, new_value, metadata, created_at)
				VALUES ('ev-orphan-test', ?, 'system', 'status_changed', 'open', 'failed', json_object('reason', ?), ?)`, mr, tc.reason, now)
			if tc.fault {
				c.faultTimes = map[string][]time.Time{model.FPApplyAction: {c.now.Add(-10 * time.Second)}}
			}
			v := Violation{Property: PropInvariant, At: c.now, Entity: "#4 " + issue}
			if got := f.Applies(v, c); got != tc.applies {
				t.Errorf("applies = %v, want %v", got, tc.applies)
			}
		})
	}
}
