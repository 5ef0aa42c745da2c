package scenarios

import (
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
)

// PropEventsPruned names the retention of processed town events.
const PropEventsPruned = "liveness/processed-events-pruned"

// eventRetention is the retention of processed town events the spec
// gives (7 days, model.md §6.1), stated here rather than read from the
// port's eventRetention, so that a port with the wrong constant is
// judged against the spec's.
const eventRetention = 7 * 24 * time.Hour

// eventsPrunedBound is how long past the retention a processed event may
// stay: the alarm prunes on every tick's housekeeping (T15, model.md §6.1),
// so an hour leaves room for an idle cadence and cut housekeeping.
const eventsPrunedBound = time.Hour

// eventsPrunedWatch is the age from which the early edge watches a
// processed event: a prune whose cutoff is a day or more short of the
// retention deletes such events, so a day is enough to see it, and runs
// shorter than a day pay nothing.
const eventsPrunedWatch = 24 * time.Hour

// eventsPrunedProp judges both edges of the retention of processed town
// events (7 days, model.md §6.1: the alarm's housekeeping prunes processed
// events by their creation time; pending ones are kept), from the events'
// own created_at and processed_at every 12 ticks. Late edge: a processed
// event older than the retention plus eventsPrunedBound is gone, once the
// run is that long. Early edge: a processed event at least a day old that
// vanishes while it is younger than the retention (at the judging tick's
// clock, the latest any prune can have used) was pruned too early, unless
// its bead or agent row is gone too (a delete takes the entity's events).
type eventsPrunedProp struct {
	judged int
	// watched holds the processed events at least eventsPrunedWatch old
	// at the last judgement: id → created_at, bead and agent.
	watched map[string][3]string
}

func (p *eventsPrunedProp) tick(c *checker, t *tickView) {
	if c.ticks%12 != 0 {
		return
	}
	p.earlyEdge(c, t)
	cutoff := c.now.Add(-eventRetention - eventsPrunedBound)
	if !cutoff.After(c.cfg.Start) {
		return
	}
	p.judged++
	for _, e := range c.pairs(t.db, `SELECT event_id, event_type || ' created ' || created_at || ', processed ' || processed_at
		FROM town_events WHERE processed_at IS NOT NULL AND created_at < ? ORDER BY created_at LIMIT 1`, model.ISO(cutoff)) {
		c.violation(PropEventsPruned, "town", "processed event %s (%s) is still kept at %s, past the retention %s + %s",
			short(e[0]), e[1], c.now.Format(time.RFC3339), eventRetention, eventsPrunedBound)
	}
}

// earlyEdge compares the watched events with the rows now.
func (p *eventsPrunedProp) earlyEdge(c *checker, t *tickView) {
	watchFrom := c.now.Add(-eventsPrunedWatch)
	if !watchFrom.After(c.cfg.Start) {
		return
	}
	rows, err := t.db.Query(`SELECT event_id, created_at, COALESCE(bead_id, ''), COALESCE(agent_id, '')
		FROM town_events WHERE processed_at IS NOT NULL AND created_at < ?`, model.ISO(watchFrom))
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	now := map[string][3]string{}
	for rows.Next() {
		var id string
		var e [3]string
		if rows.Scan(&id, &e[0], &e[1], &e[2]) == nil {
			now[id] = e
		}
	}
	rows.Close()
	young := model.ISO(c.now.Add(-eventRetention))
	for _, id := range slices.Sorted(maps.Keys(p.watched)) {
		e := p.watched[id]
		if _, kept := now[id]; kept || e[0] < young {
			continue
		}
		if (e[1] != "" && !c.beadExists(t.db, e[1])) || (e[2] != "" && !c.beadExists(t.db, e[2])) {
			continue // deleted with its bead or agent
		}
		c.violation(PropEventsPruned, "town", "processed event %s (created %s) was deleted by %s, younger than the retention %s",
			short(id), e[0], c.now.Format(time.RFC3339), eventRetention)
	}
	p.watched = now
}

func (p *eventsPrunedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "the run is shorter than the event retention (7 days) + 1 h"
	}
	return ""
}

// beadExists reports whether the bead (or agent) row id is still there.
func (c *checker) beadExists(db *model.DB, id string) bool {
	n, err := db.Int(`SELECT count(*) FROM beads WHERE bead_id = ?`, id)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return true
	}
	return n > 0
}
