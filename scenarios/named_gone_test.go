package scenarios

import (
	"testing"
	"time"
)

// hand-merged-at-delay reaches what it exists for: the Town's poll that
// a human's hand merge overtook queues pr_auto_merge for a merge request
// that is closed by the time the event is drained.
func TestHandMergedAtDelayReaches(t *testing.T) {
	_, db := passedRun(t, "hand-merged-at-delay", time.Hour)
	n, err := db.Int(`SELECT count(*) FROM town_events e JOIN beads b ON b.bead_id = e.bead_id
		WHERE e.event_type = 'pr_auto_merge' AND b.status = 'closed'
		  AND json_extract(b.metadata, '$.auto_merge_pending') IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("no pr_auto_merge event for a merge request closed before it was applied")
	}
}
