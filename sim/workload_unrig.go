package sim

import (
	"database/sql"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// maybeUnrig draws (from its own stream, so that other draws do not
// move) whether a user moves the issue out of its rig, and schedules it.
// Nothing is drawn while Unrig is 0.
func (u *workload) maybeUnrig(rec *issueRec) {
	if u.cfg.Unrig == 0 {
		return
	}
	r := u.w.src.Stream("workload/unrig")
	if !r.Bool(u.cfg.Unrig) {
		return
	}
	u.w.eng.After(u.cfg.UnrigAfter.Sample(r), func() { u.unrig(rec) })
}

// unrig is a user's updateBead with rig_id null on the issue and on the
// merge requests tracking it that are still open, as the user sees them
// listed under the issue.
func (u *workload) unrig(rec *issueRec) {
	w := u.w
	if rec.id == "" || rec.deleted {
		return
	}
	mrs, err := w.town.DB().Strings(`SELECT m.bead_id FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
		WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND m.type = 'merge_request' AND m.status = 'open'
		ORDER BY m.bead_id`, rec.id)
	if err != nil {
		mrs = nil
	}
	// The empty-string move is drawn for an issue without open merge
	// requests only: one on rig '' is popped for review and gets a
	// refinery created on rig '' (RQ-5 reads every non-NULL rig), a
	// production behaviour the world leaves out.
	rig, shown := sql.NullString{}, "null"
	if u.cfg.UnrigEmpty > 0 && len(mrs) == 0 && u.w.src.Stream("workload/unrig-empty").Bool(u.cfg.UnrigEmpty) {
		rig, shown = sql.NullString{Valid: true}, "''"
	}
	for i, id := range append([]string{rec.id}, mrs...) {
		typ := model.TypeIssue
		if i > 0 {
			typ = model.TypeMergeRequest
		}
		w.rpcEnv("update_bead", func() error {
			err := w.town.UpdateBead(w.env, id, model.BeadFields{RigID: &rig}, nil, "user")
			if err == nil && rig.Valid {
				if w.emptyRigMoves == nil {
					w.emptyRigMoves = map[string]time.Time{}
				}
				w.emptyRigMoves[id] = w.eng.Now()
			}
			return err
		}, func() []des.Field { return []des.Field{des.F("bead", id), des.F("type", typ), des.F("rig", shown)} })
	}
}

// EmptyRigMoves returns when a user moved each bead to the empty-string rig
// (workload.unrig_empty); a NULL move is not listed.
func (w *World) EmptyRigMoves() map[string]time.Time { return w.emptyRigMoves }
