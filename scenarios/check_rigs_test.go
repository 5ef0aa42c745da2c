package scenarios

import (
	"testing"
	"time"
)

// bead-rig-exists fires on a bead whose rig names no rig of the town (a
// landing MR on rig ""), not on a bead moved out of every rig (NULL),
// over the rows of a short real default run.
func TestRigExistsFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	for _, tc := range []struct {
		name  string
		rig   any
		fires bool
	}{
		{"an empty rig id", "", true},
		{"a rig that does not exist", "rig-gone", true},
		{"no rig", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.Exec(`SAVEPOINT rigs`); err != nil {
				t.Fatal(err)
			}
			defer db.Exec(`ROLLBACK TO rigs`)
			if _, err := db.Exec(`UPDATE beads SET rig_id = ? WHERE bead_id =
				(SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1)`, tc.rig); err != nil {
				t.Fatal(err)
			}
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropRigExists)
			p.(ender).end(c, c.world, db)
			wantFired(t, c, PropRigExists, tc.fires)
		})
	}
}

// status-change-is-guarded fires on a status_changed event that keeps the
// status or leaves a terminal one, over the rows of a short default run.
func TestStatusLogFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	for _, tc := range []struct {
		name, old, new string
		fires          bool
	}{
		{"an unchanged status", "in_progress", "in_progress", true},
		{"out of a terminal status", "closed", "open", true},
		{"a change", "open", "in_progress", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.Exec(`SAVEPOINT statuslog`); err != nil {
				t.Fatal(err)
			}
			defer db.Exec(`ROLLBACK TO statuslog`)
			if _, err := db.Exec(`INSERT INTO bead_events (bead_event_id, bead_id, agent_id, event_type, old_value, new_value, metadata, created_at)
				SELECT 'ev-status-test', bead_id, 'system', 'status_changed', ?, ?, '{}', created_at FROM beads WHERE type = 'issue'
				ORDER BY bead_id LIMIT 1`, tc.old, tc.new); err != nil {
				t.Fatal(err)
			}
			c.failures, c.seen = nil, map[string]bool{}
			propByName(t, PropStatusLog).(ender).end(c, c.world, db)
			wantFired(t, c, PropStatusLog, tc.fires)
		})
	}
}
