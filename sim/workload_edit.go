package sim

import (
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// EditRequest is a user's edit of an issue through production's tRPC
// updateBead (workload.edit): new title, description and priority, a
// parent issue, and for some the status closed (the user closes it from
// the edit form), with what the user saw before and after.
type EditRequest struct {
	// Bead is the edited issue; At when the edit reached the Town.
	Bead string
	At   time.Time
	// Title, Body, Priority and Parent are the values the user sent.
	Title, Body, Priority, Parent string
	// Status is the status the user sent ("" = none).
	Status string
	// StatusBefore is the issue's status just before the edit.
	StatusBefore string
	// After is the issue's row just after it: title, body, priority,
	// parent, status and updated_at ("" for NULL); nil when the row is gone.
	After []string
}

// EditRequests returns the users' edits, in order.
func (w *World) EditRequests() []EditRequest { return w.edits }

// maybeEdit draws (from its own stream, so that other draws do not move)
// whether a user edits the issue, and schedules it. Nothing is drawn
// while Edit is 0.
func (u *workload) maybeEdit(rec *issueRec) {
	if u.cfg.Edit == 0 {
		return
	}
	r := u.w.src.Stream("workload/edit")
	if !r.Bool(u.cfg.Edit) {
		return
	}
	closeIt := r.Bool(u.cfg.EditClose)
	u.w.eng.After(u.cfg.EditAfter.Sample(r), func() { u.edit(rec, closeIt) })
}

// edit sends one user's updateBead on the issue. Its parent is the
// previous issue the users created in the same rig, if any.
func (u *workload) edit(rec *issueRec, closeIt bool) {
	w := u.w
	if rec.id == "" || rec.deleted {
		return
	}
	db := w.town.DB()
	before := w.status(rec.id)
	if before == "" {
		return
	}
	w.editSeq++
	n := strconv.Itoa(w.editSeq)
	req := EditRequest{Bead: rec.id, At: w.eng.Now(), Title: "Edited issue " + n, Body: "Edited description " + n,
		Priority: [...]string{"low", "high", "critical"}[w.editSeq%3], StatusBefore: before}
	if ps, err := db.Strings(`SELECT p.bead_id FROM beads p, beads b WHERE b.bead_id = ? AND p.type = 'issue'
		AND p.rig_id = b.rig_id AND p.created_at < b.created_at AND p.bead_id != b.bead_id
		ORDER BY p.created_at DESC, p.bead_id LIMIT 1`, rec.id); err == nil && len(ps) == 1 {
		req.Parent = ps[0]
	}
	f := model.BeadFields{Title: &req.Title, Body: &req.Body, Priority: &req.Priority}
	if req.Parent != "" {
		f.ParentID = &req.Parent
	}
	if closeIt && !model.Terminal(before) {
		req.Status = model.StatusClosed
		f.Status = &req.Status
		rec.cancel = req.Status
	}
	w.rpcEnv("update_bead", func() error {
		return w.town.UpdateBead(w.env, rec.id, f, nil, "user")
	}, func() []des.Field {
		return []des.Field{des.F("bead", rec.id), des.F("edit", n), des.F("status", req.Status)}
	})
	if rows, err := db.Strings(`SELECT title || char(9) || COALESCE(body, '') || char(9) || priority || char(9)
		|| COALESCE(parent_bead_id, '') || char(9) || status || char(9) || updated_at FROM beads WHERE bead_id = ?`, rec.id); err == nil && len(rows) == 1 {
		req.After = strings.Split(rows[0], "\t")
	}
	w.edits = append(w.edits, req)
}
