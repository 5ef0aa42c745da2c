package scenarios

// PropPRReviewWaits is the name of prReviewWaitsProp.
const PropPRReviewWaits = "safety/pr-review-waits-in-progress"

// prReviewWaitsProp: a merge request with a PR URL that is in progress with
// no agent hooked to it at the end of one tick is not open at the end of
// the next. Such an MR waits for its PR's fate, which RQ-1 polls
// (reconciler.md §2.3): RQ-2 and RQ-3 return to the queue only PR-less
// reviews nobody works on, and AG-4 reopens a bead only by unhooking an
// agent from it; a PR-backed MR sent back to the queue is reviewed again
// by a refinery although its PR is already up. It reads the rows: MRs,
// their PR URLs and status, agent hooks, at each tick's end.
type prReviewWaitsProp struct {
	waiting map[string]bool // PR-backed in-progress MRs nobody was hooked to at the previous tick's end
	judged  int
}

func (p *prReviewWaitsProp) tick(c *checker, t *tickView) {
	if len(p.waiting) > 0 {
		open, err := t.db.Strings(`SELECT bead_id FROM beads WHERE type = 'merge_request' AND status = 'open' ORDER BY bead_id`)
		if err != nil {
			c.violation("check/query", "", "%v", err)
			return
		}
		for _, id := range open {
			if p.waiting[id] {
				c.violation(PropPRReviewWaits, id, "merge request %s, in progress with a PR and nobody hooked to it at the previous tick, "+
					"was returned to open", short(id))
			}
		}
	}
	ids, err := t.db.Strings(`SELECT b.bead_id FROM beads b
		JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND b.status = 'in_progress'
		  AND rm.pr_url IS NOT NULL AND rm.pr_url != ''
		  AND NOT EXISTS (SELECT 1 FROM agent_metadata a WHERE a.current_hook_bead_id = b.bead_id)
		ORDER BY b.bead_id`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	p.waiting = map[string]bool{}
	for _, id := range ids {
		p.waiting[id] = true
	}
	p.judged += len(ids)
}

func (p *prReviewWaitsProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge request with a PR waited in progress with nobody hooked"
	}
	return ""
}
