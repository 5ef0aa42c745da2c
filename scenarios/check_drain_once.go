package scenarios

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
)

// PropDrainSettles names the drain's promise about each queued event.
const PropDrainSettles = "safety/drain-settles-each-event"

// drainSettlesProp: the alarm's Phase 0 drain reads every pending event
// and settles each one exactly once (model.md §5.3, reconciler.md T7):
//   - an event is marked processed once: a processed_at, once seen, never
//     changes (an event is not applied again), and it is never earlier
//     than the event's created_at;
//   - after a tick whose drain ran — the tick returned, and neither the
//     drain's read nor the rig list or config read before it failed — no
//     event created before the tick began is still pending: the drain
//     applied it, or skipped it for good because its bead or agent is
//     missing (an event about an agent or bead that is gone is skipped
//     without error, not retried);
//   - an event whose application failed otherwise (the world's failpoint
//     that throws half-way through it, by the event's id) is left pending
//     for the next tick, not marked processed.
//
// Judged from the town_events rows each tick (created_at, processed_at)
// against the tick's start and the world's code faults (kind, target,
// time).
type drainSettlesProp struct {
	processed map[string]string // event id → processed_at as first seen
	last      string            // the previous tick's end (ISO)
	judged    int
}

func newDrainSettlesProp() property { return &drainSettlesProp{processed: map[string]string{}} }

func (p *drainSettlesProp) tick(c *checker, t *tickView) {
	since := p.last
	p.last = model.ISO(c.now)
	for _, e := range c.pairs(t.db, `SELECT event_id, created_at || char(9) || processed_at FROM town_events
		WHERE processed_at IS NOT NULL AND processed_at >= ? ORDER BY rowid`, since) {
		id := e[0]
		created, at, _ := strings.Cut(e[1], "\t")
		if prev, ok := p.processed[id]; ok {
			if prev != at {
				c.violation(PropDrainSettles, id, "event %s was marked processed at %s and again at %s", short(id), prev, at)
			}
			continue
		}
		p.processed[id] = at
		if at < created {
			c.violation(PropDrainSettles, id, "event %s created at %s was marked processed earlier, at %s", short(id), created, at)
		}
	}
	if t.res == nil || !t.res.Ran || t.rec.Threw || c.faultNear(t.rec.At, c.now, model.FPDrainRead, model.FPRigList, model.FPConfigRead) {
		return
	}
	p.judged++
	// The events whose application a failpoint cut in this tick: one
	// thrown half-way must stay pending (retried next tick), one thrown
	// as "not found" must be processed (skipped for good).
	failed, missing := map[string]bool{}, map[string]bool{}
	if t.w != nil {
		for _, h := range t.w.CodeFaultHits() {
			if h.At.Before(t.rec.At) || h.At.After(c.now) {
				continue
			}
			switch h.Kind {
			case model.FPEventApply:
				failed[h.Target] = true
			case model.FPEventNotFound:
				missing[h.Target] = true
			}
		}
	}
	for _, e := range c.pairs(t.db, `SELECT event_id, event_type || ' created ' || created_at FROM town_events
		WHERE processed_at IS NULL AND created_at < ? ORDER BY created_at, rowid`, model.ISO(t.rec.At)) {
		if failed[e[0]] && !missing[e[0]] {
			continue
		}
		c.violation(PropDrainSettles, e[0], "event %s (%s) was pending when the tick of %s began and is still pending after its drain ran",
			short(e[0]), e[1], t.rec.At.Format(time.RFC3339))
	}
	for _, id := range slices.Sorted(maps.Keys(failed)) {
		if missing[id] {
			continue
		}
		for _, e := range c.pairs(t.db, `SELECT event_id, event_type || ' processed ' || processed_at FROM town_events
			WHERE event_id = ? AND processed_at IS NOT NULL`, id) {
			c.violation(PropDrainSettles, e[0], "event %s (%s) failed to apply in the tick of %s (not a missing agent or bead) and was marked processed instead of being retried",
				short(e[0]), e[1], t.rec.At.Format(time.RFC3339))
		}
	}
}

func (p *drainSettlesProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no tick ran its drain cleanly"
	}
	return ""
}
