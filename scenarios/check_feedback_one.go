package scenarios

// PropOneFeedbackBead names oneFeedbackBeadProp.
const PropOneFeedbackBead = "safety/one-live-feedback-bead-per-mr"

// oneFeedbackBeadProp: a merge request is blocked by at most one live
// (neither closed nor failed) bead labelled gt:pr-feedback at the end of
// every tick. Auto-resolve asks for a feedback bead only when none that
// is live already blocks the merge request (reconciler.md §3.3 step 10),
// so the polecat working on the PR's feedback is never joined by a second
// one working on the same comments or checks. It reads the rows: merge
// requests, their blocks dependencies, the blockers' labels and status.
type oneFeedbackBeadProp struct {
	judged int
}

func (p *oneFeedbackBeadProp) tick(c *checker, t *tickView) {
	rows := c.pairs(t.db, `SELECT bd.bead_id, count(*) FROM bead_dependencies bd
		JOIN beads mr ON mr.bead_id = bd.bead_id AND mr.type = 'merge_request'
		JOIN beads f ON f.bead_id = bd.depends_on_bead_id
		WHERE bd.dependency_type = 'blocks' AND f.labels LIKE '%"gt:pr-feedback"%'
		  AND f.status NOT IN ('closed', 'failed')
		GROUP BY bd.bead_id ORDER BY bd.bead_id`)
	for _, r := range rows {
		p.judged++
		if r[1] != "1" {
			c.violation(PropOneFeedbackBead, r[0], "merge request %s is blocked by %s live feedback beads at once", short(r[0]), r[1])
		}
	}
}

func (p *oneFeedbackBeadProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge request was blocked by a live feedback bead"
	}
	return ""
}
