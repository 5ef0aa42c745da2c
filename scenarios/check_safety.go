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
// assignee disagrees with, a user's issue gone. Safety keeps no state of
// its own: each tick is judged as it is (graced conditions aside).

// safetyAction judges one action the tick's reconcile emitted.
func (c *checker) safetyAction(a reconciler.Action, res *alarm.TickResult) {
	if a.Type == reconciler.DispatchAgent && res.Draining {
		c.violation(PropDrainDispatch, a.BeadID, "dispatch_agent for bead %s emitted while draining", short(a.BeadID))
	}
}

// checkInvariants reports each production invariant the tick's T11 saw.
func (c *checker) checkInvariants(res *alarm.TickResult) {
	for _, v := range res.Violations {
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

// checkIssuesExist: every issue the users created is still a row (no
// rule of the port deletes an issue).
func (c *checker) checkIssuesExist(w *sim.World, db *model.DB) {
	for _, is := range w.Issues() {
		if !is.Deleted && c.beadStatus(db, is.ID) == "" {
			c.violation(PropBeadLost, is.ID, "issue %s (%s, created %s) is no longer in the database",
				short(is.ID), is.Kind, is.CreatedAt.Format(time.RFC3339))
		}
	}
}

// checkWorldOwners: at most one live process works on a bead.
func (c *checker) checkWorldOwners(procs []sim.ProcessView, holds map[string]bool) {
	byBead := map[string][]string{}
	for _, p := range procs {
		if p.Live && !p.Draining && p.BeadID != "" && (p.Role == model.RolePolecat || p.Role == model.RoleRefinery) {
			byBead[p.BeadID] = append(byBead[p.BeadID], p.AgentID)
		}
	}
	for _, bead := range slices.Sorted(maps.Keys(byBead)) {
		if agents := byBead[bead]; len(agents) > 1 {
			c.graced(PropOneOwner, bead, fmt.Sprintf("bead %s has %d live processes (agents %s)",
				short(bead), len(agents), join(agents)), holds)
		}
	}
}

// checkDB judges the harness invariants the Town's database shows.
func (c *checker) checkDB(db *model.DB, holds map[string]bool) {
	pairs := func(q string) [][2]string {
		rows, err := db.Query(q)
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
	for _, p := range pairs(`SELECT a.bead_id, b.bead_id FROM agent_metadata a
		JOIN beads b ON b.bead_id = a.current_hook_bead_id
		WHERE a.status = 'working' AND b.status IN ('closed', 'failed') ORDER BY a.bead_id`) {
		c.graced(PropTerminalWork, p[0], fmt.Sprintf("agent %s works on terminal bead %s", short(p[0]), short(p[1])), holds)
	}
	for _, p := range pairs(`SELECT a.bead_id, hb.bead_id FROM agent_metadata a
		JOIN beads ab ON ab.bead_id = a.bead_id
		JOIN beads hb ON hb.bead_id = a.current_hook_bead_id
		WHERE a.role IN ('polecat', 'refinery') AND hb.rig_id IS NOT NULL AND ab.rig_id IS NOT hb.rig_id
		ORDER BY a.bead_id`) {
		c.graced(PropRigMatch, p[0], fmt.Sprintf("agent %s is hooked to bead %s of another rig", short(p[0]), short(p[1])), holds)
	}
	for _, p := range pairs(`SELECT a.bead_id, b.bead_id FROM agent_metadata a
		JOIN beads b ON b.bead_id = a.current_hook_bead_id
		WHERE a.role IN ('polecat', 'refinery') AND b.status NOT IN ('closed', 'failed')
		  AND b.assignee_agent_bead_id IS NOT a.bead_id
		ORDER BY a.bead_id`) {
		c.graced(PropHookAssignee, p[0], fmt.Sprintf("agent %s is hooked to bead %s, whose assignee is another", short(p[0]), short(p[1])), holds)
	}
}
