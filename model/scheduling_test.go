package model

import (
	"errors"
	"testing"
	"time"
)

// hookedPolecat sets up polecat P (rig r1) hooked to open bead B in r1.
func hookedPolecat(f *evFix, role string) {
	p := f.agent(role, "Toast", "r1")
	b := f.bead(CreateBeadInput{Title: "fix", RigID: "r1"})
	f.hook(p, b)
	f.ids["P"], f.ids["B"] = p, b
}

func TestDispatchAgent_NoRigConfig(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(f *evFix)
	}{
		{"agent rig without KV config", func(f *evFix) { f.rig("r1", false); hookedPolecat(f, RolePolecat) }},
		{"agent rig empty string", func(f *evFix) {
			f.rig("r1", true)
			p := f.agent(RolePolecat, "Toast", "")
			f.exec(`UPDATE beads SET rig_id = '' WHERE bead_id = ?`, p)
			f.ids["P"], f.ids["B"] = p, f.bead(CreateBeadInput{Title: "x", RigID: "r1"})
		}},
		{"agent without rig and no rigs", func(f *evFix) {
			f.ids["P"], f.ids["B"] = f.agent(RolePolecat, "Toast", ""), f.bead(CreateBeadInput{Title: "x"})
		}},
		{"agent without rig, first rig unconfigured", func(f *evFix) {
			f.rig("r0", false)
			f.rig("r1", true)
			f.ids["P"], f.ids["B"] = f.agent(RolePolecat, "Toast", ""), f.bead(CreateBeadInput{Title: "x"})
		}},
		{"unknown agent", func(f *evFix) {
			f.rig("r1", true)
			f.ids["P"], f.ids["B"] = "nope", f.bead(CreateBeadInput{Title: "x", RigID: "r1"})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := evNew(t)
			c.setup(f)
			before := f.dump()
			if f.town.DispatchAgent(f.env, f.ids["P"], f.ids["B"], DispatchOptions{}) {
				t.Fatal("dispatched")
			}
			eq(t, "state unchanged", f.dump(), before)
			eq(t, "calls", len(f.env.Calls), 0)
		})
	}
}

func TestDispatchAgent_AgentWithoutRigUsesFirstRig(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	f.rig("r2", true)
	p := f.agent(RolePolecat, "Toast", "")
	f.exec(`UPDATE beads SET rig_id = NULL WHERE bead_id = ?`, p)
	b := f.bead(CreateBeadInput{Title: "x", RigID: "r2"})
	if !f.town.DispatchAgent(f.env, p, b, DispatchOptions{}) {
		t.Fatal("not dispatched")
	}
	eq(t, "call rig", f.env.Calls[0].RigID, "r1")
}

func TestDispatchAgent_TownConfigError(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	hookedPolecat(f, RolePolecat)
	f.town.KV().ConfigErr = errors.New("bad config")
	before := f.dump()
	if f.town.DispatchAgent(f.env, f.ids["P"], f.ids["B"], DispatchOptions{}) {
		t.Fatal("dispatched")
	}
	eq(t, "state unchanged", f.dump(), before)
	eq(t, "calls", len(f.env.Calls), 0)
	e, ok := f.find("agent.dispatch_failed")
	eq(t, "dispatch_failed", ok, true)
	eq(t, "reason", e.Reason, "bad config")
	eq(t, "no rig on the exception path", e.RigID, "")
	eq(t, "sentry report", len(f.reports), 1)
}

