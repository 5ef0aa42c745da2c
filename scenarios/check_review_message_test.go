package scenarios

import (
	"strings"
	"testing"
)

// checkLateDoneDirect: refineries' late gt_done calls reach the Town after
// their hook was cleared, with and without a summary.
func checkLateDoneDirect(t *testing.T, r *run) {
	if n := len(r.grep("rpc", "op=agent_done", "summary=")); n < 5 {
		t.Errorf("%d gt_done calls with a summary; want several", n)
	}
	if r.res.World.Faults["late_done"] < 5 {
		t.Errorf("late gt_done faults %v; want several", r.res.World.Faults)
	}
}

// safety/review-outcome-explained fires on hand-made violations over the
// rows of a real late-done-direct run: a review_completed event without a
// message, and a review a refinery's summary completed recording another
// message.
func TestReviewExplainedFires(t *testing.T) {
	c, db := passedRun(t, "late-done-direct", 0)
	exec, one := rowsOf(t, db)
	// The run reaches the refinery's gt_done after hook loss (the review
	// failed with the summary or production's default text).
	if n, err := db.Int(`SELECT count(*) FROM beads WHERE type = 'escalation'
		AND json_extract(metadata, '$.kind') = 'refinery_unhooked_done'`); err != nil || n == 0 {
		t.Fatalf("no refinery's gt_done failed its review after hook loss (%d, %v)", n, err)
	}
	merged := one(`SELECT bead_event_id FROM bead_events WHERE event_type = 'review_completed' AND new_value = 'merged'
		ORDER BY created_at LIMIT 1`)
	summarised := one(`SELECT bead_event_id FROM bead_events WHERE event_type = 'review_completed'
		AND json_extract(metadata, '$.message') LIKE 'Work summary %' ORDER BY created_at LIMIT 1`)
	tests := []struct {
		name, event, metadata string
		fires                 bool
	}{
		{"the real rows pass", merged, "", false},
		{"no message", merged, `{}`, true},
		{"an empty message", merged, `{"message": ""}`, true},
		{"the summary replaced by another text", summarised, `{"message": "Merged by refinery agent"}`, true},
		{"an empty commit SHA nobody reported", merged, `{"message": "PR merged", "commit_sha": ""}`, true},
		{"a commit SHA nobody reported", merged, `{"message": "PR merged", "commit_sha": "abc123"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := one(`SELECT metadata FROM bead_events WHERE bead_event_id = ?`, tt.event)
			if tt.metadata != "" {
				exec(`UPDATE bead_events SET metadata = ? WHERE bead_event_id = ?`, tt.metadata, tt.event)
				defer exec(`UPDATE bead_events SET metadata = ? WHERE bead_event_id = ?`, before, tt.event)
			}
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropReviewExplained).(*reviewExplainedProp)
			p.end(c, c.world, db)
			fired := false
			for _, v := range c.failures {
				fired = fired || v.Property == PropReviewExplained
				if v.Property != PropReviewExplained || !strings.Contains(v.Detail, "review") {
					t.Errorf("unexpected violation %s: %s", v.Property, v.Detail)
				}
			}
			if fired != tt.fires {
				t.Errorf("fired %v, want %v (%v)", fired, tt.fires, c.failures)
			}
		})
	}
}
