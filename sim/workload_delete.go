package sim

import (
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// DeleteRequest is a user's tRPC deleteBead through a rig's route
// (workload.delete_wrong_rig), with what the user saw before and after.
type DeleteRequest struct {
	// Bead is the deleted issue's id.
	Bead string
	// Rig is the rig of the route the request named.
	Rig string
	// BeadRig is the issue's rig as the user saw it before the request.
	BeadRig string
	// At is when it was sent.
	At time.Time
	// RowBefore and RowAfter report that the issue's row existed just
	// before and just after the request (the user's view of the page).
	RowBefore, RowAfter bool
	// Bulk reports that the request named a list (DeleteBulk): Bead and
	// Stale, the ids of issues the user had deleted before. Production's
	// tRPC deleteBead sends a list to the Town's deleteBeads.
	Bulk  bool
	Stale []string
	// Reported is the count the request answered the user with (a single
	// delete answers 1 or 0).
	Reported int
	// BeadsBefore and BeadsAfter are the town's bead rows just before and
	// just after the request.
	BeadsBefore, BeadsAfter int
	// Tree is every bead row just before the request: its id, its
	// parent's id and its rig ("" for NULL); Left are the ids of the
	// rows just after it.
	Tree []BeadNode
	Left map[string]bool
}

// BeadNode is one bead row as a delete request saw it.
type BeadNode struct{ ID, Parent, Rig string }

// beadTree reads every bead row's id, parent and rig (nil when the read
// fails).
func (w *World) beadTree() []BeadNode {
	rows, err := w.town.DB().Query(`SELECT bead_id, COALESCE(parent_bead_id, ''), COALESCE(rig_id, '') FROM beads ORDER BY bead_id`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []BeadNode
	for rows.Next() {
		var n BeadNode
		if rows.Scan(&n.ID, &n.Parent, &n.Rig) != nil {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// DeleteRequests returns the users' deletes through rig routes, in order.
func (w *World) DeleteRequests() []DeleteRequest { return w.deletes }

// deleteThroughRoutes is a user's delete of an issue through the route of
// the rig the issue shows; a drawn fraction first goes through another
// rig's route (the user on the wrong rig's page), then a minute later
// through the right one. A bead without a rig is deleted without one.
func (u *workload) deleteThroughRoutes(rec *issueRec, pending int) {
	w := u.w
	r := w.src.Stream("workload/delete-route")
	wrong := r.Bool(u.cfg.DeleteWrongRig)
	own := ""
	if b, err := w.town.GetBead(rec.id); err == nil && b != nil && b.RigID.Valid {
		own = b.RigID.String
	}
	if wrong && own != "" && len(w.rigs) > 1 {
		other := w.rigs[0].id
		for _, g := range w.rigs {
			if g.id != own {
				other = g.id
				break
			}
		}
		u.routeDelete(rec, other, own, pending)
		w.eng.After(time.Minute, func() { u.routeDelete(rec, own, own, pending) })
		return
	}
	u.routeDelete(rec, own, own, pending)
}

// routeDelete sends one deleteBead naming rig: the issue alone, or a
// drawn fraction (DeleteBulk) as a list with issues deleted before.
func (u *workload) routeDelete(rec *issueRec, rig, beadRig string, pending int) {
	w := u.w
	if rec.deleted {
		return
	}
	req := DeleteRequest{Bead: rec.id, Rig: rig, BeadRig: beadRig, At: w.eng.Now(), RowBefore: w.status(rec.id) != ""}
	mayor := u.cfg.DeleteMayor > 0 && w.src.Stream("workload/delete-mayor").Bool(u.cfg.DeleteMayor)
	if mayor {
		// The mayor's bulk-delete tool: a list even of one id.
		req.Stale = w.staleDeleted(w.src.Stream("workload/delete-mayor").IntN(3))
		req.Bulk = true
	} else if u.cfg.DeleteBulk > 0 && w.src.Stream("workload/delete-bulk").Bool(u.cfg.DeleteBulk) {
		req.Stale = w.staleDeleted(2)
		req.Bulk = len(req.Stale) > 0
	}
	req.BeadsBefore = w.beadRows()
	req.Tree = w.beadTree()
	if req.Bulk {
		ids := append([]string{rec.id}, req.Stale...)
		w.rpc("delete_beads", func(now time.Time) error {
			n, err := w.town.DeleteBeads(now, ids, rig)
			if err == nil { // production throws: the user gets an error, never a count
				req.Reported = n
			}
			return err
		}, func() []des.Field {
			f := []des.Field{des.F("bead", rec.id), des.F("stale", len(req.Stale)), des.F("pending", pending), des.F("rig", rig)}
			if mayor {
				f = append(f, des.F("by", "mayor"))
			}
			return f
		}()...)
		rec.deleted = w.status(rec.id) == "" && req.RowBefore
	} else {
		w.rpc("delete_bead", func(now time.Time) error {
			ok, err := w.town.DeleteBead(now, rec.id, rig)
			rec.deleted = ok
			if ok {
				req.Reported = 1
			}
			return err
		}, des.F("bead", rec.id), des.F("pending", pending), des.F("rig", rig))
	}
	req.BeadsAfter = w.beadRows()
	req.Left = map[string]bool{}
	for _, n := range w.beadTree() {
		req.Left[n.ID] = true
	}
	// Issues removed with a deleted parent are the users' deletes too.
	if req.Tree != nil {
		for _, is := range w.issues {
			if is != rec && is.id != "" && !is.deleted && !req.Left[is.id] && slices.ContainsFunc(req.Tree, func(n BeadNode) bool { return n.ID == is.id }) {
				is.deleted = true
			}
		}
	}
	req.RowAfter = w.status(rec.id) != ""
	w.deletes = append(w.deletes, req)
	if rec.deleted {
		w.stats.Deletions++
		if pending > 0 {
			w.stats.DeletedWithPending++
		}
	}
}

// staleDeleted returns up to n ids of issues users deleted through a
// route before, the latest first.
func (w *World) staleDeleted(n int) []string {
	var out []string
	for i := len(w.deletes) - 1; i >= 0 && len(out) < n; i-- {
		if r := w.deletes[i]; r.RowBefore && !r.RowAfter && !slices.Contains(out, r.Bead) {
			out = append(out, r.Bead)
		}
	}
	return out
}

// beadRows counts the town's bead rows (-1 when the read fails).
func (w *World) beadRows() int {
	n, err := w.town.DB().Int(`SELECT count(*) FROM beads`)
	if err != nil {
		return -1
	}
	return n
}

// AgentDelete is a user's tRPC deleteAgent of a polecat that has just
// reported gt_done (workload.delete_agent) or is at work
// (workload.delete_agent_mid_work), with what the user saw, and
// the admin's stale force reset of the same id that may follow
// (workload.stale_agent_reset).
type AgentDelete struct {
	// Agent is the deleted agent's id; Hook the bead it was hooked to
	// just before ("" = none) and HookStatus that bead's status then.
	Agent, Hook, HookStatus string
	// HookStatusAfter is the hooked bead's status just after the delete
	// ("" = no row).
	HookStatusAfter string
	// ReopenedInReview are the issues assigned to the agent that were in
	// review just before the delete (production's deleteAgent reopens
	// every unfinished bead assigned to the agent, in_review included).
	ReopenedInReview []string
	// OthersBefore and OthersAfter list, just before and just after the
	// delete, every other bead not assigned to the agent before it, with
	// its status and assignee (id:status:assignee, by id): a delete
	// touches only the agent and the beads assigned to it.
	OthersBefore, OthersAfter string
	// MidWork reports that the agent was deleted while its process was
	// still at work (workload.delete_agent_mid_work), not as it reported
	// done.
	MidWork bool
	// At is when the delete was sent; Err its error ("" = none).
	At  time.Time
	Err string
	// RowBefore and RowAfter report that the agent's row existed just
	// before and just after the delete.
	RowBefore, RowAfter bool
	// Reset reports that an admin force-reset the id afterwards, at
	// ResetAt, with ResetErr ("" = none); RowAfterReset reports that the
	// agent's row existed just after it.
	Reset         bool
	ResetAt       time.Time
	ResetErr      string
	RowAfterReset bool
}

// AgentDeletes returns the users' agent deletes, in order.
func (w *World) AgentDeletes() []*AgentDelete { return w.agentDeletes }

// deleteAgentOnDone draws whether the user deletes the agent that has just
// reported gt_done, at once.
func (u *workload) deleteAgentOnDone(agentID string) {
	if u.cfg.DeleteAgent == 0 || u.w.DeletedAgent(agentID) {
		return
	}
	if r := u.w.src.Stream("workload/delete-agent"); r.Bool(u.cfg.DeleteAgent) {
		u.deleteAgent(agentID, false)
	}
}

// maybeDeleteAgentMidWork draws whether the user deletes the agent of a
// polecat process that has begun work d long, and schedules the delete
// halfway through it (the process is not told and works on).
func (u *workload) maybeDeleteAgentMidWork(p *process, d time.Duration) {
	if u.cfg.DeleteAgentMidWork == 0 {
		return
	}
	if r := u.w.src.Stream("workload/delete-agent-mid-work"); !r.Bool(u.cfg.DeleteAgentMidWork) {
		return
	}
	u.w.eng.After(d/2, func() {
		if p.state == procRunning && p.stuckAt.IsZero() {
			u.deleteAgent(p.agentID, true)
		}
	})
}

// maybeDeleteObserved draws whether the user deletes the polecat whose
// container status the alarm's T4 is awaiting (workload.
// delete_agent_while_observed), when the container answers that its
// process is not running: the delete is served before the answer
// reaches the alarm, which then records the answer for an agent that is
// gone. The mayor's own status calls (which name its role) are left out.
func (u *workload) maybeDeleteObserved(c model.Call, r model.Result) {
	if u.cfg.DeleteAgentWhileObserved == 0 || c.Role != "" {
		return
	}
	if r.Err == "" && r.StatusCode == 200 && r.Status == "running" {
		return
	}
	if a, err := u.w.town.GetAgent(c.AgentID); err != nil || a == nil || a.Role != model.RolePolecat {
		return
	}
	if r := u.w.src.Stream("workload/delete-agent-observed"); r.Bool(u.cfg.DeleteAgentWhileObserved) {
		u.deleteAgent(c.AgentID, false)
	}
}

// deleteAgent is a user's tRPC deleteAgent, recorded; a drawn fraction
// (StaleAgentReset) is followed a minute later by an admin's force reset
// of the same id from a list loaded before the delete.
func (u *workload) deleteAgent(agentID string, midWork bool) {
	w := u.w
	d := &AgentDelete{Agent: agentID, At: w.eng.Now(), MidWork: midWork}
	if a, err := w.town.GetAgent(agentID); err == nil && a != nil {
		d.RowBefore = true
		if a.Hook.Valid {
			d.Hook = a.Hook.String
			d.HookStatus = w.status(d.Hook)
		}
	}
	d.ReopenedInReview, _ = w.town.DB().Strings(`SELECT bead_id FROM beads WHERE assignee_agent_bead_id = ?
		AND status = 'in_review' ORDER BY bead_id`, agentID)
	mine, _ := w.town.DB().Strings(`SELECT bead_id FROM beads WHERE assignee_agent_bead_id = ? ORDER BY bead_id`, agentID)
	d.OthersBefore = w.otherBeads(agentID, mine)
	err := w.rpc("delete_agent", func(now time.Time) error {
		return w.town.DeleteAgent(now, agentID)
	}, des.F("agent", agentID), des.F("hook", d.Hook), des.F("mid_work", midWork))
	d.Err = errText(err)
	d.RowAfter = w.agentRow(agentID)
	d.OthersAfter = w.otherBeads(agentID, mine)
	if d.Hook != "" {
		d.HookStatusAfter = w.status(d.Hook)
	}
	w.agentDeletes = append(w.agentDeletes, d)
	if u.cfg.StaleAgentReset == 0 || !w.src.Stream("workload/stale-agent-reset").Bool(u.cfg.StaleAgentReset) {
		return
	}
	w.eng.After(time.Minute, func() {
		d.Reset, d.ResetAt = true, w.eng.Now()
		err := w.rpc("admin_force_reset_agent", func(now time.Time) error {
			if err := w.town.UnhookBead(now, agentID); err != nil {
				return err
			}
			return w.town.UpdateAgentStatus(now, agentID, model.AgentIdle)
		}, des.F("agent", agentID))
		d.ResetErr = errText(err)
		d.RowAfterReset = w.agentRow(agentID)
	})
}

// ReopenedFromReview reports that a user's agent delete reopened the bead
// while it was in review.
func (w *World) ReopenedFromReview(bead string) bool {
	for _, d := range w.agentDeletes {
		if slices.Contains(d.ReopenedInReview, bead) {
			return true
		}
	}
	return false
}

// DeletedAgent reports that a user deleted the agent (its row went).
func (w *World) DeletedAgent(id string) bool {
	for _, d := range w.agentDeletes {
		if d.Agent == id && d.RowBefore && !d.RowAfter {
			return true
		}
	}
	return false
}

// otherBeads lists every bead other than the agent and not among
// mine (the beads assigned to it before the delete), with its status and
// assignee, by id ("?" when the read fails).
func (w *World) otherBeads(agentID string, mine []string) string {
	rows, err := w.town.DB().Strings(`SELECT bead_id || ':' || status || ':' || COALESCE(assignee_agent_bead_id, '')
		FROM beads WHERE bead_id != ? ORDER BY bead_id`, agentID)
	if err != nil {
		return "?"
	}
	out := rows[:0]
	for _, r := range rows {
		id, _, _ := strings.Cut(r, ":")
		if !slices.Contains(mine, id) {
			out = append(out, r)
		}
	}
	return strings.Join(out, ",")
}

// agentRow reports that the agent's row exists.
func (w *World) agentRow(id string) bool {
	a, err := w.town.GetAgent(id)
	return err == nil && a != nil
}
