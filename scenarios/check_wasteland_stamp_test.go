package scenarios

import (
	"testing"
	"time"
)

// safety/wasteland-stamp-only-on-tag fires on a bead whose report stamp
// has no tag naming the item beside it; and not on a stamp inside a full
// tag, or on a bead without a stamp.
func TestWastelandStampOnlyOnTagFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	bead := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	for _, tc := range []struct {
		name  string
		meta  string
		fires bool
	}{
		{"stamp without a tag", `{"wasteland":{"reported_done_at":"2026-01-01T00:00:00.000Z","reported_evidence":"x"}}`, true},
		{"stamp without item_id", `{"wasteland":{"kind":"wanted-item-claim","wasteland_id":"w","reported_done_at":"2026-01-01T00:00:00.000Z"}}`, true},
		{"stamp inside the tag", `{"wasteland":{"kind":"wanted-item-claim","wasteland_id":"w","item_id":"i","reported_done_at":"2026-01-01T00:00:00.000Z"}}`, false},
		{"tag without a stamp", `{"wasteland":{"kind":"wanted-item-claim","wasteland_id":"w","item_id":"i"}}`, false},
		{"no tag", `{}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			exec(`UPDATE beads SET metadata = ? WHERE bead_id = ?`, tc.meta, bead)
			p := propByName(t, PropWastelandStampOnTag).(*wastelandStampProp)
			p.end(c, c.world, db)
			wantFired(t, c, PropWastelandStampOnTag, tc.fires)
		})
	}
}
