package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
)

// PropMergedSourceCloses names the rule that a merged review closes its
// source: inline, or by BD-4's safety net.
const PropMergedSourceCloses = "safety/merged-review-closes-source"

// mergedSourceProp: a merged review ends its issue. The merge closes the
// source in the same operation (model.md §4.17 5a); when that operation
// is cut after the merge request closed (production has no transactions:
// a throw half-way leaves the merge request closed and the issue in
// review), BD-4 is the safety net (reconciler.md §2.2 BD-4): an issue in
// review whose merge requests all ended, one of them closed, is closed —
// never sent back to work — by the first reconcile that finds it older
// than BD-4's 5 min freshness. So at the end of every tick:
//
//   - no issue with a closed merge request tracking it is open or in
//     progress (neither the merge nor BD-4 sends merged work back), except
//     an issue the world's deleteAgent reopened from review (production's
//     deleteAgent reopens its in-review beads, model.md §4.6);
//   - no issue is still in review when all its merge requests ended, one
//     closed, and its updated_at was more than 5 min (plus a minute's
//     margin) before the tick fired, when that tick reconciled and no
//     reconcile or action fault struck it.
//
// Read from the rows at the tick's end and the world's tick record.
type mergedSourceProp struct{ judged int }

func (p *mergedSourceProp) tick(c *checker, t *tickView) {
	for _, r := range c.pairs(t.db, `SELECT b.bead_id, b.status FROM beads b
		WHERE b.type = 'issue' AND b.status IN ('open', 'in_progress')
		  AND EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
		    WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks'
		      AND m.type = 'merge_request' AND m.status = 'closed')
		ORDER BY b.bead_id`) {
		if t.w.ReopenedFromReview(r[0]) {
			continue
		}
		c.violation(PropMergedSourceCloses, r[0], "issue %s is %s though a merge request tracking it merged (closed)", short(r[0]), r[1])
	}
	if !c.lastRan || c.faultNear(t.rec.At, t.rec.End, model.FPReconcile, model.FPApplyAction) {
		return
	}
	cutoff := model.ISO(t.rec.At.Add(-(5*time.Minute + time.Minute)))
	for _, r := range c.pairs(t.db, `SELECT b.bead_id, b.updated_at FROM beads b
		WHERE b.type = 'issue' AND b.status = 'in_review' AND b.updated_at < ?
		  AND EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
		    WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks'
		      AND m.type = 'merge_request' AND m.status = 'closed')
		  AND NOT EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
		    WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks'
		      AND m.type = 'merge_request' AND m.status NOT IN ('closed', 'failed'))
		ORDER BY b.bead_id`, cutoff) {
		p.judged++
		c.violation(PropMergedSourceCloses, r[0], "issue %s is still in review (since %s) after a reconcile, its merge requests all ended and one merged",
			short(r[0]), r[1])
	}
}
