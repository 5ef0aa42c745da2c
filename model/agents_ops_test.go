package model

import (
	"strings"
	"testing"
	"time"
)

func TestRegisterAgent(t *testing.T) {
	town := newTestTown(t)
	a, err := town.RegisterAgent(at(time.Second), RoleMayor, "mayor", "mayor-5f0c1e2a", "")
	must(t, err)
	eq(t, "type", beadCol(t, town, a.ID, "type"), TypeAgent)
	eq(t, "bead status", beadCol(t, town, a.ID, "status"), StatusOpen)
	eq(t, "title", beadCol(t, town, a.ID, "title"), "mayor")
	eq(t, "rig NULL", beadCol(t, town, a.ID, "rig_id"), "<NULL>")
	eq(t, "created_at", beadCol(t, town, a.ID, "created_at"), iso(time.Second))
	eq(t, "agent status", agentCol(t, town, a.ID, "status"), AgentIdle)
	eq(t, "active_tools default", agentCol(t, town, a.ID, "active_tools"), "[]")
	eq(t, "no bead event", num(t, town, `SELECT COUNT(*) FROM bead_events`), 0)
	if _, err := town.RegisterAgent(t0, RoleMayor, "mayor", "mayor-5f0c1e2a", ""); err == nil {
		t.Fatal("duplicate identity must fail")
	}
}

func TestAllocatePolecatName(t *testing.T) {
	town := newTestTown(t)
	name, err := town.AllocatePolecatName()
	must(t, err)
	eq(t, "first", name, "Toast")
	mkAgent(t, town, RolePolecat, "Toast", "r1")
	mkAgent(t, town, RoleRefinery, "Maple", "r1") // not a polecat: does not take the name
	mkAgent(t, town, RolePolecat, "Birch", "r2")
	name, err = town.AllocatePolecatName()
	must(t, err)
	eq(t, "second", name, "Maple")
	for _, n := range PolecatNames {
		if n != "Toast" && n != "Birch" {
			mkAgent(t, town, RolePolecat, n, "r1")
		}
	}
	name, err = town.AllocatePolecatName()
	must(t, err)
	eq(t, "pool exhausted", name, "Polecat-21")
}

func TestGetOrCreateAgent(t *testing.T) {
	const rig = "0123456789-rig"
	t.Run("polecat: creates with pool name and identity", func(t *testing.T) {
		town := newTestTown(t)
		a, err := town.GetOrCreateAgent(t0, RolePolecat, rig)
		must(t, err)
		eq(t, "name", a.Name, "Toast")
		eq(t, "identity", a.Identity, "Toast-polecat-01234567@5f0c1e2a")
		eq(t, "rig", a.RigID.String, rig)
	})
	t.Run("polecat: reuses first idle unhooked in the same rig", func(t *testing.T) {
		town := newTestTown(t)
		busy := mkAgent(t, town, RolePolecat, "Toast", rig)
		setAgent(t, town, busy, "status = 'working'")
		hooked := mkAgent(t, town, RolePolecat, "Maple", rig)
		must(t, town.HookBead(t0, hooked, mkBead(t, town, CreateBeadInput{})))
		mkAgent(t, town, RolePolecat, "Birch", "other-rig")
		free1 := mkAgent(t, town, RolePolecat, "Shadow", rig)
		mkAgent(t, town, RolePolecat, "Clover", rig)
		a, err := town.GetOrCreateAgent(t0, RolePolecat, rig)
		must(t, err)
		eq(t, "reused", a.ID, free1)
	})
	t.Run("polecat: none free creates", func(t *testing.T) {
		town := newTestTown(t)
		busy := mkAgent(t, town, RolePolecat, "Toast", rig)
		setAgent(t, town, busy, "status = 'stalled'")
		mkAgent(t, town, RolePolecat, "Maple", "other-rig")
		a, err := town.GetOrCreateAgent(t0, RolePolecat, rig)
		must(t, err)
		eq(t, "new name", a.Name, "Birch")
		eq(t, "agents", num(t, town, `SELECT COUNT(*) FROM agent_metadata`), 3)
	})
	t.Run("refinery: reused whatever its status and hook", func(t *testing.T) {
		town := newTestTown(t)
		f := mkAgent(t, town, RoleRefinery, "refinery", rig)
		setAgent(t, town, f, "status = 'working'")
		must(t, town.HookBead(t0, f, mkBead(t, town, CreateBeadInput{Type: TypeMergeRequest})))
		a, err := town.GetOrCreateAgent(t0, RoleRefinery, rig)
		must(t, err)
		eq(t, "reused", a.ID, f)
		b, err := town.GetOrCreateAgent(t0, RoleRefinery, "other-rig")
		must(t, err)
		eq(t, "other rig gets a new one", b.ID != f, true)
		eq(t, "name", b.Name, "refinery")
		eq(t, "identity", b.Identity, "refinery-refinery-other-ri@5f0c1e2a")
	})
	t.Run("mayor: oldest by created_at, any rig", func(t *testing.T) {
		town := newTestTown(t)
		young, err := town.RegisterAgent(at(time.Hour), RoleMayor, "mayor", "m2", "")
		must(t, err)
		old, err := town.RegisterAgent(t0, RoleMayor, "mayor", "m1", "r")
		must(t, err)
		a, err := town.GetOrCreateAgent(t0, RoleMayor, rig)
		must(t, err)
		eq(t, "oldest", a.ID, old.ID)
		_ = young
	})
	t.Run("empty rig is stored as ''", func(t *testing.T) {
		town := newTestTown(t)
		a, err := town.GetOrCreateAgent(t0, RoleMayor, "")
		must(t, err)
		eq(t, "rig ''", beadCol(t, town, a.ID, "rig_id"), "")
		eq(t, "identity", a.Identity, "mayor-mayor-@5f0c1e2a")
	})
}

