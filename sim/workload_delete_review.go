package sim

import "time"

// deleteInReview is the users looking at their issues in review every
// 10 s: each is seen once, and a fraction (DeleteInReview) is deleted at
// once (u.delete, so through the rig's route when DeleteWrongRig is on)
// while its merge request is still open or in review. The merge request
// is not a descendant of the issue and stays.
func (u *workload) deleteInReview() {
	w := u.w
	w.eng.After(10*time.Second, u.deleteInReview)
	if w.closed || !w.destroyedAt.IsZero() {
		return
	}
	ids, err := w.town.DB().Strings(`SELECT bead_id FROM beads WHERE type = 'issue' AND status = 'in_review'
		ORDER BY bead_id`)
	if err != nil {
		return
	}
	if u.reviewSeen == nil {
		u.reviewSeen = map[string]bool{}
	}
	r := w.src.Stream("workload/delete-in-review")
	for _, id := range ids {
		if u.reviewSeen[id] {
			continue
		}
		u.reviewSeen[id] = true
		if !r.Bool(u.cfg.DeleteInReview) {
			continue
		}
		for _, rec := range w.issues {
			if rec.id == id {
				u.delete(rec)
				break
			}
		}
	}
}
