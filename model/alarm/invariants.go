package alarm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/townsim/townsim/model"
)

// Violation is one broken invariant (reconciler.md §4.1): its number in
// production's numbering and the message production reports.
type Violation struct {
	Number  int
	Message string
}

// invariant is one check of §4.1: its number, its query and how a result
// row becomes a message.
type invariant struct {
	number  int
	query   string
	message func(a, b string) string
}

// invariants are production's checks in evaluation order: 7, 5, 3, 6, 4.
// Each query selects one or two text columns; counts are read as text.
var invariants = []invariant{
	{7, `SELECT bead_id, '' FROM agent_metadata
		WHERE status = 'working' AND current_hook_bead_id IS NULL AND role != 'mayor'`,
		func(id, _ string) string { return fmt.Sprintf("Working agent %s has no hook", id) }},
	{5, `SELECT bead_id, status FROM beads
		WHERE type = 'convoy' AND status NOT IN ('open', 'in_progress', 'in_review', 'closed', 'failed')`,
		func(id, status string) string {
			return fmt.Sprintf("Convoy bead %s is in unexpected state '%s'", id, status)
		}},
	{3, `SELECT rig_id AS rig_id, count(*) AS cnt FROM beads
		WHERE type = 'merge_request' AND status = 'in_progress' AND rig_id IS NOT NULL
		GROUP BY rig_id HAVING count(*) > 1`,
		func(rig, n string) string {
			return fmt.Sprintf("Rig %s has %s in_progress MR beads (should be at most 1)", rig, n)
		}},
	{6, `SELECT current_hook_bead_id AS hook, count(*) AS cnt FROM agent_metadata
		WHERE current_hook_bead_id IS NOT NULL
		GROUP BY current_hook_bead_id HAVING count(*) > 1`,
		func(hook, n string) string {
			return fmt.Sprintf("Bead %s has %s agents hooked (should be at most 1)", hook, n)
		}},
	{4, `SELECT b.bead_id, '' FROM beads b
		WHERE b.type = 'issue' AND b.status = 'in_review'
		  AND NOT EXISTS (
		    SELECT 1 FROM bead_dependencies bd
		    INNER JOIN beads mr ON mr.bead_id = bd.bead_id
		    WHERE bd.depends_on_bead_id = b.bead_id
		      AND bd.dependency_type = 'tracks'
		      AND mr.type = 'merge_request'
		      AND mr.status IN ('open', 'in_progress'))`,
		func(id, _ string) string {
			return fmt.Sprintf("Issue bead %s is in_review but has no open/in_progress MR bead", id)
		}},
}

// CheckInvariants evaluates production's runtime invariants over the
// current state (reconciler.md §4.1), in production's order: all #7
// violations, then #5, #3, #6, #4. It only reads; nothing is repaired.
func CheckInvariants(t *model.Town) ([]Violation, error) {
	var out []Violation
	for _, inv := range invariants {
		rows, err := t.DB().Query(inv.query)
		if err != nil {
			return nil, fmt.Errorf("invariant #%d: %w", inv.number, err)
		}
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				rows.Close()
				return nil, fmt.Errorf("invariant #%d: %w", inv.number, err)
			}
			out = append(out, Violation{Number: inv.number, Message: inv.message(a, b)})
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("invariant #%d: %w", inv.number, err)
		}
	}
	return out, nil
}

// checkAndReport is T11: check the invariants (a failure is only logged)
// and report the violations — one analytics event through the Town's
// emitter with every message, and one error-level message per violation.
func checkAndReport(t *model.Town, rec recorder) {
	err := t.Fault(model.FPInvariants, "")
	var vs []Violation
	if err == nil {
		vs, err = CheckInvariants(t)
	}
	if err != nil {
		rec.log("T11 invariant check failed: %v", err)
		return
	}
	rec.res.Violations = vs
	rec.res.Metrics.InvariantViolations = len(vs)
	if len(vs) == 0 {
		return
	}
	townID := t.KV().TownID
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = "[" + strconv.Itoa(v.Number) + "] " + v.Message
	}
	rec.emit(model.AnalyticsEvent{Event: "reconciler.invariant_violations", TownID: townID,
		Label: strings.Join(parts, "; "), Value: float64(len(vs))})
	for _, v := range vs {
		n := strconv.Itoa(v.Number)
		rec.report(model.ErrorReport{
			Level:   "error",
			Message: fmt.Sprintf("Reconciler invariant #%d violated: %s", v.Number, v.Message),
			Extra:   [][2]string{{"invariant", n}, {"message", v.Message}, {"townId", townID}},
			Tags:    [][2]string{{"invariant", n}, {"townId", townID}},
		})
	}
}
