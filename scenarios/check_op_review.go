package scenarios

import (
	"github.com/townsim/townsim/model"
)

// PropReviewResultRecord names the record a polled PR's end writes.
const PropReviewResultRecord = "safety/review-result-record"

// reviewResultProp: each PR status change the drain applies (the poll saw
// the PR merged or closed) writes the review result model.md §4.17
// promises, judged on the rows just before and just after that one
// application:
//
//   - merged: the merge request is closed (unless it was already
//     terminal); when it has a review row, a review_completed "merged"
//     event is on its source (metadata.source_bead_id, else the MR
//     itself), the source is closed in this same operation (unless it was
//     already terminal) and so is every other merge request tracking it,
//     failed ones included;
//   - closed without merge: the merge request is failed (unless it was
//     already terminal); with a review row, a review_completed "failed"
//     event is on its source, and a source that was not terminal is open
//     with no assignee;
//   - either way, a source that no longer exists (a user deleted the
//     issue while its merge request was in review: deleted-in-review)
//     is not brought back: the merge request still ends as above, and
//     the review_completed event is all the completion writes for it.
type reviewResultProp struct{ judged int }

func (p *reviewResultProp) op(c *checker, o *opView) {
	if o.ev.Type != model.EventPRStatusChanged || !o.ev.BeadID.Valid {
		return
	}
	mr := o.ev.BeadID.String
	m, ok := o.before.beads[mr]
	state, _ := o.ev.Payload["pr_state"].(string)
	if !ok || state != "merged" && state != "closed" {
		return
	}
	p.judged++
	bad := func(entity, format string, args ...any) {
		c.opViolation(o, PropReviewResultRecord, entity, "PR of merge request %s seen %s: "+format,
			append([]any{short(mr), state}, args...)...)
	}
	want, result := model.StatusFailed, "failed"
	if state == "merged" {
		want, result = model.StatusClosed, "merged"
	}
	if !endedAs(o, mr, want) {
		bad(mr, "the merge request is %s, not %s", o.after.beads[mr]["status"], want)
	}
	if _, ok := o.before.reviews[mr]; !ok {
		return
	}
	source := m.meta("source_bead_id")
	if source == "" {
		source = mr
	}
	if !o.event(source, "review_completed", result) {
		bad(source, "no review_completed %s event on the source %s", result, short(source))
	}
	sb, ok := o.before.beads[source]
	if !ok {
		if _, back := o.after.beads[source]; back {
			bad(source, "the deleted source %s is back, %s", short(source), o.after.beads[source]["status"])
		}
		return
	}
	if source == mr {
		return
	}
	if state == "merged" {
		if !closedOrKept(o, source) {
			bad(source, "the merge left its source %s %s (closed in the same operation)", short(source), o.after.beads[source]["status"])
		}
		for _, other := range o.after.tracks[source] {
			if b := o.after.beads[other]; b["type"] == model.TypeMergeRequest && other != mr && b["status"] != model.StatusClosed {
				bad(other, "another merge request %s of the merged source is %s, not closed", short(other), b["status"])
			}
		}
		return
	}
	if !model.Terminal(sb["status"]) {
		if b := o.after.beads[source]; b["status"] != model.StatusOpen || b.has("assignee_agent_bead_id") {
			bad(source, "the source %s of the failed review is %s with assignee %q, not open without one", short(source), b["status"], b["assignee_agent_bead_id"])
		}
	}
}

func (p *reviewResultProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no PR status change was applied"
	}
	return ""
}
