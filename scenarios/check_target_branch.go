package scenarios

import (
	"database/sql"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropTargetBranch names the target branch check of merge requests.
const PropTargetBranch = "safety/mr-targets-rig-branch"

// targetBranchProp: a merge request asks to merge into the branch its
// work belongs on (model.md §4.15, reconciler.md §2.4 CV-7): the task of
// a convoy that lands as a whole (review-then-land, with a feature
// branch) into that convoy's feature branch; every other merge request —
// a polecat's, a refinery's, a convoy's landing MR — into the default
// branch its rig's user created the rig with, whatever that branch is
// called. The expectation is the world's rig (the branch it created it
// with) and the convoy row the MR's source tracks; judged once per
// merge request, on the first tick after it appeared, while it still
// names a rig of the world (a user may move it out of its rig later). A
// merge request without a review_metadata row has no target at all, which
// only a cut write of the Town's code explains (a fault in the window).
type targetBranchProp struct {
	judged  map[string]bool
	since   time.Time
	checked int
}

// mrTarget is one merge request as the property reads it: its rig, the
// target branch it stores and the feature branch of a review-then-land
// convoy its source tracks ("" = none).
type mrTarget struct {
	id, rig, target, convoyBranch string
	// noMeta: the merge request has no review_metadata row, so no
	// target at all.
	noMeta bool
}

func (p *targetBranchProp) tick(c *checker, t *tickView) {
	if p.judged == nil {
		p.judged = map[string]bool{}
	}
	from := p.since
	p.since = t.rec.At.Add(-time.Minute)
	rows, err := t.db.Query(`SELECT mr.bead_id, mr.rig_id, rm.target_branch,
			(SELECT cm.feature_branch FROM bead_dependencies src
				JOIN bead_dependencies up ON up.bead_id = src.depends_on_bead_id AND up.dependency_type = 'tracks'
				JOIN beads cv ON cv.bead_id = up.depends_on_bead_id AND cv.type = 'convoy'
				JOIN convoy_metadata cm ON cm.bead_id = cv.bead_id
				WHERE src.bead_id = mr.bead_id AND src.dependency_type = 'tracks'
				  AND COALESCE(cm.merge_mode, '') != 'review-and-merge'
				  AND COALESCE(cm.feature_branch, '') != ''
				LIMIT 1)
		FROM beads mr LEFT JOIN review_metadata rm ON rm.bead_id = mr.bead_id
		WHERE mr.type = 'merge_request' AND mr.created_at >= ? ORDER BY mr.bead_id`, model.ISO(from))
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	var list []mrTarget
	for rows.Next() {
		var id, rig, target, fb sql.NullString
		if err := rows.Scan(&id, &rig, &target, &fb); err == nil && !p.judged[id.String] {
			list = append(list, mrTarget{id.String, rig.String, target.String, fb.String, !target.Valid})
		}
	}
	rows.Close()
	for _, m := range list {
		p.judged[m.id] = true
		if m.noMeta && c.faultNear(from, c.now, townFaultKinds()...) {
			continue // a cut write (cut-write-orphans-mr)
		}
		p.judge(c, t.w, m)
	}
}

// judge compares one merge request's target with the branch the world's
// facts call for.
func (p *targetBranchProp) judge(c *checker, w rigBranches, m mrTarget) {
	want, ok := w.RigDefaultBranch(m.rig)
	if !ok {
		return
	}
	if m.convoyBranch != "" {
		want = m.convoyBranch
	}
	p.checked++
	if m.noMeta {
		c.violation(PropTargetBranch, m.id, "merge request %s on rig %s has no review_metadata row: no target branch, want %q",
			short(m.id), short(m.rig), want)
		return
	}
	if m.target != want {
		c.violation(PropTargetBranch, m.id, "merge request %s on rig %s targets %q, want %q (the rig's default branch, or its review-then-land convoy's feature branch)",
			short(m.id), short(m.rig), m.target, want)
	}
}

// rigBranches is the world's record of its rigs' default branches.
type rigBranches interface {
	RigDefaultBranch(rigID string) (string, bool)
}

var _ rigBranches = (*sim.World)(nil)

func (p *targetBranchProp) unjudged(*checker) string {
	if p.checked == 0 {
		return "no merge request was created on a rig of the world"
	}
	return ""
}
