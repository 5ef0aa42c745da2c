package scenarios

import (
	"database/sql"
	"testing"

	"github.com/townsim/townsim/model"
)

// safety/exit-report-record fires on each hand-made departure from the
// record model.md §4.19 gives an exit report, and stays quiet on the
// promised one.
func TestExitRecordFires(t *testing.T) {
	const (
		pol, ref = "agent-polecat", "agent-refinery"
		issue    = "issue-1"
		mr       = "mr-1"
	)
	base := func() *opRows {
		r := newOpRows()
		r.agents[pol] = opRow{"bead_id": pol, "role": "polecat", "status": "working", "current_hook_bead_id": issue, "dispatch_attempts": "2"}
		r.agents[ref] = opRow{"bead_id": ref, "role": "refinery", "status": "working", "current_hook_bead_id": mr, "dispatch_attempts": "3"}
		r.beads[issue] = opRow{"bead_id": issue, "type": "issue", "status": "in_progress", "assignee_agent_bead_id": pol}
		r.beads[mr] = opRow{"bead_id": mr, "type": "merge_request", "status": "in_progress", "assignee_agent_bead_id": ref}
		return r
	}
	released := func(f *opFixture) {
		delete(f.after.agents[pol], "current_hook_bead_id")
		f.after.agents[pol]["status"] = "idle"
		f.after.agents[pol]["dispatch_attempts"] = "0"
	}
	failed := func(f *opFixture) {
		released(f)
		f.after.beads[issue]["status"] = "failed"
		f.after.addEvent(issue, "status_changed", "failed")
		f.after.events[len(f.after.events)-1]["metadata"] = `{"failure_reason":{"code":"agent_failed","message":"m","source":"container"}}`
	}
	evicted := func(f *opFixture) {
		released(f)
		f.after.beads[issue]["status"] = "open"
		delete(f.after.beads[issue], "assignee_agent_bead_id")
	}
	tests := []struct {
		name           string
		agent          string
		status, reason string
		edit           func(f *opFixture)
		fires          bool
	}{
		{"a completed polecat is released", pol, "completed", "", released, false},
		{"a completed polecat keeps its attempts", pol, "completed", "", func(f *opFixture) {
			released(f)
			f.after.agents[pol]["dispatch_attempts"] = "2"
		}, true},
		{"a completed polecat stays working", pol, "completed", "", func(f *opFixture) {
			released(f)
			f.after.agents[pol]["status"] = "working"
		}, true},
		{"a completed polecat stays hooked", pol, "completed", "", func(f *opFixture) {
			released(f)
			f.after.agents[pol]["current_hook_bead_id"] = issue
		}, true},
		{"a failed polecat fails its bead", pol, "failed", "", failed, false},
		{"a failed polecat's bead without the reason", pol, "failed", "", func(f *opFixture) {
			failed(f)
			f.after.events[len(f.after.events)-1]["metadata"] = `{}`
		}, true},
		{"a failed polecat's bead left in progress", pol, "failed", "", released, true},
		{"an evicted polecat's bead back to open", pol, "completed", "container eviction", evicted, false},
		{"an evicted polecat's bead keeps its assignee", pol, "completed", "container eviction", func(f *opFixture) {
			evicted(f)
			f.after.beads[issue]["assignee_agent_bead_id"] = pol
		}, true},
		{"a working refinery keeps everything", ref, "failed", "", func(*opFixture) {}, false},
		{"a working refinery's merge request failed", ref, "failed", "", func(f *opFixture) {
			f.after.beads[mr]["status"] = "failed"
		}, true},
		{"a working refinery made idle", ref, "completed", "", func(f *opFixture) {
			f.after.agents[ref]["status"] = "idle"
		}, true},
		{"an idle refinery becomes idle and keeps its attempts", ref, "completed", "", func(f *opFixture) {
			f.before.agents[ref]["status"] = "stalled"
			f.after.agents[ref]["status"] = "idle"
		}, false},
		{"an idle refinery's attempts reset", ref, "completed", "", func(f *opFixture) {
			f.before.agents[ref]["status"] = "stalled"
			f.after.agents[ref]["status"] = "idle"
			f.after.agents[ref]["dispatch_attempts"] = "0"
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failures := judgeOp(base, tt.edit, &exitRecordProp{}, model.TownEvent{Type: model.EventAgentCompleted,
				AgentID: sql.NullString{String: tt.agent, Valid: true}, Payload: map[string]any{"status": tt.status, "reason": tt.reason}})
			if fired := len(failures) > 0; fired != tt.fires {
				t.Errorf("fired %v, want %v: %v", fired, tt.fires, failures)
			}
			for _, v := range failures {
				if v.Property != PropExitRecord {
					t.Errorf("unexpected property %s", v.Property)
				}
			}
		})
	}
}
