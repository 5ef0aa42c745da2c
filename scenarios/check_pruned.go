package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
)

// PropEventsPruned names the retention of processed town events.
const PropEventsPruned = "liveness/processed-events-pruned"

// eventsPrunedBound is how long past the retention a processed event may
// stay: the alarm prunes on every tick's housekeeping (T15, model.md §6.1),
// so an hour leaves room for an idle cadence and cut housekeeping.
const eventsPrunedBound = time.Hour

// eventsPrunedProp: a processed town event is deleted once it is older
// than the retention (7 days, model.md §6.1: the alarm's housekeeping
// prunes processed events by their creation time; pending ones are kept)
// plus eventsPrunedBound; judged from the events' own created_at and
// processed_at every 12 ticks, once the run is that long.
type eventsPrunedProp struct{ judged int }

func (p *eventsPrunedProp) tick(c *checker, t *tickView) {
	if c.ticks%12 != 0 {
		return
	}
	cutoff := c.now.Add(-model.EventRetention - eventsPrunedBound)
	if !cutoff.After(c.cfg.Start) {
		return
	}
	p.judged++
	for _, e := range c.pairs(t.db, `SELECT event_id, event_type || ' created ' || created_at || ', processed ' || processed_at
		FROM town_events WHERE processed_at IS NOT NULL AND created_at < ? ORDER BY created_at LIMIT 1`, model.ISO(cutoff)) {
		c.violation(PropEventsPruned, "town", "processed event %s (%s) is still kept at %s, past the retention %s + %s",
			short(e[0]), e[1], c.now.Format(time.RFC3339), model.EventRetention, eventsPrunedBound)
	}
}

func (p *eventsPrunedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "the run is shorter than the event retention (7 days) + 1 h"
	}
	return ""
}
