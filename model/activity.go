package model

import "time"

// HasActiveWork decides the alarm cadence (reconciler.md §1.6), evaluated
// lazily in production's order. The stalled window uses the virtual clock
// where production reads SQLite's.
func (t *Town) HasActiveWork(now time.Time) (bool, error) {
	checks := []struct {
		q    string
		args []any
	}{
		{`SELECT 1 FROM agent_metadata WHERE status = 'working' OR (status = 'stalled' AND last_activity_at > ?) LIMIT 1`,
			[]any{ISO(now.Add(-30 * time.Minute))}},
		{`SELECT 1 FROM agent_metadata WHERE status = 'idle' AND current_hook_bead_id IS NOT NULL LIMIT 1`, nil},
		{`SELECT 1 FROM beads WHERE type = 'merge_request' AND status IN ('open', 'in_progress') LIMIT 1`, nil},
		{`SELECT 1 FROM beads WHERE type = 'issue' AND status = 'open' AND labels LIKE ? LIMIT 1`, []any{triageRequestLike}},
		{`SELECT 1 FROM beads WHERE type = 'issue' AND status = 'open' AND rig_id IS NOT NULL AND assignee_agent_bead_id IS NULL LIMIT 1`, nil},
	}
	for _, c := range checks {
		n, err := t.db.Int(c.q, c.args...)
		if err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}
