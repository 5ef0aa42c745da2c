package scenarios

import (
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// PropCappedWorkFailed names the attempt cap's edge of BD-1 and BD-2.
const PropCappedWorkFailed = "safety/capped-work-failed"

// cappedWorkProp: work that has used up its dispatch attempts is failed
// by the very reconcile that reads it so (reconciler.md §2.2):
//   - BD-1: an open, unassigned issue in a rig, not held, not a triage
//     request, with no live blocker and no staged convoy, whose attempts
//     reached its rig's max_dispatch_attempts (else the configured cap);
//     BD-1 looks at nothing while the town drains;
//   - BD-2: an open bead an idle agent other than a refinery is hooked
//     to, whose attempts reached the configured cap — draining or not.
//
// The rows are read unmetered (DB.ObserveRows) right after the reconcile, the state it
// read, and the reconcile's actions must fail each such bead. A cap that
// is checked too late or never only delays the failure (BD-1 may fail
// the bead some ticks on), so no liveness bound notices it: this edge
// does. The drain flag is the port's own (res.Draining), read only to
// leave BD-1's rows alone while the town drains.
type cappedWorkProp struct {
	bd1     []cappedMiss // BD-1 rows the last reconcile left alive
	judged  int
	pending bool
}

// cappedMiss is a capped bead the reconcile did not fail.
type cappedMiss struct{ id, attempts, cap string }

// cappedBD1SQL lists BD-1's candidates at their cap (rowid, id, attempts,
// cap, labels). The rig's override is read from its config row.
const cappedBD1SQL = `SELECT b.rowid, b.bead_id AS id, b.dispatch_attempts AS attempts,
		COALESCE(json_extract(r.config, '$.max_dispatch_attempts'), ?) AS cap, b.labels AS labels
	FROM beads b LEFT JOIN rigs r ON r.id = b.rig_id
	WHERE b.type = 'issue' AND b.status = 'open' AND b.assignee_agent_bead_id IS NULL
	  AND b.rig_id IS NOT NULL AND b.rig_id != ''
	  AND b.dispatch_attempts >= COALESCE(json_extract(r.config, '$.max_dispatch_attempts'), ?)
	  AND NOT EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads x ON x.bead_id = d.depends_on_bead_id
	    WHERE d.bead_id = b.bead_id AND d.dependency_type = 'blocks' AND x.status NOT IN ('closed', 'failed'))
	  AND NOT EXISTS (SELECT 1 FROM bead_dependencies d JOIN convoy_metadata cm ON cm.bead_id = d.depends_on_bead_id
	    WHERE d.bead_id = b.bead_id AND d.dependency_type = 'tracks' AND cm.staged = 1)
	ORDER BY b.bead_id`

// cappedBD2SQL lists BD-2's hooked beads at the configured cap (rowid,
// id, attempts).
const cappedBD2SQL = `SELECT b.rowid, b.bead_id AS id, b.dispatch_attempts AS attempts
	FROM agent_metadata a JOIN beads b ON b.bead_id = a.current_hook_bead_id
	WHERE a.status = 'idle' AND a.role != 'refinery' AND b.status = 'open' AND b.dispatch_attempts >= ?
	ORDER BY b.bead_id`

func (p *cappedWorkProp) reconciled(c *checker, db *model.DB, acts []reconciler.Action) {
	p.pending, p.bd1 = true, p.bd1[:0]
	limit := c.world.Town().Knobs().MaxDispatchAttempts
	failed := map[string]bool{}
	for _, a := range acts {
		if a.Type == reconciler.TransitionBead && a.To == model.StatusFailed {
			failed[a.BeadID] = true
		}
	}
	bd1, err := db.ObserveRows(cappedBD1SQL, limit, limit)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	for _, r := range opRowsOf(bd1) {
		if hasAnyLabel(r["labels"], model.LabelHeld, model.LabelTriageRequest) {
			continue
		}
		p.judged++
		if !failed[r["id"]] {
			p.bd1 = append(p.bd1, cappedMiss{id: r["id"], attempts: r["attempts"], cap: r["cap"]})
		}
	}
	bd2, err := db.ObserveRows(cappedBD2SQL, limit)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	for _, r := range opRowsOf(bd2) {
		p.judged++
		if !failed[r["id"]] {
			c.violation(PropCappedWorkFailed, r["id"], "bead %s, hooked to an idle agent, had used %s dispatch attempts "+
				"(the cap is %d) and BD-2's reconcile did not fail it", short(r["id"]), r["attempts"], limit)
		}
	}
}

func (p *cappedWorkProp) tick(c *checker, t *tickView) {
	if !p.pending {
		return
	}
	p.pending = false
	if t.res != nil && t.res.Draining {
		return // BD-1 is paused while the town drains
	}
	for _, m := range p.bd1 {
		c.violation(PropCappedWorkFailed, m.id, "issue %s, open and unassigned, had used %s dispatch attempts "+
			"(its rig's cap is %s) and BD-1's reconcile did not fail it", short(m.id), m.attempts, m.cap)
	}
}

func (p *cappedWorkProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no open bead reached its dispatch attempt cap where BD-1 or BD-2 reads it"
	}
	return ""
}
