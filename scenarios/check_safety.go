package scenarios

import (
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// The safety family: nothing bad ever happens — a production invariant
// broken, two owners of one bead, dispatch while draining, work on a
// terminal bead, an agent on another rig's bead, a hook its bead's
// assignee disagrees with, a user's issue gone. Each tick is judged as it
// is (graced conditions aside).

// invariantProp reports each production invariant the tick's T11 saw.
type invariantProp struct{}

func (invariantProp) tick(c *checker, t *tickView) {
	if t.res == nil {
		return
	}
	for _, v := range t.res.Violations {
		c.violation(PropInvariant, fmt.Sprintf("#%d %s", v.Number, invariantEntity(v)), "invariant #%d: %s", v.Number, v.Message)
	}
}

// invariantEntity is what a production invariant's message names (its
// first id), so each entity is reported once.
func invariantEntity(v alarm.Violation) string {
	for _, f := range strings.Fields(v.Message) {
		if len(f) >= 36 && strings.Count(f, "-") == 4 {
			return f
		}
	}
	return v.Message
}

// drainDispatchProp: no dispatch_agent from a reconcile that saw the
// drain flag.
type drainDispatchProp struct{}

func (drainDispatchProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Type == reconciler.DispatchAgent && t.res.Draining {
		c.violation(PropDrainDispatch, a.BeadID, "dispatch_agent for bead %s emitted while draining", short(a.BeadID))
	}
}

// beadLostProp: every issue the users created is still a row (no rule of
// the port deletes an issue), checked every 12 ticks and at the end.
type beadLostProp struct{}

func (beadLostProp) tick(c *checker, t *tickView) {
	if c.ticks%12 == 0 {
		checkIssuesExist(c, t.w, t.db)
	}
}

func (beadLostProp) end(c *checker, w *sim.World, db *model.DB) { checkIssuesExist(c, w, db) }

func checkIssuesExist(c *checker, w *sim.World, db *model.DB) {
	for _, is := range w.Issues() {
		if !is.Deleted && c.beadStatus(db, is.ID) == "" {
			c.violation(PropBeadLost, is.ID, "issue %s (%s, created %s) is no longer in the database",
				short(is.ID), is.Kind, is.CreatedAt.Format(time.RFC3339))
		}
	}
}

// oneOwnerProp: at most one live process works on a bead.
type oneOwnerProp struct{}

func (oneOwnerProp) tick(c *checker, t *tickView) {
	byBead := map[string][]string{}
	for _, p := range t.procs {
		if p.Live && !p.Draining && p.BeadID != "" && (p.Role == model.RolePolecat || p.Role == model.RoleRefinery) {
			byBead[p.BeadID] = append(byBead[p.BeadID], p.AgentID)
		}
	}
	for _, bead := range slices.Sorted(maps.Keys(byBead)) {
		if agents := byBead[bead]; len(agents) > 1 {
			c.graced(PropOneOwner, bead, fmt.Sprintf("bead %s has %d live processes (agents %s)",
				short(bead), len(agents), join(agents)), t.holds)
		}
	}
}

// dbPairProp is a graced harness invariant the Town's rows show: every
// (agent, bead) pair the query returns breaks it.
type dbPairProp struct {
	name, query, format string
}

func (p dbPairProp) tick(c *checker, t *tickView) {
	for _, pr := range c.pairs(t.db, p.query) {
		c.graced(p.name, pr[0], fmt.Sprintf(p.format, short(pr[0]), short(pr[1])), t.holds)
	}
}

// pairs runs a two-column query.
func (c *checker) pairs(db *model.DB, q string, args ...any) [][2]string {
	rows, err := db.Query(q, args...)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return nil
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var a, b sql.NullString
		if err := rows.Scan(&a, &b); err == nil {
			out = append(out, [2]string{a.String, b.String})
		}
	}
	return out
}

func terminalWorkProp() property {
	return dbPairProp{PropTerminalWork, `SELECT a.bead_id, b.bead_id FROM agent_metadata a
		JOIN beads b ON b.bead_id = a.current_hook_bead_id
		WHERE a.status = 'working' AND b.status IN ('closed', 'failed') ORDER BY a.bead_id`,
		"agent %s works on terminal bead %s"}
}

func rigMatchProp() property {
	return dbPairProp{PropRigMatch, `SELECT a.bead_id, hb.bead_id FROM agent_metadata a
		JOIN beads ab ON ab.bead_id = a.bead_id
		JOIN beads hb ON hb.bead_id = a.current_hook_bead_id
		WHERE a.role IN ('polecat', 'refinery') AND hb.rig_id IS NOT NULL AND hb.rig_id != '' AND ab.rig_id IS NOT hb.rig_id
		ORDER BY a.bead_id`, "agent %s is hooked to bead %s of another rig"}
}

func hookAssigneeProp() property {
	return dbPairProp{PropHookAssignee, `SELECT a.bead_id, b.bead_id FROM agent_metadata a
		JOIN beads b ON b.bead_id = a.current_hook_bead_id
		WHERE a.role IN ('polecat', 'refinery') AND b.status NOT IN ('closed', 'failed')
		  AND b.assignee_agent_bead_id IS NOT a.bead_id
		ORDER BY a.bead_id`, "agent %s is hooked to bead %s, whose assignee is another"}
}
