package scenarios

import (
	"database/sql"
	"testing"

	"github.com/townsim/townsim/model"
)

// safety/review-result-record fires on each hand-made departure from the
// review result model.md §4.17 gives a polled PR's end, and stays quiet
// on the promised one.
func TestReviewResultRecordFires(t *testing.T) {
	const (
		issue = "issue-1"
		mr    = "mr-1"
		other = "mr-0"
	)
	base := func() *opRows {
		r := newOpRows()
		r.beads[issue] = opRow{"bead_id": issue, "type": "issue", "status": "in_review", "assignee_agent_bead_id": "agent-1"}
		r.beads[mr] = opRow{"bead_id": mr, "type": "merge_request", "status": "in_progress", "metadata": `{"source_bead_id":"issue-1"}`}
		r.beads[other] = opRow{"bead_id": other, "type": "merge_request", "status": "failed", "metadata": `{"source_bead_id":"issue-1"}`}
		r.reviews[mr] = opRow{"bead_id": mr, "branch": "b"}
		r.tracks[issue] = []string{other, mr}
		return r
	}
	merged := func(f *opFixture) {
		f.after.beads[mr]["status"] = "closed"
		f.after.beads[other]["status"] = "closed"
		f.after.beads[issue]["status"] = "closed"
		f.after.addEvent(issue, "review_completed", "merged")
	}
	closed := func(f *opFixture) {
		f.after.beads[mr]["status"] = "failed"
		f.after.beads[issue]["status"] = "open"
		delete(f.after.beads[issue], "assignee_agent_bead_id")
		f.after.addEvent(issue, "review_completed", "failed")
	}
	tests := []struct {
		name, state string
		edit        func(f *opFixture)
		fires       bool
	}{
		{"a merge closes all", "merged", merged, false},
		{"a merge leaves the source in review", "merged", func(f *opFixture) {
			merged(f)
			f.after.beads[issue]["status"] = "in_review"
		}, true},
		{"a merge leaves a failed sibling", "merged", func(f *opFixture) {
			merged(f)
			f.after.beads[other]["status"] = "failed"
		}, true},
		{"a merge without its event", "merged", func(f *opFixture) {
			merged(f)
			f.after.events = nil
		}, true},
		{"a merge leaves the MR in progress", "merged", func(f *opFixture) {
			merged(f)
			f.after.beads[mr]["status"] = "in_progress"
		}, true},
		{"a close reopens the source", "closed", closed, false},
		{"a close keeps the source's assignee", "closed", func(f *opFixture) {
			closed(f)
			f.after.beads[issue]["assignee_agent_bead_id"] = "agent-1"
		}, true},
		{"a close leaves the MR in progress", "closed", func(f *opFixture) {
			closed(f)
			f.after.beads[mr]["status"] = "in_progress"
		}, true},
		{"a close of an orphan MR (source deleted)", "closed", func(f *opFixture) {
			delete(f.before.beads, issue)
			delete(f.after.beads, issue)
			f.after.beads[mr]["status"] = "failed"
			f.after.addEvent(issue, "review_completed", "failed")
		}, false},
		{"a close of an orphan MR leaves it in progress", "closed", func(f *opFixture) {
			delete(f.before.beads, issue)
			delete(f.after.beads, issue)
			f.after.addEvent(issue, "review_completed", "failed")
		}, true},
		{"a close of an orphan MR brings its source back", "closed", func(f *opFixture) {
			delete(f.before.beads, issue)
			f.after.beads[mr]["status"] = "failed"
			f.after.beads[issue]["status"] = "open"
			f.after.addEvent(issue, "review_completed", "failed")
		}, true},
		{"a close of an MR without review row", "closed", func(f *opFixture) {
			delete(f.before.reviews, mr)
			f.after.beads[mr]["status"] = "failed"
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failures := judgeOp(base, tt.edit, &reviewResultProp{}, model.TownEvent{Type: model.EventPRStatusChanged,
				BeadID: sql.NullString{String: mr, Valid: true}, Payload: map[string]any{"pr_state": tt.state}})
			if fired := len(failures) > 0; fired != tt.fires {
				t.Errorf("fired %v, want %v: %v", fired, tt.fires, failures)
			}
		})
	}
}
