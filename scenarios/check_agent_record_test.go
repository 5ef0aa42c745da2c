package scenarios

import (
	"database/sql"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// safety/container-status-record fires on each hand-made departure from
// what applying a container_status event may write, and stays quiet on
// the promised records.
func TestContainerStatusRecordFires(t *testing.T) {
	const pol, ref, other = "agent-polecat", "agent-refinery", "agent-other"
	base := func() *opRows {
		r := newOpRows()
		r.agents[pol] = opRow{"bead_id": pol, "role": "polecat", "status": "working", "current_hook_bead_id": "issue-1", "hook_status": "closed"}
		r.agents[ref] = opRow{"bead_id": ref, "role": "refinery", "status": "working", "current_hook_bead_id": "mr-1", "hook_status": "closed", "checkpoint": "{}"}
		r.agents[other] = opRow{"bead_id": other, "role": "polecat", "status": "working", "current_hook_bead_id": "issue-2", "hook_status": "in_progress"}
		return r
	}
	idle := func(id string) func(*opFixture) {
		return func(f *opFixture) { f.after.agents[id]["status"] = "idle" }
	}
	released := func(f *opFixture) {
		f.after.agents[ref]["status"] = "idle"
		delete(f.after.agents[ref], "current_hook_bead_id")
		delete(f.after.agents[ref], "hook_status")
		delete(f.after.agents[ref], "checkpoint")
	}
	tests := []struct {
		name, agent, status string
		edit                func(*opFixture)
		fires               bool
	}{
		{"an exited polecat is idled and keeps its finished hook", pol, "exited", idle(pol), false},
		{"an exited polecat loses its finished hook", pol, "exited", func(f *opFixture) {
			idle(pol)(f)
			delete(f.after.agents[pol], "current_hook_bead_id")
		}, true},
		{"an exited polecat is left working", pol, "exited", func(*opFixture) {}, true},
		{"a not_found polecat within its grace is left working", pol, "not_found", func(*opFixture) {}, false},
		{"a running polecat is idled", pol, "running", idle(pol), true},
		{"another agent is idled too", pol, "exited", func(f *opFixture) { idle(pol)(f); idle(other)(f) }, true},
		{"another agent's hooked bead moves", pol, "exited", func(f *opFixture) {
			idle(pol)(f)
			f.after.agents[other]["hook_status"] = "open"
		}, true},
		{"an exited refinery on a closed MR is released", ref, "exited", released, false},
		{"an exited refinery on a closed MR keeps its hook", ref, "exited", idle(ref), true},
		{"an exited refinery on a closed MR keeps its checkpoint", ref, "exited", func(f *opFixture) {
			released(f)
			f.after.agents[ref]["checkpoint"] = "{}"
		}, true},
		{"a stalled polecat is idled with its stalled_at kept", pol, "exited", func(f *opFixture) {
			f.before.agents[pol]["status"] = "stalled"
			f.before.agents[pol]["stalled_at"] = "2026-01-01T00:00:00.000Z"
			f.after.agents[pol]["stalled_at"] = "2026-01-01T00:00:00.000Z"
			idle(pol)(f)
		}, true},
		{"a stalled polecat is idled and its stalled_at cleared", pol, "exited", func(f *opFixture) {
			f.before.agents[pol]["status"] = "stalled"
			f.before.agents[pol]["stalled_at"] = "2026-01-01T00:00:00.000Z"
			idle(pol)(f)
		}, false},
		{"an idle agent is left alone", pol, "exited", func(f *opFixture) {
			f.before.agents[pol]["status"] = "idle"
			f.after.agents[pol]["status"] = "idle"
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := model.TownEvent{Type: model.EventContainerStatus, AgentID: sql.NullString{String: tc.agent, Valid: true},
				Payload: map[string]any{"status": tc.status}}
			got := judgeOp(base, tc.edit, &containerStatusRecordProp{}, ev)
			if fired := len(got) > 0; fired != tc.fires {
				t.Fatalf("fired %v, want %v: %v", fired, tc.fires, got)
			}
		})
	}
}

// judgeApply judges one action (or sling, when a is zero) with p on
// base's rows before and those rows changed by edit after.
func judgeApply(base func() *opRows, edit func(*opFixture), v pickView, a reconciler.Action, p interface{}) []Violation {
	b := base()
	f := &opFixture{before: b, after: b.clone()}
	edit(f)
	c := newChecker(sim.Config{}, Bounds{}, CheckOptions{})
	v.before, v.after, v.now = f.before, f.after, time.Unix(0, 0)
	switch h := p.(type) {
	case applyWatcher:
		h.applied(c, a, &v)
	case pickWatcher:
		h.pick(c, &v)
	}
	return c.failures
}

// safety/dispatch-picks-a-free-agent fires when a dispatch naming no
// agent takes a busy, foreign or wrong-role agent, or registers one while
// one was free, and stays quiet on a free or new one.
func TestDispatchPickFires(t *testing.T) {
	const rig, rig2 = "rig-1", "rig-2"
	base := func() *opRows {
		r := newOpRows()
		for id, row := range map[string][2]string{"free": {"polecat", rig}, "busy": {"polecat", rig}, "foreign": {"polecat", rig2}, "ref": {"refinery", rig}} {
			r.agents[id] = opRow{"bead_id": id, "role": row[0], "status": "idle"}
			r.beads[id] = opRow{"bead_id": id, "type": "agent", "status": "open", "rig_id": row[1]}
		}
		r.agents["busy"]["status"] = "working"
		r.agents["ref"]["current_hook_bead_id"] = "mr-0"
		r.beads["issue-1"] = opRow{"bead_id": "issue-1", "type": "issue", "status": "open", "rig_id": rig}
		r.beads["mr-1"] = opRow{"bead_id": "mr-1", "type": "merge_request", "status": "open", "rig_id": rig}
		return r
	}
	takes := func(agent, bead string) func(*opFixture) {
		return func(f *opFixture) {
			if _, ok := f.after.agents[agent]; !ok {
				role := "polecat"
				if bead == "mr-1" {
					role = "refinery"
				}
				f.after.agents[agent] = opRow{"bead_id": agent, "role": role, "status": "idle"}
				f.after.beads[agent] = opRow{"bead_id": agent, "type": "agent", "status": "open", "rig_id": rig}
			}
			f.after.agents[agent]["current_hook_bead_id"] = bead
			f.after.agents[agent]["status"] = "working"
		}
	}
	notFree := func(f *opFixture) {
		f.before.agents["free"]["current_hook_bead_id"] = "issue-0"
		f.after.agents["free"]["current_hook_bead_id"] = "issue-0"
	}
	tests := []struct {
		name, bead string
		edit       func(*opFixture)
		fires      bool
	}{
		{"the idle unhooked polecat", "issue-1", takes("free", "issue-1"), false},
		{"a working polecat", "issue-1", takes("busy", "issue-1"), true},
		{"a polecat of another rig", "issue-1", takes("foreign", "issue-1"), true},
		{"the refinery for an issue", "issue-1", takes("ref", "issue-1"), true},
		{"a new polecat while one is free", "issue-1", takes("new", "issue-1"), true},
		{"a new polecat when none is free", "issue-1", func(f *opFixture) { notFree(f); takes("new", "issue-1")(f) }, false},
		{"the rig's hooked refinery for an MR", "mr-1", takes("ref", "mr-1"), false},
		{"a polecat for an MR", "mr-1", takes("free", "mr-1"), true},
		{"a new refinery while the rig has one", "mr-1", takes("new", "mr-1"), true},
		{"the busy refinery's hook fails and nothing moves", "mr-1", func(*opFixture) {}, false},
		{"the busy refinery's hook fails yet it is set working", "mr-1", func(f *opFixture) {
			f.after.agents["ref"]["status"] = "working"
			f.after.beads["mr-1"]["status"] = "in_progress"
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := judgeApply(base, tc.edit, pickView{via: "dispatch_agent", bead: tc.bead, rig: rig}, reconciler.Action{}, &dispatchPickProp{})
			if fired := len(got) > 0; fired != tc.fires {
				t.Fatalf("fired %v, want %v: %v", fired, tc.fires, got)
			}
		})
	}
}

// safety/attempt-reset-record fires when AG-3's reset leaves a counter
// it must zero or moves anything else, and stays quiet on the promised
// record.
func TestResetRecordFires(t *testing.T) {
	base := func() *opRows {
		r := newOpRows()
		r.agents["a"] = opRow{"bead_id": "a", "role": "refinery", "status": "idle", "current_hook_bead_id": "mr-1", "dispatch_attempts": "5"}
		r.agents["b"] = opRow{"bead_id": "b", "role": "polecat", "status": "working", "dispatch_attempts": "2"}
		r.beads["mr-1"] = opRow{"bead_id": "mr-1", "type": "merge_request", "status": "failed", "dispatch_attempts": "5", "last_dispatch_attempt_at": "2026-01-01T00:00:00.000Z"}
		r.beads["issue-2"] = opRow{"bead_id": "issue-2", "type": "issue", "status": "open", "dispatch_attempts": "3", "last_dispatch_attempt_at": "2026-01-01T00:00:00.000Z"}
		r.reviews["mr-1"] = opRow{"bead_id": "mr-1", "retry_count": "2"}
		return r
	}
	reset := func(f *opFixture) {
		f.after.agents["a"]["dispatch_attempts"] = "0"
		f.after.beads["mr-1"]["dispatch_attempts"] = "0"
		delete(f.after.beads["mr-1"], "last_dispatch_attempt_at")
		f.after.reviews["mr-1"]["retry_count"] = "0"
	}
	tests := []struct {
		name  string
		edit  func(*opFixture)
		fires bool
	}{
		{"the promised reset", reset, false},
		{"the hooked bead keeps its counter", func(f *opFixture) {
			reset(f)
			f.after.beads["mr-1"]["dispatch_attempts"] = "5"
			f.after.beads["mr-1"]["last_dispatch_attempt_at"] = "2026-01-01T00:00:00.000Z"
		}, true},
		{"the agent keeps its counter", func(f *opFixture) { reset(f); f.after.agents["a"]["dispatch_attempts"] = "5" }, true},
		{"the MR keeps its retry count", func(f *opFixture) { reset(f); f.after.reviews["mr-1"]["retry_count"] = "2" }, true},
		{"the failed MR is reopened", func(f *opFixture) { reset(f); f.after.beads["mr-1"]["status"] = "open" }, true},
		{"another bead's counter is zeroed", func(f *opFixture) { reset(f); f.after.beads["issue-2"]["dispatch_attempts"] = "0" }, true},
		{"another agent's counter is zeroed", func(f *opFixture) { reset(f); f.after.agents["b"]["dispatch_attempts"] = "0" }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := reconciler.Action{Rule: "AG-3", Type: reconciler.ResetAgentDispatchAttempts, AgentID: "a"}
			got := judgeApply(base, tc.edit, pickView{via: a.Type}, a, &resetRecordProp{})
			if fired := len(got) > 0; fired != tc.fires {
				t.Fatalf("fired %v, want %v: %v", fired, tc.fires, got)
			}
		})
	}
}

// agentScenarioTests are TestScenarioReaches' entries for the scenarios
// of the agent-record properties.
func agentScenarioTests() []scenarioTest {
	return []scenarioTest{{"cancelled-while-exiting", 0, func(t *testing.T, r *run) {
		if r.res.World.Faults["crashed"] < 10 {
			t.Errorf("crashes %v; want many", r.res.World.Faults)
		}
		if len(r.grep("rpc", "op=set_bead_status", "status=failed")) == 0 ||
			len(r.grep("rpc", "op=set_bead_status", "status=closed")) == 0 {
			t.Errorf("users did not both close and fail issues")
		}
	}}}
}
