package scenarios

import (
	"slices"
	"strings"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropReviewExplained names the review outcome's recorded reason.
const PropReviewExplained = "safety/review-outcome-explained"

// reviewExplainedProp: every completed review records why it ended
// (model.md §4.17: completeReviewWithResult logs review_completed on the
// source bead with the outcome and a message): its review_completed event
// carries a non-empty message — the poll's merged or closed, a refused PR
// URL, the refinery's own summary, or production's default text when the
// refinery gave none. And a review the Town completed when it applied a
// refinery's gt_done without a PR URL that carried a summary (the
// agent_done event processed in the same drain, no other review-ending
// input with it) carries that summary: what the agent said is what users
// read. Judged at the end from the audit log and the Town's input queue.
type reviewExplainedProp struct{ events, summaries int }

func (p *reviewExplainedProp) end(c *checker, _ *sim.World, db *model.DB) {
	for _, e := range c.pairs(db, `SELECT bead_id, created_at FROM bead_events
		WHERE event_type = 'review_completed' AND COALESCE(json_extract(metadata, '$.message'), '') = ''
		ORDER BY created_at, bead_id`) {
		c.violation(PropReviewExplained, e[0], "the review of %s completed at %s records no message", short(e[0]), e[1])
	}
	// A commit SHA is recorded only as reported (model.md §4.17: only a
	// non-empty one): no refinery of the world reports one (every review
	// ends by a gt_done, a poll or a cleanup, none through the
	// completeReviewWithResult RPC), so no event may carry the key.
	for _, e := range c.pairs(db, `SELECT bead_id, created_at || ' ' || json_extract(metadata, '$.commit_sha') FROM bead_events
		WHERE event_type = 'review_completed' AND json_type(metadata, '$.commit_sha') IS NOT NULL
		ORDER BY created_at, bead_id`) {
		c.violation(PropReviewExplained, e[0], "the review of %s completed at %q records a commit SHA nobody reported", short(e[0]), e[1])
	}
	p.events = len(c.pairs(db, `SELECT bead_id, created_at FROM bead_events WHERE event_type = 'review_completed'`))
	// The drains in which a refinery's PR-less gt_done with a summary was
	// applied, with no other review-ending input (a refinery's gt_done
	// without a summary or with a PR URL, a PR status change).
	summaries := map[string][]string{}
	others := map[string]bool{}
	for _, e := range c.pairs(db, `SELECT e.processed_at,
			CASE WHEN e.event_type = 'agent_done' AND json_extract(e.payload, '$.pr_url') IS NULL
			      AND COALESCE(json_extract(e.payload, '$.summary'), '') != ''
			     THEN json_extract(e.payload, '$.summary') ELSE '' END
		FROM town_events e
		WHERE e.processed_at IS NOT NULL
		  AND (e.event_type = 'pr_status_changed'
		       OR e.event_type = 'agent_done' AND e.agent_id IN (SELECT bead_id FROM agent_metadata WHERE role = 'refinery'))
		ORDER BY e.processed_at, e.event_id`) {
		if e[1] == "" {
			others[e[0]] = true
		} else {
			summaries[e[0]] = append(summaries[e[0]], e[1])
		}
	}
	for _, e := range c.pairs(db, `SELECT bead_id || ' at ' || created_at, created_at || char(9) || COALESCE(json_extract(metadata, '$.message'), '')
		FROM bead_events WHERE event_type = 'review_completed' ORDER BY created_at, bead_id`) {
		at, msg, _ := strings.Cut(e[1], "\t")
		said := summaries[at]
		if len(said) == 0 || others[at] {
			continue
		}
		p.summaries++
		if !slices.Contains(said, msg) {
			c.violation(PropReviewExplained, e[0], "the review completed %s by a refinery's gt_done with the summary %q records the message %q",
				e[0], said[0], msg)
		}
	}
}

func (p *reviewExplainedProp) unjudged(*checker) string {
	if p.events == 0 {
		return "no review completed"
	}
	return ""
}

// reviewFailedWithMessage returns the failed merge requests whose review
// was completed as failed with a message: a review_completed event on the
// MR's source (its metadata's source_bead_id, else the MR), new value
// failed, a non-empty message, logged when the MR's status changed to
// failed. That message is the cause production records for them.
func reviewFailedWithMessage(c *checker, db *model.DB) map[string]bool {
	out := map[string]bool{}
	for _, pr := range c.pairs(db, `SELECT b.bead_id, '' FROM beads b
		WHERE b.type = 'merge_request' AND b.status = 'failed' AND EXISTS (
		  SELECT 1 FROM bead_events f JOIN bead_events r
		    ON r.bead_id = COALESCE(json_extract(b.metadata, '$.source_bead_id'), b.bead_id)
		   AND r.event_type = 'review_completed' AND r.new_value = 'failed' AND r.created_at = f.created_at
		   AND COALESCE(json_extract(r.metadata, '$.message'), '') != ''
		  WHERE f.bead_id = b.bead_id AND f.event_type = 'status_changed' AND f.new_value = 'failed')
		ORDER BY b.bead_id`) {
		out[pr[0]] = true
	}
	return out
}
