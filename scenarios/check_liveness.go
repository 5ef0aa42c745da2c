package scenarios

import (
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// The liveness family: something good eventually happens — issues
// settle, the event queue drains, nothing flaps, dispatch attempts stay
// bounded, no bead starves.

// livenessState is what the liveness family keeps across ticks.
type livenessState struct {
	status     map[string]string      // bead or agent id → last status
	changes    map[string][]time.Time // id → recent status change times
	dispatches map[[2]any]int         // (bead, hour) → dispatch_agent count
}

func newLivenessState() livenessState {
	return livenessState{status: map[string]string{}, changes: map[string][]time.Time{}, dispatches: map[[2]any]int{}}
}

// livenessAction judges one action the tick's reconcile emitted: a retry
// storm is too many dispatches of one bead in a simulated hour.
func (c *checker) livenessAction(a reconciler.Action, hour int) {
	if a.Type != reconciler.DispatchAgent {
		return
	}
	c.dispatches[[2]any{a.BeadID, hour}]++
	if n := c.dispatches[[2]any{a.BeadID, hour}]; n > c.b.DispatchesPerBeadHour {
		c.violation(PropRetryStorm, a.BeadID, "%d dispatches of bead %s in simulated hour %d (bound %d)",
			n, short(a.BeadID), hour, c.b.DispatchesPerBeadHour)
	}
}

// checkPendingAfterTick: past the heal time and its grace, a tick leaves
// few events pending.
func (c *checker) checkPendingAfterTick(rec *sim.TickRecord) {
	if !c.now.Before(c.healAt.Add(c.b.Grace)) && rec.Metrics.PendingEventCount > c.b.PendingEvents {
		c.violation(PropQueueDrains, "", "%d events pending after a tick, past the heal time (bound %d)",
			rec.Metrics.PendingEventCount, c.b.PendingEvents)
	}
}

// trackStatuses follows every bead's and agent's status for flapping. An
// agent's status is read with its hook, so an agent that moves on to new
// work is not flapping; one that goes back and forth on the same hook is.
func (c *checker) trackStatuses(db *model.DB) {
	rows, err := db.Query(`SELECT bead_id, status FROM beads WHERE type != 'agent'
		UNION ALL SELECT 'agent:' || bead_id, status || ' hooked to ' || COALESCE(current_hook_bead_id, 'nothing')
		FROM agent_metadata`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id, st string
		if rows.Scan(&id, &st) != nil {
			continue
		}
		old, ok := c.status[id]
		c.status[id] = st
		if !ok || old == st {
			continue
		}
		// A flap is the same transition again and again: count this
		// transition's repeats within the window.
		tr := old + " -> " + st
		ch := append(c.changes[id+"\x00"+tr], c.now)
		for len(ch) > 0 && c.now.Sub(ch[0]) > c.b.FlapWindow {
			ch = ch[1:]
		}
		c.changes[id+"\x00"+tr] = ch
		if len(ch) > c.b.FlapChanges {
			kind, bare := "bead", id
			if a, ok := strings.CutPrefix(id, "agent:"); ok {
				kind, bare = "agent", a
			}
			c.violation(PropFlap, bare, "%s %s went %s %d times in %s", kind, short(bare), tr, len(ch), c.b.FlapWindow)
		}
	}
}

// settledBefore reports whether every issue created before t is terminal
// or in an expected status.
func (c *checker) settledBefore(w *sim.World, t time.Time) bool {
	for _, is := range w.Issues() {
		if !is.CreatedAt.Before(t) {
			break
		}
		if !c.settled(w, is.ID) {
			return false
		}
	}
	return true
}

// livenessAtEnd judges settling, the queue and starvation over the run.
func (c *checker) livenessAtEnd(w *sim.World, db *model.DB) {
	end := c.now
	// Settle: issues whose deadline fell inside the run are terminal.
	for _, is := range w.Issues() {
		from := is.CreatedAt
		if from.Before(c.healAt) {
			from = c.healAt
		}
		if from.Add(c.b.Settle).After(end) {
			continue
		}
		st := c.beadStatus(db, is.ID)
		if st != "" && !c.settled(w, is.ID) {
			c.violation(PropSettle, is.ID, "issue %s (%s, created %s) is still %s at the end, past its deadline %s",
				short(is.ID), is.Kind, is.CreatedAt.Format(time.RFC3339), st, from.Add(c.b.Settle).Format(time.RFC3339))
		}
	}
	// The queue drains once settled.
	if end.Sub(c.healAt) >= c.b.Settle {
		if n, _ := db.Int(`SELECT count(*) FROM town_events WHERE processed_at IS NULL`); n > c.b.PendingEvents {
			c.violation(PropQueueDrains, "", "%d events still pending at the end (bound %d)", n, c.b.PendingEvents)
		}
	}
	// Starvation: a non-terminal bead untouched for the bound after the heal.
	if end.Sub(c.healAt) >= c.b.Starvation {
		cut := model.ISO(end.Add(-c.b.Starvation))
		ids, _ := db.Strings(`SELECT bead_id FROM beads WHERE type IN ('issue', 'merge_request')
			AND status NOT IN ('closed', 'failed') AND updated_at < ? ORDER BY bead_id`, cut)
		for _, id := range ids {
			if slices.Contains(c.b.NonTerminal, c.beadStatus(db, id)) {
				continue
			}
			c.violation(PropStarvation, id, "bead %s unchanged since before %s", short(id), cut)
		}
	}
}
