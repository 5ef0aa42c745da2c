package scenarios

import (
	"database/sql"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// PropReviewOffRulesWhereOff names the promise that the rules of a rig
// without code review act only there.
const PropReviewOffRulesWhereOff = "safety/review-off-rules-only-where-off"

// reviewOffRulesProp: RQ-FT (fast-track an open MR with a PR to polling)
// and RQ-OR (fail an open PR-less MR a polecat made) are the rules of a
// rig whose code review is off (reconciler.md §2.3 group 2): they never
// name a merge request of a rig whose code review is on — there a
// refinery reviews every task MR — nor one of another type. RQ-FT names
// only an MR with a PR URL, RQ-OR's first transition only one without.
// Neither names a child of a review-and-merge convoy, which a refinery
// reviews even there (RQ-5 pops it), and RQ-OR never a merge request the
// system created (a landing MR: no polecat was to open its PR).
// Whether code review is off comes from the rig's own override row, else
// the town's setting as the world configured it, else on (never from the
// port's codeReview). It reads the tick's RQ-FT and RQ-OR transitions and,
// for each, the bead's type, rig, override, PR URL, creator and parent's
// merge mode.
type reviewOffRulesProp struct{ judged int }

func (p *reviewOffRulesProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Type != reconciler.TransitionBead || a.Rule != "RQ-FT" && !(a.Rule == "RQ-OR" && a.From == model.StatusOpen) {
		return
	}
	var typ, rig, url, createdBy, mode sql.NullString
	var off int
	err := t.db.QueryRow(`SELECT b.type, b.rig_id, (SELECT rm.pr_url FROM review_metadata rm WHERE rm.bead_id = b.bead_id),
			b.created_by, (SELECT m.merge_mode FROM convoy_metadata m WHERE m.bead_id = b.parent_bead_id),
			`+c.reviewOffSQL("b.rig_id")+`
		FROM beads b WHERE b.bead_id = ?`, []any{a.BeadID}, &typ, &rig, &url, &createdBy, &mode, &off)
	if err != nil {
		return // deleted since
	}
	p.judged++
	var detail string
	switch {
	case typ.String != model.TypeMergeRequest:
		detail = a.Rule + " moved " + short(a.BeadID) + ", a " + typ.String + ", not a merge request"
	case off == 0:
		detail = a.Rule + " moved merge request " + short(a.BeadID) + " of rig " + short(rig.String) + ", whose code review is on: a refinery reviews it there"
	case a.Rule == "RQ-FT" && !url.Valid:
		detail = "RQ-FT fast-tracked merge request " + short(a.BeadID) + ", which has no PR to poll"
	case a.Rule == "RQ-OR" && url.Valid:
		detail = "RQ-OR failed merge request " + short(a.BeadID) + " as PR-less, but it has PR " + url.String
	case mode.String == model.MergeModeReviewAndMerge:
		detail = a.Rule + " moved merge request " + short(a.BeadID) + ", a child of a review-and-merge convoy: a refinery reviews it even where code review is off"
	case a.Rule == "RQ-OR" && createdBy.String == "system":
		detail = "RQ-OR failed merge request " + short(a.BeadID) + ", which the system created (a landing MR), as a polecat's missing PR"
	default:
		return
	}
	c.add(Violation{Property: PropReviewOffRulesWhereOff, At: c.now, Tick: c.ticks, Entity: a.BeadID, Rule: a.Rule, Detail: detail})
}

func (p *reviewOffRulesProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "neither RQ-FT nor RQ-OR moved a merge request"
	}
	return ""
}
