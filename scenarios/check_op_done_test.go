package scenarios

import (
	"database/sql"
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// opFixture builds hand-made rows before and after one operation.
type opFixture struct{ before, after *opRows }

// judgeOp judges the event ev with p on base's rows before and those
// rows changed by edit after, and returns the violations.
func judgeOp(base func() *opRows, edit func(*opFixture), p interface{ op(*checker, *opView) }, ev model.TownEvent) []Violation {
	b := base()
	f := &opFixture{before: b, after: b.clone()}
	edit(f)
	c := newChecker(sim.Config{}, Bounds{}, CheckOptions{})
	p.op(c, &opView{ev: ev, now: time.Unix(0, 0), before: f.before, after: f.after})
	return c.failures
}

func newOpRows() *opRows {
	return &opRows{beads: map[string]opRow{}, agents: map[string]opRow{}, reviews: map[string]opRow{}, tracks: map[string][]string{}}
}

func (r *opRows) clone() *opRows {
	c := newOpRows()
	for k, v := range r.beads {
		c.beads[k] = maps.Clone(v)
	}
	for k, v := range r.agents {
		c.agents[k] = maps.Clone(v)
	}
	for k, v := range r.reviews {
		c.reviews[k] = maps.Clone(v)
	}
	for k, v := range r.tracks {
		c.tracks[k] = append([]string(nil), v...)
	}
	c.events, c.maxEvt = append([]opRow(nil), r.events...), r.maxEvt
	return c
}

func (r *opRows) addEvent(bead, typ, newValue string) {
	r.maxEvt++
	e := opRow{"rowid": itoa(r.maxEvt), "bead_id": bead, "event_type": typ}
	if newValue != "" {
		e["new_value"] = newValue
	}
	r.events = append(r.events, e)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// safety/gt-done-record fires on each hand-made departure from the
// record the spec gives a gt_done, and stays quiet on the promised one.
func TestDoneRecordFires(t *testing.T) {
	const (
		pol, ref = "agent-polecat", "agent-refinery"
		issue    = "issue-1"
		mr       = "mr-1"
		other    = "mr-0"
		url      = "https://github.com/o/r/pull/7"
	)
	base := func() *opRows {
		r := newOpRows()
		r.agents[pol] = opRow{"bead_id": pol, "role": "polecat", "status": "working", "current_hook_bead_id": issue}
		r.agents[ref] = opRow{"bead_id": ref, "role": "refinery", "status": "working", "current_hook_bead_id": mr}
		r.beads[issue] = opRow{"bead_id": issue, "type": "issue", "status": "in_progress", "labels": "[]", "metadata": "{}"}
		r.beads[mr] = opRow{"bead_id": mr, "type": "merge_request", "status": "in_progress", "labels": `["gt:merge-request"]`,
			"metadata": `{"source_bead_id":"issue-1","source_agent_id":"agent-polecat"}`, "assignee_agent_bead_id": ref, "updated_at": "2026-01-01T00:00:00.000Z"}
		r.beads[other] = opRow{"bead_id": other, "type": "merge_request", "status": "failed", "labels": `["gt:merge-request"]`,
			"metadata": `{"source_bead_id":"issue-1"}`}
		r.reviews[mr] = opRow{"bead_id": mr, "branch": "b1"}
		r.tracks[issue] = []string{other, mr}
		r.addEvent(issue, "created", "")
		return r
	}
	// the promised records
	polecatDone := func(f *opFixture) {
		a := f.after
		a.agents[pol]["status"] = "idle"
		delete(a.agents[pol], "current_hook_bead_id")
		a.beads[issue]["status"] = "in_review"
		a.beads["mr-new"] = opRow{"bead_id": "mr-new", "type": "merge_request", "status": "open", "title": "Review: b2", "created_by": pol,
			"metadata": `{"source_bead_id":"issue-1","source_agent_id":"agent-polecat","pr_url":"` + url + `"}`}
		a.reviews["mr-new"] = opRow{"bead_id": "mr-new", "branch": "b2", "pr_url": url, "retry_count": "0"}
		a.tracks[issue] = append(a.tracks[issue], "mr-new")
		a.addEvent(issue, "review_submitted", "b2")
		a.addEvent(issue, "unhooked", "")
		a.addEvent(issue, "status_changed", "in_review")
	}
	refineryPR := func(f *opFixture) {
		a := f.after
		a.agents[ref]["status"] = "idle"
		delete(a.agents[ref], "current_hook_bead_id")
		a.reviews[mr]["pr_url"] = url
		a.beads[mr]["metadata"] = `{"source_bead_id":"issue-1","pr_url":"` + url + `"}`
		a.addEvent(mr, "pr_created", url)
	}
	refineryMerge := func(f *opFixture) {
		a := f.after
		a.agents[ref]["status"] = "idle"
		delete(a.agents[ref], "current_hook_bead_id")
		a.beads[mr]["status"] = "closed"
		a.beads[other]["status"] = "closed"
		a.beads[issue]["status"] = "closed"
		a.addEvent(issue, "review_completed", "merged")
	}
	unhooked := func(f *opFixture) {
		delete(f.before.agents[ref], "current_hook_bead_id")
		delete(f.after.agents[ref], "current_hook_bead_id")
	}
	unhookedFail := func(f *opFixture) {
		unhooked(f)
		a := f.after
		a.beads[mr]["status"] = "failed"
		a.beads["esc"] = opRow{"bead_id": "esc", "type": "escalation", "status": "open", "priority": "high",
			"metadata": `{"source_bead_id":"mr-1","source_agent_id":"agent-refinery","kind":"refinery_unhooked_done"}`}
		a.addEvent(issue, "review_completed", "failed")
	}
	tests := []struct {
		name    string
		agent   string
		payload map[string]any
		edit    func(f *opFixture)
		fires   bool
	}{
		{"a polecat submits its hook", pol, map[string]any{"branch": "b2", "pr_url": url}, polecatDone, false},
		{"a polecat's MR lacks the PR URL in its metadata", pol, map[string]any{"branch": "b2", "pr_url": url}, func(f *opFixture) {
			polecatDone(f)
			f.after.beads["mr-new"]["metadata"] = `{"source_bead_id":"issue-1","source_agent_id":"agent-polecat"}`
		}, true},
		{"a polecat's new review row starts its retry count at 1", pol, map[string]any{"branch": "b2", "pr_url": url}, func(f *opFixture) {
			polecatDone(f)
			f.after.reviews["mr-new"]["retry_count"] = "1"
		}, true},
		{"a polecat's new review row has a merge commit", pol, map[string]any{"branch": "b2", "pr_url": url}, func(f *opFixture) {
			polecatDone(f)
			f.after.reviews["mr-new"]["merge_commit"] = "abc123"
		}, true},
		{"a polecat's hook left in progress", pol, map[string]any{"branch": "b2", "pr_url": url}, func(f *opFixture) {
			polecatDone(f)
			f.after.beads[issue]["status"] = "in_progress"
		}, true},
		{"a polecat's hook already closed stays closed", pol, map[string]any{"branch": "b2", "pr_url": url}, func(f *opFixture) {
			f.before.beads[issue]["status"] = "closed"
			polecatDone(f)
			f.after.beads[issue]["status"] = "closed"
		}, false},
		{"a polecat submits no MR", pol, map[string]any{"branch": "b2"}, func(f *opFixture) {
			delete(f.after.agents[pol], "current_hook_bead_id")
			f.after.beads[issue]["status"] = "in_review"
		}, true},
		{"a refinery records its PR", ref, map[string]any{"branch": "b1", "pr_url": url}, refineryPR, false},
		{"a refinery's PR URL not in the MR's metadata", ref, map[string]any{"branch": "b1", "pr_url": url}, func(f *opFixture) {
			refineryPR(f)
			f.after.beads[mr]["metadata"] = `{"source_bead_id":"issue-1"}`
		}, true},
		{"a refinery's MR with a PR not in progress", ref, map[string]any{"branch": "b1", "pr_url": url}, func(f *opFixture) {
			refineryPR(f)
			f.after.beads[mr]["status"] = "open" // markReviewInReview skipped
		}, true},
		{"a refinery merges", ref, map[string]any{"branch": "b1"}, refineryMerge, false},
		{"a refinery's merge leaves the source in review", ref, map[string]any{"branch": "b1"}, func(f *opFixture) {
			refineryMerge(f)
			f.after.beads[issue]["status"] = "in_review"
		}, true},
		{"a refinery's merge leaves a failed sibling MR", ref, map[string]any{"branch": "b1"}, func(f *opFixture) {
			refineryMerge(f)
			f.after.beads[other]["status"] = "failed"
		}, true},
		{"a refinery stays hooked after its merge", ref, map[string]any{"branch": "b1"}, func(f *opFixture) {
			refineryMerge(f)
			f.after.agents[ref]["current_hook_bead_id"] = mr
		}, true},
		{"an unhooked refinery without a PR fails its MR and escalates", ref, map[string]any{"branch": "b1"}, unhookedFail, false},
		{"an unhooked refinery without a PR raises no escalation", ref, map[string]any{"branch": "b1"}, func(f *opFixture) {
			unhookedFail(f)
			delete(f.after.beads, "esc")
		}, true},
		{"an unhooked refinery's PR recorded", ref, map[string]any{"branch": "b1", "pr_url": url}, func(f *opFixture) {
			unhooked(f)
			f.after.reviews[mr]["pr_url"] = url
			f.after.beads[mr]["metadata"] = `{"pr_url":"` + url + `"}`
		}, false},
		{"an unhooked refinery's PR URL not on the review row", ref, map[string]any{"branch": "b1", "pr_url": url}, func(f *opFixture) {
			unhooked(f)
			f.after.beads[mr]["metadata"] = `{"pr_url":"` + url + `"}`
		}, true},
		{"an unhooked polecat writes nothing", pol, map[string]any{"branch": "b2"}, func(f *opFixture) {
			delete(f.before.agents[pol], "current_hook_bead_id")
			delete(f.after.agents[pol], "current_hook_bead_id")
		}, false},
		{"an unhooked polecat writes an event", pol, map[string]any{"branch": "b2"}, func(f *opFixture) {
			delete(f.before.agents[pol], "current_hook_bead_id")
			delete(f.after.agents[pol], "current_hook_bead_id")
			f.after.addEvent(issue, "status_changed", "in_review")
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failures := judgeOp(base, tt.edit, &doneRecordProp{}, model.TownEvent{Type: model.EventAgentDone,
				AgentID: sql.NullString{String: tt.agent, Valid: true}, Payload: tt.payload})
			if fired := len(failures) > 0; fired != tt.fires {
				t.Errorf("fired %v, want %v: %v", fired, tt.fires, failures)
			}
			for _, v := range failures {
				if v.Property != PropDoneRecord {
					t.Errorf("unexpected property %s", v.Property)
				}
			}
		})
	}
}
