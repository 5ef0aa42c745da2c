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

// The stamp lands on the claim's canonical bead: the item's convoy when a
// convoy carries it, otherwise the claim's earliest-created bead.
func TestWastelandStampOnCanonicalBead(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	first := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY created_at, bead_id LIMIT 1`)
	later := one(`SELECT bead_id FROM beads WHERE type = 'issue' AND created_at > (SELECT created_at FROM beads WHERE bead_id = ?)
		ORDER BY created_at LIMIT 1`, first)
	const tag = `{"wasteland":{"kind":"wanted-item-claim","wasteland_id":"w","item_id":"i"}}`
	const stamped = `{"wasteland":{"kind":"wanted-item-claim","wasteland_id":"w","item_id":"i","reported_done_at":"2026-01-01T00:00:00.000Z"}}`
	for _, tc := range []struct {
		name          string
		first, later  string
		laterIsConvoy bool
		fires         bool
	}{
		{"stamp on the claim's first bead", stamped, tag, false, false},
		{"stamp on a later bead of the claim", tag, stamped, false, true},
		{"stamp on the claim's convoy", tag, stamped, true, false},
		{"stamp on an issue beside the claim's convoy", stamped, tag, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			exec(`UPDATE beads SET metadata = ? WHERE bead_id = ?`, tc.first, first)
			exec(`UPDATE beads SET metadata = ? WHERE bead_id = ?`, tc.later, later)
			typ := "issue"
			if tc.laterIsConvoy {
				typ = "convoy"
			}
			exec(`UPDATE beads SET type = ? WHERE bead_id = ?`, typ, later)
			p := propByName(t, PropWastelandStampOnTag).(*wastelandStampProp)
			p.end(c, c.world, db)
			wantFired(t, c, PropWastelandStampOnTag, tc.fires)
		})
	}
}
