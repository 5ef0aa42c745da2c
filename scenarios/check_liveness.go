package scenarios

import (
	"fmt"
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

// retryStormProp: a retry storm is too many dispatches of one bead in a
// simulated hour.
type retryStormProp struct {
	dispatches map[[2]any]int // (bead, hour) → dispatch_agent count
	seen       bool
}

func (p *retryStormProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Type != reconciler.DispatchAgent {
		return
	}
	p.seen = true
	k := [2]any{a.BeadID, t.hour}
	p.dispatches[k]++
	if n := p.dispatches[k]; n > c.b.DispatchesPerBeadHour {
		c.violation(PropRetryStorm, a.BeadID, "%d dispatches of bead %s in simulated hour %d (bound %d)",
			n, short(a.BeadID), t.hour, c.b.DispatchesPerBeadHour)
	}
}

func (p *retryStormProp) unjudged(*checker) string {
	if !p.seen {
		return "no dispatch in the run"
	}
	return ""
}

// queueDrainsProp: past the heal time and its grace, a tick leaves few
// events pending, and the end of a settled run too. It counts the
// unprocessed rows of town_events itself, not the tick's metric.
type queueDrainsProp struct{ judged bool }

func (p *queueDrainsProp) tick(c *checker, t *tickView) {
	if c.now.Before(c.healAt.Add(c.b.Grace)) {
		return
	}
	p.judged = true
	if n := pendingEvents(t.db); n > c.b.PendingEvents {
		c.violation(PropQueueDrains, "", "%d events pending after a tick, past the heal time (bound %d)", n, c.b.PendingEvents)
	}
}

func (p *queueDrainsProp) end(c *checker, w *sim.World, db *model.DB) {
	if c.now.Sub(c.healAt) >= c.b.Settle {
		if n := pendingEvents(db); n > c.b.PendingEvents {
			c.violation(PropQueueDrains, "", "%d events still pending at the end (bound %d)", n, c.b.PendingEvents)
		}
	}
}

func (p *queueDrainsProp) unjudged(c *checker) string {
	if !p.judged {
		return "the run ended before heal + grace"
	}
	return ""
}

func pendingEvents(db *model.DB) int {
	n, _ := db.Int(`SELECT count(*) FROM town_events WHERE processed_at IS NULL`)
	return n
}

// flapProp follows every bead's and agent's status for flapping. An
// agent's status is read with its hook, so an agent that moves on to new
// work is not flapping; one that goes back and forth on the same hook is.
type flapProp struct {
	status  map[string]string      // bead or agent id → last status
	changes map[string][]time.Time // id + transition → recent change times
}

func (p *flapProp) tick(c *checker, t *tickView) {
	rows, err := t.db.Query(`SELECT bead_id, status FROM beads WHERE type != 'agent'
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
		old, ok := p.status[id]
		p.status[id] = st
		if !ok || old == st {
			continue
		}
		// A flap is the same transition again and again: count this
		// transition's repeats within the window.
		tr := old + " -> " + st
		ch := append(p.changes[id+"\x00"+tr], c.now)
		for len(ch) > 0 && c.now.Sub(ch[0]) > c.b.FlapWindow {
			ch = ch[1:]
		}
		p.changes[id+"\x00"+tr] = ch
		if len(ch) > c.b.FlapChanges {
			kind, bare := "bead", id
			if a, ok := strings.CutPrefix(id, "agent:"); ok {
				kind, bare = "agent", a
			}
			c.violation(PropFlap, bare, "%s %s went %s %d times in %s", kind, short(bare), tr, len(ch), c.b.FlapWindow)
		}
	}
}

// settleProp: issues whose deadline fell inside the run are terminal.
type settleProp struct{ judged int }

func (p *settleProp) end(c *checker, w *sim.World, db *model.DB) {
	for _, is := range w.Issues() {
		from := is.CreatedAt
		if from.Before(c.healAt) {
			from = c.healAt
		}
		if from.Add(c.b.Settle).After(c.now) {
			continue
		}
		p.judged++
		st := c.beadStatus(db, is.ID)
		if st == "" || st == model.StatusClosed || st == model.StatusFailed {
			continue
		}
		if slices.Contains(c.b.NonTerminal, st) {
			c.loosened("non_terminal", PropSettle)
			continue
		}
		c.violation(PropSettle, is.ID, "issue %s (%s, created %s) is still %s at the end, past its deadline %s",
			short(is.ID), is.Kind, is.CreatedAt.Format(time.RFC3339), st, from.Add(c.b.Settle).Format(time.RFC3339))
	}
}

func (p *settleProp) unjudged(c *checker) string {
	if p.judged == 0 {
		return fmt.Sprintf("no issue's deadline (settle %s after creation or heal) fell inside the run", c.b.Settle)
	}
	return ""
}

// starvationProp: a non-terminal bead untouched for the bound after the
// heal.
type starvationProp struct{}

func (starvationProp) end(c *checker, w *sim.World, db *model.DB) {
	if c.now.Sub(c.healAt) < c.b.Starvation {
		return
	}
	cut := model.ISO(c.now.Add(-c.b.Starvation))
	ids, _ := db.Strings(`SELECT bead_id FROM beads WHERE type IN ('issue', 'merge_request')
		AND status NOT IN ('closed', 'failed') AND updated_at < ? ORDER BY bead_id`, cut)
	for _, id := range ids {
		if slices.Contains(c.b.NonTerminal, c.beadStatus(db, id)) {
			c.loosened("non_terminal", PropStarvation)
			continue
		}
		c.violation(PropStarvation, id, "bead %s unchanged since before %s", short(id), cut)
	}
}

func (starvationProp) unjudged(c *checker) string {
	if c.now.Sub(c.healAt) < c.b.Starvation {
		return fmt.Sprintf("the run ends %s after the heal, before the starvation bound %s",
			c.now.Sub(c.healAt).Truncate(time.Minute), c.b.Starvation)
	}
	return ""
}

// determinismProp is judged by Check itself (a second run).
type determinismProp struct{}

func (determinismProp) unjudged(c *checker) string {
	if !c.opts.Determinism {
		return "CheckOptions.Determinism is off"
	}
	return ""
}