func TestHookBead(t *testing.T) {
	setup := func(t *testing.T) (*Town, string, string) {
		town := newTestTown(t)
		a := mkAgent(t, town, RolePolecat, "Toast", "r")
		b := mkBead(t, town, CreateBeadInput{})
		return town, a, b
	}
	t.Run("hooks", func(t *testing.T) {
		town, a, b := setup(t)
		setAgent(t, town, a, "status = 'working', agent_status_message = 'x', agent_status_updated_at = 'y', checkpoint = '{}'")
		must(t, town.HookBead(at(time.Minute), a, b))
		eq(t, "hook", agentCol(t, town, a, "current_hook_bead_id"), b)
		eq(t, "status", agentCol(t, town, a, "status"), AgentIdle)
		eq(t, "last_activity_at", agentCol(t, town, a, "last_activity_at"), iso(time.Minute))
		eq(t, "status message", agentCol(t, town, a, "agent_status_message"), "<NULL>")
		eq(t, "status updated", agentCol(t, town, a, "agent_status_updated_at"), "<NULL>")
		eq(t, "checkpoint kept", agentCol(t, town, a, "checkpoint"), "{}")
		eq(t, "assignee", beadCol(t, town, b, "assignee_agent_bead_id"), a)
		eq(t, "bead status unchanged", beadCol(t, town, b, "status"), StatusOpen)
		eq(t, "bead updated_at", beadCol(t, town, b, "updated_at"), iso(time.Minute))
		eqSlice(t, "events", events(t, town, b), []string{"created", "hooked"})
		eq(t, "event new", lastEvent(t, town, b, "hooked", "new_value"), a)
		eq(t, "event agent", lastEvent(t, town, b, "hooked", "agent_id"), a)
	})
	t.Run("terminal bead can be hooked", func(t *testing.T) {
		town, a, b := setup(t)
		setStatus(t, town, b, StatusFailed)
		must(t, town.HookBead(t0, a, b))
		eq(t, "hook", agentCol(t, town, a, "current_hook_bead_id"), b)
	})
	t.Run("same hook is a pure no-op", func(t *testing.T) {
		town, a, b := setup(t)
		must(t, town.HookBead(t0, a, b))
		setAgent(t, town, a, "status = 'working'")
		before := dump(t, town)
		must(t, town.HookBead(at(time.Hour), a, b))
		eq(t, "unchanged", dump(t, town), before)
	})
	t.Run("other agents hooked to the bead are unhooked", func(t *testing.T) {
		town, a, b := setup(t)
		other := mkAgent(t, town, RolePolecat, "Maple", "r")
		must(t, town.HookBead(t0, other, b))
		must(t, town.HookBead(at(time.Minute), a, b))
		eq(t, "other hook", agentCol(t, town, other, "current_hook_bead_id"), "<NULL>")
		eq(t, "assignee", beadCol(t, town, b, "assignee_agent_bead_id"), a)
		eqSlice(t, "events", events(t, town, b), []string{"created", "hooked", "unhooked", "hooked"})
	})

	fails := []struct {
		name    string
		prepare func(t *testing.T, town *Town, a, b string) (agent, bead string)
		want    string
	}{
		{"agent missing", func(t *testing.T, town *Town, a, b string) (string, string) { return "ghost", b }, "Agent ghost not found"},
		{"bead missing", func(t *testing.T, town *Town, a, b string) (string, string) { return a, "ghost" }, "Bead ghost not found"},
		{"escalation", func(t *testing.T, town *Town, a, b string) (string, string) {
			return a, mkBead(t, town, CreateBeadInput{Type: TypeEscalation})
		}, "is not workable"},
		{"convoy", func(t *testing.T, town *Town, a, b string) (string, string) {
			return a, mkBead(t, town, CreateBeadInput{Type: TypeConvoy})
		}, "is not workable"},
		{"agent bead", func(t *testing.T, town *Town, a, b string) (string, string) { return a, a }, "is not workable"},
		{"message", func(t *testing.T, town *Town, a, b string) (string, string) {
			return a, mkBead(t, town, CreateBeadInput{Type: TypeMessage})
		}, "is not workable"},
		{"triage request", func(t *testing.T, town *Town, a, b string) (string, string) {
			return a, mkBead(t, town, CreateBeadInput{Labels: []string{"x", LabelTriageRequest}})
		}, "triage requests"},
		{"already hooked elsewhere", func(t *testing.T, town *Town, a, b string) (string, string) {
			must(t, town.HookBead(t0, a, mkBead(t, town, CreateBeadInput{})))
			return a, b
		}, "Unhook first"},
	}
	for _, c := range fails {
		t.Run("fails: "+c.name, func(t *testing.T) {
			town, a, b := setup(t)
			agent, bead := c.prepare(t, town, a, b)
			other := mkAgent(t, town, RolePolecat, "Maple", "r")
			_, err := town.DB().Exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id = ?`, b, other)
			must(t, err)
			before := dump(t, town)
			err = town.HookBead(at(time.Hour), agent, bead)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			eq(t, "unchanged", dump(t, town), before)
		})
	}
}

// hookBead, unhookBead and deleteBead write status directly and keep a
// stale stalled_at, which a later stall inherits (model.md §7.6).
func TestInconsistency06_StalledAtSurvivesHook(t *testing.T) {
	town := newTestTown(t)
	a := mkAgent(t, town, RolePolecat, "Toast", "r")
	must(t, town.UpdateAgentStatus(at(time.Minute), a, AgentStalled))
	eq(t, "stalled_at", agentCol(t, town, a, "stalled_at"), iso(time.Minute))
	b := mkBead(t, town, CreateBeadInput{})
	must(t, town.HookBead(at(time.Hour), a, b))
	eq(t, "status", agentCol(t, town, a, "status"), AgentIdle)
	eq(t, "stalled_at survives hook", agentCol(t, town, a, "stalled_at"), iso(time.Minute))
	must(t, town.UnhookBead(at(time.Hour), a))
	eq(t, "stalled_at survives unhook", agentCol(t, town, a, "stalled_at"), iso(time.Minute))
	must(t, town.TouchAgent(at(time.Hour), a, nil))
	eq(t, "stalled_at survives heartbeat", agentCol(t, town, a, "stalled_at"), iso(time.Minute))
	must(t, town.UpdateAgentStatus(at(3*time.Hour), a, AgentStalled))
	eq(t, "later stall inherits the old stamp", agentCol(t, town, a, "stalled_at"), iso(time.Minute))
	must(t, town.UpdateAgentStatus(at(3*time.Hour), a, AgentIdle))
	eq(t, "cleared by updateAgentStatus", agentCol(t, town, a, "stalled_at"), "<NULL>")
}

// hookBead resets neither the agent's nor the bead's dispatch_attempts
// (model.md §7.7).
func TestInconsistency07_HookBeadKeepsCounters(t *testing.T) {
	town := newTestTown(t)
	a := mkAgent(t, town, RolePolecat, "Toast", "r")
	b := mkBead(t, town, CreateBeadInput{})
	setAgent(t, town, a, "dispatch_attempts = 3")
	_, err := town.DB().Exec(`UPDATE beads SET dispatch_attempts = 4 WHERE bead_id = ?`, b)
	must(t, err)
	must(t, town.HookBead(t0, a, b))
	eq(t, "agent attempts", agentCol(t, town, a, "dispatch_attempts"), "3")
	eq(t, "bead attempts", beadCol(t, town, b, "dispatch_attempts"), "4")
}

func TestUnhookBead(t *testing.T) {
	town := newTestTown(t)
	a := mkAgent(t, town, RolePolecat, "Toast", "r")
	b := mkBead(t, town, CreateBeadInput{})
	setAgent(t, town, a, "status = 'working'")
	before := dump(t, town)
	must(t, town.UnhookBead(t0, a))
	must(t, town.UnhookBead(t0, "ghost"))
	eq(t, "no hook: no-op (status kept)", dump(t, town), before)

	must(t, town.HookBead(t0, a, b))
	setAgent(t, town, a, "status = 'working', checkpoint = '{\"x\":1}'")
	must(t, town.UnhookBead(at(time.Minute), a))
	eq(t, "hook", agentCol(t, town, a, "current_hook_bead_id"), "<NULL>")
	eq(t, "status", agentCol(t, town, a, "status"), AgentIdle)
	eq(t, "checkpoint", agentCol(t, town, a, "checkpoint"), "<NULL>")
	eq(t, "assignee kept", beadCol(t, town, b, "assignee_agent_bead_id"), a)
	eq(t, "event old", lastEvent(t, town, b, "unhooked", "old_value"), a)
	eq(t, "event new", lastEvent(t, town, b, "unhooked", "new_value"), "<NULL>")
}

func TestUpdateAgentStatus(t *testing.T) {
	town := newTestTown(t)
	a := mkAgent(t, town, RolePolecat, "Toast", "r")
	must(t, town.UpdateAgentStatus(at(time.Minute), a, AgentStalled))
	eq(t, "stalled_at set", agentCol(t, town, a, "stalled_at"), iso(time.Minute))
	must(t, town.UpdateAgentStatus(at(time.Hour), a, AgentStalled))
	eq(t, "stalled_at kept (COALESCE)", agentCol(t, town, a, "stalled_at"), iso(time.Minute))
	must(t, town.UpdateAgentStatus(at(time.Hour), a, "anything"))
	eq(t, "any string", agentCol(t, town, a, "status"), "anything")
	eq(t, "stalled_at cleared", agentCol(t, town, a, "stalled_at"), "<NULL>")
	must(t, town.UpdateAgentStatus(t0, "ghost", AgentIdle))
}

func TestWriteCheckpoint(t *testing.T) {
	town := newTestTown(t)
	a := mkAgent(t, town, RolePolecat, "Toast", "r")
	must(t, town.WriteCheckpoint(a, map[string]any{"step": 2, "note": "<a>"}))
	eq(t, "json", agentCol(t, town, a, "checkpoint"), `{"note":"<a>","step":2}`)
	must(t, town.WriteCheckpoint(a, nil))
	eq(t, "null", agentCol(t, town, a, "checkpoint"), "<NULL>")
}

func TestTouchAgent(t *testing.T) {
	cases := []struct{ from, want string }{
		{AgentIdle, AgentWorking}, {AgentWorking, AgentWorking}, {AgentStalled, AgentStalled}, {AgentWaiting, AgentWaiting},
	}
	for _, c := range cases {
		t.Run(c.from, func(t *testing.T) {
			town := newTestTown(t)
			a := mkAgent(t, town, RoleRefinery, "refinery", "r")
			setAgent(t, town, a, "status = ?, dispatch_attempts = 4, last_event_type = 'old', last_event_at = 'old-at', active_tools = '[\"x\"]'", c.from)
			must(t, town.TouchAgent(at(time.Minute), a, nil))
			eq(t, "status", agentCol(t, town, a, "status"), c.want)
			eq(t, "attempts reset (refinery too)", agentCol(t, town, a, "dispatch_attempts"), "0")
			eq(t, "last_activity_at", agentCol(t, town, a, "last_activity_at"), iso(time.Minute))
			eq(t, "event type kept", agentCol(t, town, a, "last_event_type"), "old")
			eq(t, "tools kept", agentCol(t, town, a, "active_tools"), `["x"]`)
		})
	}
	t.Run("watermark", func(t *testing.T) {
		town := newTestTown(t)
		a := mkAgent(t, town, RolePolecat, "Toast", "r")
		must(t, town.TouchAgent(t0, a, &Watermark{LastEventType: "tool", LastEventAt: "2026", ActiveTools: []string{}}))
		eq(t, "type", agentCol(t, town, a, "last_event_type"), "tool")
		eq(t, "at", agentCol(t, town, a, "last_event_at"), "2026")
		eq(t, "tools", agentCol(t, town, a, "active_tools"), "[]")
		must(t, town.TouchAgent(t0, a, &Watermark{LastEventType: "tool2"}))
		eq(t, "at kept", agentCol(t, town, a, "last_event_at"), "2026")
		eq(t, "type", agentCol(t, town, a, "last_event_type"), "tool2")
	})
}

func TestUpdateAgentStatusMessage(t *testing.T) {
	town := newTestTown(t)
	must(t, town.AddRig(t0, "r", "Rig One", "", ""))
	a := mkAgent(t, town, RolePolecat, "Toast", "r")
	must(t, town.UpdateAgentStatusMessage(at(time.Minute), a, "thinking"))
	eq(t, "message", agentCol(t, town, a, "agent_status_message"), "thinking")
	eq(t, "updated", agentCol(t, town, a, "agent_status_updated_at"), iso(time.Minute))
	eq(t, "no hook: no event", num(t, town, `SELECT COUNT(*) FROM bead_events WHERE event_type = 'agent_status'`), 0)
	b := mkBead(t, town, CreateBeadInput{})
	must(t, town.HookBead(t0, a, b))
	must(t, town.UpdateAgentStatusMessage(at(time.Minute), a, "coding"))
	eq(t, "event new", lastEvent(t, town, b, "agent_status", "new_value"), "coding")
	eq(t, "event meta", lastEvent(t, town, b, "agent_status", "metadata"),
		`{"agentId":"`+a+`","message":"coding","agent_name":"Toast","rig_id":"r","rig_name":"Rig One"}`)

	m, err := town.RegisterAgent(t0, RoleMayor, "mayor", "m", "")
	must(t, err)
	must(t, town.HookBead(t0, m.ID, mkBead(t, town, CreateBeadInput{})))
	must(t, town.UpdateAgentStatusMessage(t0, m.ID, "hi"))
	eq(t, "no rig meta", str(t, town, `SELECT metadata FROM bead_events WHERE event_type = 'agent_status' AND agent_id = ?`, m.ID),
		`{"agentId":"`+m.ID+`","message":"hi","agent_name":"mayor","rig_id":null}`)
}

func TestDeleteAgent(t *testing.T) {
	town := newTestTown(t)
	a := mkAgent(t, town, RolePolecat, "Toast", "r")
	open := mkBead(t, town, CreateBeadInput{Assignee: a})
	inReview := mkBead(t, town, CreateBeadInput{Assignee: a})
	setStatus(t, town, inReview, StatusInReview)
	closed := mkBead(t, town, CreateBeadInput{Assignee: a})
	setStatus(t, town, closed, StatusClosed)
	mr := mkBead(t, town, CreateBeadInput{Type: TypeMergeRequest, Assignee: a})
	setStatus(t, town, mr, StatusInProgress)
	untouched := mkBead(t, town, CreateBeadInput{})
	must(t, town.HookBead(t0, a, open))
	_, err := town.DB().Exec(`INSERT INTO town_events (event_id, event_type, agent_id, payload, created_at) VALUES ('e', 'agent_done', ?, '{}', ?)`, a, iso(0))
	must(t, err)

	must(t, town.DeleteAgent(at(time.Minute), a))
	eq(t, "agent bead gone", num(t, town, `SELECT COUNT(*) FROM beads WHERE bead_id = ?`, a), 0)
	eq(t, "metadata gone", num(t, town, `SELECT COUNT(*) FROM agent_metadata WHERE bead_id = ?`, a), 0)
	eq(t, "town event gone", num(t, town, `SELECT COUNT(*) FROM town_events`), 0)
	for _, id := range []string{open, inReview, mr} {
		eq(t, "reopened", beadCol(t, town, id, "status"), StatusOpen)
		eq(t, "assignee cleared", beadCol(t, town, id, "assignee_agent_bead_id"), "<NULL>")
		eq(t, "updated_at", beadCol(t, town, id, "updated_at"), iso(time.Minute))
	}
	eq(t, "closed stays closed", beadCol(t, town, closed, "status"), StatusClosed)
	eq(t, "closed assignee cleared", beadCol(t, town, closed, "assignee_agent_bead_id"), "<NULL>")
	eq(t, "closed updated_at", beadCol(t, town, closed, "updated_at"), iso(time.Minute))
	eq(t, "untouched", beadCol(t, town, untouched, "updated_at"), iso(0))
	eqSlice(t, "no status events", events(t, town, inReview), []string{"created"})
}
