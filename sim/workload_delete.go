package sim

import (
	"time"

	"github.com/townsim/townsim/des"
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

// routeDelete sends one deleteBead naming rig.
func (u *workload) routeDelete(rec *issueRec, rig, beadRig string, pending int) {
	w := u.w
	if rec.deleted {
		return
	}
	req := DeleteRequest{Bead: rec.id, Rig: rig, BeadRig: beadRig, At: w.eng.Now(), RowBefore: w.status(rec.id) != ""}
	w.rpc("delete_bead", func(now time.Time) error {
		ok, err := w.town.DeleteBead(now, rec.id, rig)
		rec.deleted = ok
		return err
	}, des.F("bead", rec.id), des.F("pending", pending), des.F("rig", rig))
	req.RowAfter = w.status(rec.id) != ""
	w.deletes = append(w.deletes, req)
	if rec.deleted {
		w.stats.Deletions++
		if pending > 0 {
			w.stats.DeletedWithPending++
		}
	}
}