func TestDispatchAgent_ContainerAnswers(t *testing.T) {
	cases := []struct {
		name      string
		role      string
		res       Result
		started   bool
		attempts  string // agent dispatch_attempts after
		reason    string // agent.dispatch_failed reason ("" = spawned)
		fetchCode float64
		noFetch   bool
	}{
		{name: "2xx started", role: RolePolecat, res: Result{StatusCode: 201}, started: true, attempts: "0", fetchCode: 201},
		{name: "500 already running counts as started", role: RolePolecat,
			res: Result{StatusCode: 500, Body: "agent abc already running"}, started: true, attempts: "0", fetchCode: 500},
		{name: "500 other error", role: RolePolecat, res: Result{StatusCode: 500, Body: "boom"},
			attempts: "1", reason: "(500) boom", fetchCode: 500},
		{name: "503 structured error", role: RolePolecat,
			res:      Result{StatusCode: 503, Body: `{"error":"clone failed","phase":"git","status":502,"error_type":"network","action":"retry"}`},
			attempts: "1", reason: "(503) git failed: network: upstream 502: clone failed Action: retry", fetchCode: 503},
		{name: "zero status is not started", role: RolePolecat, res: Result{}, attempts: "1", reason: "(0) ", fetchCode: 0},
		{name: "thrown error", role: RolePolecat, res: Result{Err: "timeout after 60s"},
			attempts: "1", reason: "EXCEPTION: timeout after 60s", noFetch: true},
		{name: "refinery keeps its counter when started", role: RoleRefinery, res: Result{StatusCode: 200},
			started: true, attempts: "1", fetchCode: 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			hookedPolecat(f, c.role)
			f.env.Clock = evAt(time.Minute)
			f.env.Respond = func(Call) Result { return c.res }
			got := f.town.DispatchAgent(f.env, f.ids["P"], f.ids["B"], DispatchOptions{})
			eq(t, "started", got, c.started)
			p, b := f.ids["P"], f.ids["B"]
			// State written before the await stays whatever the answer.
			eq(t, "agent status", f.a(p, "status"), AgentWorking)
			eq(t, "agent attempts", f.a(p, "dispatch_attempts"), c.attempts)
			eq(t, "last_activity_at", f.a(p, "last_activity_at"), ISO(evAt(time.Minute)))
			eq(t, "bead status", f.b(b, "status"), StatusInProgress)
			eq(t, "bead attempts", f.b(b, "dispatch_attempts"), "1")
			eq(t, "bead last attempt", f.b(b, "last_dispatch_attempt_at"), ISO(evAt(time.Minute)))
			eq(t, "status_changed actor", f.q(`SELECT agent_id FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed'`, b), p)
			call := f.env.Calls[0]
			eq(t, "call", call, Call{Kind: CallStartAgent, AgentID: p, BeadID: b, RigID: "r1", Role: c.role,
				Branch: BranchForAgent(f.b(p, "title"), b), GitURL: "https://github.com/o/r1", DefaultBranch: "main"})
			if c.reason == "" {
				e, ok := f.find("agent.spawned")
				eq(t, "spawned", ok, true)
				eq(t, "spawned slots", e, AnalyticsEvent{Event: "agent.spawned", UserID: "", Delivery: "internal",
					TownID: evTownID, RigID: "r1", AgentID: p, BeadID: b, Role: c.role})
			} else {
				e, ok := f.find("agent.dispatch_failed")
				eq(t, "dispatch_failed", ok, true)
				eq(t, "reason", e.Reason, c.reason)
				eq(t, "rig", e.RigID, "r1")
			}
			fetch, ok := f.find("container.agent_start_fetch")
			eq(t, "fetch event", ok, !c.noFetch)
			if ok {
				eq(t, "fetch status", fetch.StatusCode, c.fetchCode)
				eq(t, "fetch raw writer", fetch.Delivery, "")
				if c.reason != "" {
					eq(t, "fetch error", fetch.Error, c.reason)
				}
			}
		})
	}
}

