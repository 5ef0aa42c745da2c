package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropClosedAfterMerge names the rule that the Town closes work only when
// it merged.
const PropClosedAfterMerge = "safety/issue-closed-only-when-merged"

// closedAfterMergeProp: an issue the Town closes is one whose work merged:
// at least one merge request tracking it (a `tracks` edge) is closed, or
// its PR had merged on the world's GitHub before the issue closed (a merge
// the poll reports after the MR failed still closes the source) —
// completeReviewWithResult closes the source with its merged MR, and BD-4
// closes an issue in review only when its MRs all ended and one merged
// (reconciler.md §2.2, model.md §4.17). Excepted: issues their user
// closed (the world's cancellations), and the beads production closes on
// the agent's gt_done without a review (the triage batch and requests,
// rework, PR feedback, fixup and conflict beads). Judged at the end from
// the rows' own dependency edges.
type closedAfterMergeProp struct {
	closed   int
	mergedAt map[string]time.Time // PR URL → the end of the first tick that saw it merged on the world's GitHub
}

func (p *closedAfterMergeProp) everyTick(c *checker, rec *sim.TickRecord, w *sim.World) {
	if p.mergedAt == nil {
		p.mergedAt = map[string]time.Time{}
	}
	for _, pr := range w.PRs() {
		if _, seen := p.mergedAt[pr.URL]; !seen && pr.State == "merged" {
			p.mergedAt[pr.URL] = rec.End
		}
	}
}

func (p *closedAfterMergeProp) end(c *checker, w *sim.World, db *model.DB) {
	byUser := map[string]bool{}
	for _, is := range w.Issues() {
		byUser[is.ID] = is.Cancelled != ""
	}
	for _, pr := range c.pairs(db, `SELECT b.bead_id, b.title FROM beads b
		WHERE b.type = 'issue' AND b.status = 'closed'
		  AND NOT EXISTS (SELECT 1 FROM json_each(COALESCE(b.labels, '[]')) l
		    WHERE l.value IN ('gt:triage', 'gt:triage-request', 'gt:rework', 'gt:pr-feedback', 'gt:pr-fixup', 'gt:pr-conflict'))
		ORDER BY b.bead_id`) {
		if byUser[pr[0]] {
			continue
		}
		p.closed++
		closedAt := ""
		if at, _ := db.Strings(`SELECT created_at FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed'
			AND new_value = 'closed' ORDER BY created_at DESC LIMIT 1`, pr[0]); len(at) > 0 {
			closedAt = at[0]
		}
		merged := false
		for _, m := range c.pairs(db, `SELECT m.status, COALESCE(r.pr_url, json_extract(m.metadata, '$.pr_url'), '')
			FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id LEFT JOIN review_metadata r ON r.bead_id = m.bead_id
			WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND m.type = 'merge_request'`, pr[0]) {
			at, ok := p.mergedAt[m[1]]
			merged = merged || m[0] == model.StatusClosed || ok && closedAt != "" && model.ISO(at) <= closedAt
		}
		if !merged {
			how, _ := db.Strings(`SELECT COALESCE(agent_id, '') || ' at ' || created_at FROM bead_events
				WHERE bead_id = ? AND event_type = 'status_changed' AND new_value = 'closed' ORDER BY created_at DESC LIMIT 1`, pr[0])
			mrs, _ := db.Strings(`SELECT m.status FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
				WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND m.type = 'merge_request' ORDER BY m.bead_id`, pr[0])
			c.violation(PropClosedAfterMerge, pr[0], "issue %s (%s) was closed (by %v) but no merge request tracking it merged "+
				"(their statuses %v, no PR of theirs merged in the world)", short(pr[0]), pr[1], how, mrs)
		}
	}
}

func (p *closedAfterMergeProp) unjudged(*checker) string {
	if p.closed == 0 {
		return "no issue was closed by the Town"
	}
	return ""
}
