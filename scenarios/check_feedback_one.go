package scenarios

import "strings"

// PropOneFeedbackBead names oneFeedbackBeadProp.
const PropOneFeedbackBead = "safety/one-live-fix-bead-per-mr-and-kind"

// oneFeedbackBeadProp: a merge request is blocked by at most one live
// (neither closed nor failed) bead of each fix kind — labelled
// gt:pr-feedback, or gt:pr-conflict — at the end of every tick.
// Auto-resolve asks for a feedback bead only when none that is live
// already blocks the merge request (reconciler.md §3.3 step 10), a
// conflict episode asks for its bead once, and applying either request
// creates no second live bead of its kind (model.md pr_feedback_detected,
// pr_conflict_detected), so the polecat working on a PR's comments, checks
// or conflicts is never joined by a second one on the same work. It reads
// the rows: merge requests, their blocks dependencies, the blockers'
// labels and status.
type oneFeedbackBeadProp struct {
	judged int
}

func (p *oneFeedbackBeadProp) tick(c *checker, t *tickView) {
	rows := c.pairs(t.db, `SELECT bd.bead_id || char(9) || CASE WHEN f.labels LIKE '%"gt:pr-feedback"%' THEN 'feedback' ELSE 'conflict' END,
			count(*) FROM bead_dependencies bd
		JOIN beads mr ON mr.bead_id = bd.bead_id AND mr.type = 'merge_request'
		JOIN beads f ON f.bead_id = bd.depends_on_bead_id
		WHERE bd.dependency_type = 'blocks' AND (f.labels LIKE '%"gt:pr-feedback"%' OR f.labels LIKE '%"gt:pr-conflict"%')
		  AND f.status NOT IN ('closed', 'failed')
		GROUP BY 1 ORDER BY 1`)
	for _, r := range rows {
		p.judged++
		mr, kind, _ := strings.Cut(r[0], "\t")
		if r[1] != "1" {
			c.violation(PropOneFeedbackBead, mr+" "+kind, "merge request %s is blocked by %s live %s beads at once", short(mr), r[1], kind)
		}
	}
}

func (p *oneFeedbackBeadProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge request was blocked by a live feedback or conflict bead"
	}
	return ""
}
