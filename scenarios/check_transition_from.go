package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// PropTransitionFrom names the promise that a rule's transition starts
// where the rule saw its bead or agent.
const PropTransitionFrom = "safety/transition-from-what-was-read"

// transitionFromProp: every rule of §2 that moves a bead or an agent
// selects it by its status, and its transition names that status as the
// one it leaves (the rule tables of reconciler.md give each rule's
// from-status: BD-1 open → failed, BD-3 in_progress → open/failed, BD-4
// in_review → open/failed, RQ-2/RQ-3 in_progress → open, RQ-5/RQ-FT
// open → in_progress, AG-1 working → idle, ...). So a transition action
// whose from-status is given (not production's null) must name a bead or
// agent that was in that status when the reconcile read the Town: a rule
// that names one in another status selected it wrongly, even where the
// apply then changes nothing (an open MR "reopened").
//
// Judged on the Town's rows read between the reconcile and the apply of
// the same tick (the Town is unchanged in between), against the actions.
// RQ-OR's second transition, which reopens the orphaned MR's source
// issue, names in_review without reading the source's status (reconciler.md
// §2.3, RQ-OR): it is judged too, and what it does to a source in another
// status is the subject of a finding, not of a loosened oracle.
type transitionFromProp struct {
	pending []Violation // seen at the reconcile, reported when the tick ends
	judged  int
}

func newTransitionFromProp() property { return &transitionFromProp{} }

// reconciled reads the status of every bead and agent a transition names,
// right after the reconcile that named it.
func (p *transitionFromProp) reconciled(c *checker, db *model.DB, acts []reconciler.Action) {
	var beads, agents []string
	for _, a := range acts {
		switch {
		case a.Type == reconciler.TransitionBead && !a.FromNull && a.From != "":
			beads = append(beads, a.BeadID)
		case a.Type == reconciler.TransitionAgent && !a.FromNull && a.From != "":
			agents = append(agents, a.AgentID)
		}
	}
	if len(beads)+len(agents) == 0 {
		return
	}
	beadStatus := observeStatus(c, db, "beads", "bead_id", beads)
	agentStatus := observeStatus(c, db, "agent_metadata", "bead_id", agents)
	for _, a := range acts {
		if a.FromNull || a.From == "" {
			continue
		}
		var id, kind string
		var status map[string]string
		switch a.Type {
		case reconciler.TransitionBead:
			id, kind, status = a.BeadID, "bead", beadStatus
		case reconciler.TransitionAgent:
			id, kind, status = a.AgentID, "agent", agentStatus
		default:
			continue
		}
		p.judged++
		got, ok := status[id]
		switch {
		case !ok:
			got = "missing"
		case got == a.From:
			continue
		}
		p.pending = append(p.pending, Violation{Property: PropTransitionFrom, Entity: id, Rule: a.Rule,
			Detail: fmt.Sprintf("%s moves %s %s from %s to %s, but the reconcile read it %s",
				a.Rule, kind, short(id), a.From, a.To, got)})
	}
}

// everyTick reports, as of the tick's end, what its reconcile named
// wrongly.
func (p *transitionFromProp) everyTick(c *checker, _ *sim.TickRecord, _ *sim.World) {
	for _, v := range p.pending {
		v.At, v.Tick = c.now, c.ticks
		c.add(v)
	}
	p.pending = p.pending[:0]
}

// observeStatus reads the status column of the rows of table whose key is
// in ids, unmetered (the tick's cost figures must not change).
func observeStatus(c *checker, db *model.DB, table, key string, ids []string) map[string]string {
	out := map[string]string{}
	if len(ids) == 0 {
		return out
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	q := "SELECT rowid, " + key + ", status FROM " + table + " WHERE " + key + " IN (?" + strings.Repeat(",?", len(ids)-1) + ")"
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.ObserveRows(q, args...)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return out
	}
	for _, r := range opRowsOf(rows) {
		out[r[key]] = r["status"]
	}
	return out
}

// unjudged: no transition with a from-status was emitted in the run.
func (p *transitionFromProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no rule moved a bead or agent from a named status"
	}
	return ""
}
