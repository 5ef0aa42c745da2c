package scenarios

import (
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// statusLogProp: every status_changed event of the audit log is a
// change production's guarded path can make (model.md §4.2): its old
// and new status differ (an unchanged status writes nothing) and its old
// status is not closed or failed (terminal states are immutable through
// updateBeadStatus; the direct writes that reopen beads log no event).
// Judged at the end over the whole log.
type statusLogProp struct{ events int }

func (p *statusLogProp) end(c *checker, _ *sim.World, db *model.DB) {
	p.events, _ = db.Int(`SELECT count(*) FROM bead_events WHERE event_type = 'status_changed'`)
	for _, pr := range c.pairs(db, `SELECT bead_id, COALESCE(old_value, 'NULL') || ' → ' || COALESCE(new_value, 'NULL') FROM bead_events
		WHERE event_type = 'status_changed' AND (old_value IS new_value OR old_value IN ('closed', 'failed'))
		ORDER BY created_at, bead_id`) {
		c.violation(PropStatusLog, pr[0], "bead %s has a status_changed event %s, which the guarded path never writes", short(pr[0]), pr[1])
	}
}

func (p *statusLogProp) unjudged(*checker) string {
	if p.events == 0 {
		return "no status_changed event"
	}
	return ""
}
