package scenarios

import (
	"database/sql"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// PropReviewOffPops names what a refinery may be given in a rig whose
// code review is off.
const PropReviewOffPops = "safety/review-off-pops-only-system-work"

// reviewOffPopsProp: in a rig with code review off, RQ-5 pops for the
// refinery only the merge requests the spec leaves to it there: landing
// MRs (created by the system) and review-and-merge children (whose parent
// is a review-and-merge convoy); every other open MR is RQ-FT's (it has a
// PR: straight to polling) or RQ-OR's (it has none: failed), never a
// refinery's (reconciler.md §2.3 groups 2 and 3). Whether code review is
// off comes from the rig's own override row, else the town's setting as
// the world configured it, else on (never from the port's codeReview).
// It reads the tick's RQ-5 actions and, for each, the MR's creator, its
// parent's merge mode and its rig's override.
type reviewOffPopsProp struct{ judged int }

func (p *reviewOffPopsProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Rule != "RQ-5" || a.Type != reconciler.TransitionBead || a.BeadID == "" {
		return
	}
	var rig, createdBy, mode sql.NullString
	var off int
	err := t.db.QueryRow(`SELECT b.rig_id, b.created_by,
			(SELECT m.merge_mode FROM convoy_metadata m WHERE m.bead_id = b.parent_bead_id),
			`+c.reviewOffSQL("b.rig_id")+`
		FROM beads b WHERE b.bead_id = ? AND b.type = 'merge_request'`,
		[]any{a.BeadID}, &rig, &createdBy, &mode, &off)
	if err != nil || !rig.Valid || off == 0 {
		return // deleted since, not an MR, rigless, or code review on
	}
	p.judged++
	if createdBy.String == "system" || mode.String == model.MergeModeReviewAndMerge {
		return
	}
	c.violation(PropReviewOffPops, a.BeadID, "RQ-5 popped merge request %s (created by %q, parent merge mode %q) for a refinery in rig %s, whose code review is off: only landing MRs and review-and-merge children go to a refinery there",
		short(a.BeadID), createdBy.String, mode.String, short(rig.String))
}

func (p *reviewOffPopsProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "RQ-5 popped no merge request in a rig with code review off"
	}
	return ""
}
