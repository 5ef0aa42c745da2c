package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// checkQuietWeek: the town worked, then idled for a week at the idle
// cadence.
func checkQuietWeek(t *testing.T, r *run) {
	if r.res.Beads.Closed == 0 {
		t.Errorf("no issue closed: %+v", r.res.Beads)
	}
	if n := len(r.grep("action", "delete_agent")); n == 0 {
		t.Errorf("GC deleted no agent in the idle week")
	}
	if r.res.Ticks > 4000 {
		t.Errorf("%d ticks in a quiet week; want the idle cadence (about 2,000)", r.res.Ticks)
	}
}

// liveness/processed-events-pruned: in a real quiet week the first day's
// processed events are gone; a processed event created before the
// retention fires the property, a pending one does not.
func TestEventsPrunedFires(t *testing.T) {
	c, db := passedRun(t, "quiet-week", 0)
	exec, one := rowsOf(t, db)
	first := c.cfg.Start.Add(time.Hour)
	if n, err := db.Int(`SELECT count(*) FROM town_events WHERE created_at < ?`, model.ISO(first)); err != nil || n != 0 {
		t.Fatalf("%d events of the first hour kept after a week (%v)", n, err)
	}
	old := model.ISO(c.now.Add(-eventRetention - 2*time.Hour))
	tests := []struct {
		name      string
		processed any
		fires     bool
	}{
		{"a pending old event is kept", nil, false},
		{"a processed old event is kept", old, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec(`INSERT INTO town_events (event_id, event_type, agent_id, bead_id, payload, created_at, processed_at)
				VALUES ('old-event', 'agent_done', NULL, NULL, '{}', ?, ?)`, old, tt.processed)
			defer exec(`DELETE FROM town_events WHERE event_id = 'old-event'`)
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropEventsPruned).(*eventsPrunedProp)
			c.ticks = 12
			p.tick(c, &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, w: c.world, db: db})
			if p.judged == 0 {
				t.Fatal("not judged")
			}
			fired := len(c.failures) == 1 && c.failures[0].Property == PropEventsPruned
			if fired != tt.fires || (!tt.fires && len(c.failures) != 0) {
				t.Errorf("fired %v, want %v (%v)", fired, tt.fires, c.failures)
			}
		})
	}

	// The early edge: a watched processed event that vanishes younger
	// than the retention fires, unless its bead went with it; one past
	// the retention may go.
	bead := one(`SELECT bead_id FROM beads ORDER BY bead_id LIMIT 1`)
	early := []struct {
		name   string
		age    time.Duration
		beadID any
		fires  bool
	}{
		{"a six-day-old event pruned", 6 * 24 * time.Hour, nil, true},
		{"a six-day-old event of a deleted bead", 6 * 24 * time.Hour, "gone-bead", false},
		{"a six-day-old event of a live bead pruned", 6 * 24 * time.Hour, bead, true},
		{"an event past the retention pruned", eventRetention + time.Minute, nil, false},
	}
	for _, tt := range early {
		t.Run(tt.name, func(t *testing.T) {
			created := model.ISO(c.now.Add(-tt.age))
			exec(`INSERT INTO town_events (event_id, event_type, agent_id, bead_id, payload, created_at, processed_at)
				VALUES ('young-event', 'agent_done', NULL, ?, '{}', ?, ?)`, tt.beadID, created, created)
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropEventsPruned).(*eventsPrunedProp)
			c.ticks = 12
			view := &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, w: c.world, db: db}
			p.tick(c, view)
			if _, ok := p.watched["young-event"]; !ok {
				t.Fatal("the event is not watched")
			}
			exec(`DELETE FROM town_events WHERE event_id = 'young-event'`)
			c.failures, c.seen = nil, map[string]bool{}
			p.tick(c, view)
			fired := len(c.failures) == 1 && c.failures[0].Property == PropEventsPruned
			if fired != tt.fires || (!tt.fires && len(c.failures) != 0) {
				t.Errorf("fired %v, want %v (%v)", fired, tt.fires, c.failures)
			}
		})
	}
}

// checkMRBlockedByReview: users made several merge requests wait for
// another issue under review.
func checkMRBlockedByReview(t *testing.T, r *run) {
	n := 0
	for _, l := range r.grep("rpc", "op=update_bead", "depends_on=") {
		if traceField(l.text, "err") == "" {
			n++
		}
	}
	if n < 3 {
		t.Errorf("%d merge requests made to wait for another issue; want several", n)
	}
}