func TestDispatchAgent_BeadStatusGuard(t *testing.T) {
	for _, c := range []struct{ from, to string }{
		{StatusOpen, StatusInProgress},
		{StatusInReview, StatusInProgress}, // §7.13
		{StatusInProgress, StatusInProgress},
		{StatusClosed, StatusClosed},
		{StatusFailed, StatusFailed},
	} {
		t.Run(c.from, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			hookedPolecat(f, RolePolecat)
			f.exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, c.from, f.ids["B"])
			f.town.DispatchAgent(f.env, f.ids["P"], f.ids["B"], DispatchOptions{})
			eq(t, "status", f.b(f.ids["B"], "status"), c.to)
			eq(t, "counter incremented even when terminal", f.b(f.ids["B"], "dispatch_attempts"), "1")
		})
	}
}

// Hazard 21: the last start error is one Town-wide variable, reset at the
// start of every start call.
func TestHazard21_LastStartErrorIsShared(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	hookedPolecat(f, RolePolecat)
	f.env.Respond = func(Call) Result { return Result{StatusCode: 502, Body: "bad gateway"} }
	f.town.DispatchAgent(f.env, f.ids["P"], f.ids["B"], DispatchOptions{})
	eq(t, "after failure", f.town.lastStartError, "(502) bad gateway")
	f.env.Respond = func(Call) Result { return Result{StatusCode: 200} }
	f.town.DispatchAgent(f.env, f.ids["P"], f.ids["B"], DispatchOptions{})
	eq(t, "reset by the next start", f.town.lastStartError, "")
}

func TestDispatchFromAction(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	f.rig("r2", true)
	hookedPolecat(f, RolePolecat)
	if f.town.DispatchFromAction(f.env, "missing", f.ids["B"], "r1") {
		t.Error("dispatched a missing agent")
	}
	if f.town.DispatchFromAction(f.env, f.ids["P"], "missing", "r1") {
		t.Error("dispatched onto a missing bead")
	}
	eq(t, "no calls", len(f.env.Calls), 0)
	f.town.KV().ConfigErr = errors.New("bad")
	if f.town.DispatchFromAction(f.env, f.ids["P"], f.ids["B"], "r2") {
		t.Error("dispatched with an unreadable config")
	}
	f.town.KV().ConfigErr = nil
	// The action's rig (r2) only chooses the prompt; dispatch uses the
	// agent's own rig (hazard 20).
	if !f.town.DispatchFromAction(f.env, f.ids["P"], f.ids["B"], "r2") {
		t.Fatal("not dispatched")
	}
	eq(t, "call rig", f.env.Calls[0].RigID, "r1")
}

func TestDispatchUnblockedBeads(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	blocker := f.bead(CreateBeadInput{Title: "first", RigID: "r1"})
	var blocked []string
	for _, name := range []string{"Toast", "Maple", "Birch"} {
		a := f.agent(RolePolecat, name, "r1")
		b := f.bead(CreateBeadInput{Title: "then " + name, RigID: "r1"})
		f.must(f.town.InsertDependency(b, blocker, DepBlocks))
		f.hook(a, b)
		blocked = append(blocked, b)
		f.ids[name] = a
	}
	f.exec(`UPDATE agent_metadata SET status = 'working' WHERE bead_id = ?`, f.ids["Maple"]) // not idle
	f.exec(`UPDATE beads SET assignee_agent_bead_id = NULL WHERE bead_id = ?`, blocked[2])   // no assignee
	unassigned := f.bead(CreateBeadInput{Title: "loose", RigID: "r1"})
	f.must(f.town.InsertDependency(unassigned, blocker, DepBlocks))

	f.must(f.town.DispatchUnblockedBeads(f.env, blocker))
	eq(t, "still blocked: no dispatch", len(f.env.Calls), 0)

	f.exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, blocker)
	f.must(f.town.DispatchUnblockedBeads(f.env, blocker))
	eq(t, "calls", len(f.env.Calls), 1)
	eq(t, "dispatched", f.env.Calls[0].BeadID, blocked[0])
	eq(t, "bead", f.b(blocked[0], "status"), StatusInProgress)
	eq(t, "working agent's bead untouched", f.b(blocked[1], "status"), StatusOpen)
}
