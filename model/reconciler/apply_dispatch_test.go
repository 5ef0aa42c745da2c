package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// TestApplyDispatchAgent covers dispatch_agent's synchronous part and its
// effect (§3.2).
func TestApplyDispatchAgent(t *testing.T) {
	t.Run("empty agent resolves a polecat in the action rig", func(t *testing.T) {
		f := newApplyFix(t)
		bead := f.issue("work")
		f.advance(time.Minute)
		e := f.apply(Action{Type: DispatchAgent, BeadID: bead, RigID: applyRig})
		if e == nil {
			t.Fatal("no effect")
		}
		agent := f.bead(bead, "assignee_agent_bead_id")
		wantEq(t, "role", f.agentCol(agent, "role"), "polecat")
		wantEq(t, "agent rig", f.bead(agent, "rig_id"), applyRig)
		wantEq(t, "hook", f.agentCol(agent, "current_hook_bead_id"), bead)
		wantEq(t, "agent status", f.agentCol(agent, "status"), "working")
		wantEq(t, "bead status", f.bead(bead, "status"), "in_progress")
		wantEq(t, "status actor", f.str(`SELECT agent_id FROM bead_events WHERE bead_id = ? AND new_value = 'in_progress'`, bead), agent)
		// Counters are the dispatch's, not the synchronous part's.
		wantEq(t, "agent attempts", f.agentCol(agent, "dispatch_attempts"), "0")
		wantEq(t, "bead attempts", f.bead(bead, "dispatch_attempts"), "0")
		if len(f.env.Calls) != 0 {
			t.Fatalf("synchronous part called %s", f.callKinds())
		}

		f.answer(model.CallStartAgent, model.Result{StatusCode: 200})
		if err := e.Run(f.env); err != nil {
			t.Fatalf("effect rejected: %v", err)
		}
		starts := f.calls(model.CallStartAgent)
		if len(starts) != 1 || starts[0].AgentID != agent || starts[0].BeadID != bead || starts[0].RigID != applyRig {
			t.Fatalf("start calls = %+v", starts)
		}
		wantEq(t, "bead attempts after start", f.bead(bead, "dispatch_attempts"), "1")
		wantEq(t, "agent attempts reset on start", f.agentCol(agent, "dispatch_attempts"), "0")
		if n := len(f.events("agent.spawned")); n != 1 {
			t.Errorf("agent.spawned events = %d, want 1", n)
		}
	})

	t.Run("empty agent on an MR resolves the rig's refinery", func(t *testing.T) {
		f := newApplyFix(t)
		mr := f.mr(f.issue("src"), "")
		e := f.apply(Action{Type: DispatchAgent, BeadID: mr, RigID: applyRig})
		if e == nil {
			t.Fatal("no effect")
		}
		wantEq(t, "role", f.agentCol(f.bead(mr, "assignee_agent_bead_id"), "role"), "refinery")
		wantEq(t, "MR status", f.bead(mr, "status"), "in_progress")
	})

	t.Run("explicit agent is not re-hooked", func(t *testing.T) {
		f := newApplyFix(t)
		bead := f.issue("work")
		agent := f.hooked(bead)
		e := f.apply(Action{Type: DispatchAgent, AgentID: agent, BeadID: bead, RigID: applyRig})
		if e == nil {
			t.Fatal("no effect")
		}
		wantNum(t, "hooked events", f.num(`SELECT count(*) FROM bead_events WHERE event_type = 'hooked'`), 1)
		wantEq(t, "agent status", f.agentCol(agent, "status"), "working")
	})

	t.Run("hook failure is caught and leaves the created agent", func(t *testing.T) {
		f := newApplyFix(t)
		e, err := Apply(f.town, f.env, Action{Type: DispatchAgent, BeadID: "missing-bead", RigID: applyRig})
		if err != nil || e != nil {
			t.Fatalf("Apply = %v, %v; want no effect, no error", e, err)
		}
		wantNum(t, "agents", f.num(`SELECT count(*) FROM agent_metadata WHERE role = 'polecat' AND status = 'idle'`), 1)
	})

	t.Run("missing bead with an explicit agent throws after the agent is working", func(t *testing.T) {
		f := newApplyFix(t)
		agent := f.agent(model.RolePolecat, applyRig)
		e, err := Apply(f.town, f.env, Action{Type: DispatchAgent, AgentID: agent, BeadID: "missing-bead", RigID: applyRig})
		if err == nil || e != nil {
			t.Fatalf("Apply = %v, %v; want an error and no effect", e, err)
		}
		wantEq(t, "agent status", f.agentCol(agent, "status"), "working")
	})

	t.Run("terminal bead stays terminal but the dispatch proceeds", func(t *testing.T) {
		f := newApplyFix(t)
		bead := f.issue("done")
		agent := f.hooked(bead)
		_, err := f.town.UpdateBeadStatus(f.env.Clock, bead, model.StatusClosed, "", nil)
		f.must(err)
		e := f.apply(Action{Type: DispatchAgent, AgentID: agent, BeadID: bead, RigID: applyRig})
		if e == nil {
			t.Fatal("no effect")
		}
		wantEq(t, "bead status", f.bead(bead, "status"), "closed")
		f.answer(model.CallStartAgent, model.Result{StatusCode: 200})
		f.must(e.Run(f.env))
		wantNum(t, "start calls", len(f.calls(model.CallStartAgent)), 1)
		wantEq(t, "terminal bead's attempts still counted", f.bead(bead, "dispatch_attempts"), "1")
	})
}

// TestHazard19_SideEffectMetricsAreNotOutcomeMetrics: a dispatch whose
// container start failed still fulfils (counted as succeeded); only state
// and agent.dispatch_failed show the failure (§3.8).
func TestHazard19_SideEffectMetricsAreNotOutcomeMetrics(t *testing.T) {
	f := newApplyFix(t)
	bead := f.issue("work")
	e := f.apply(Action{Type: DispatchAgent, BeadID: bead, RigID: applyRig})
	f.answer(model.CallStartAgent, model.Result{StatusCode: 503, Body: "no capacity"})
	if err := e.Run(f.env); err != nil {
		t.Fatalf("failed start rejected the effect: %v", err)
	}
	agent := f.bead(bead, "assignee_agent_bead_id")
	wantEq(t, "agent left working", f.agentCol(agent, "status"), "working")
	wantEq(t, "bead left in_progress", f.bead(bead, "status"), "in_progress")
	wantEq(t, "agent attempts", f.agentCol(agent, "dispatch_attempts"), "1")
	wantEq(t, "bead attempts", f.bead(bead, "dispatch_attempts"), "1")
	failed := f.events("agent.dispatch_failed")
	if len(failed) != 1 || failed[0].Reason != "(503) no capacity" || failed[0].AgentID != agent {
		t.Fatalf("agent.dispatch_failed = %+v", failed)
	}
	if n := len(f.events("agent.spawned")); n != 0 {
		t.Errorf("agent.spawned emitted %d times", n)
	}
}

// TestHazard20_ActionRigVersusAgentRig: ctx.dispatchAgent receives the
// action's rig, but the start runs with the agent's own rig and its rig
// config.
func TestHazard20_ActionRigVersusAgentRig(t *testing.T) {
	t.Run("start uses the agent's rig", func(t *testing.T) {
		f := newApplyFix(t)
		f.must(f.town.AddRig(applyT0, applyRig2, "other", "https://github.com/acme/other.git", "main"))
		bead := f.issue("work")
		agent := f.hooked(bead)
		e := f.apply(Action{Type: DispatchAgent, AgentID: agent, BeadID: bead, RigID: applyRig2})
		f.answer(model.CallStartAgent, model.Result{StatusCode: 200})
		f.must(e.Run(f.env))
		starts := f.calls(model.CallStartAgent)
		if len(starts) != 1 || starts[0].RigID != applyRig {
			t.Fatalf("start calls = %+v, want one in the agent's rig %s", starts, applyRig)
		}
	})
	t.Run("an unconfigured agent rig blocks the start whatever the action rig", func(t *testing.T) {
		f := newApplyFix(t)
		f.must(f.town.AddRig(applyT0, applyRig2, "other", "https://github.com/acme/other.git", "main"))
		bead := f.issue("work")
		agent := f.agent(model.RolePolecat, applyRig2) // rig 2 has no runtime config
		f.must(f.town.HookBead(f.env.Clock, agent, bead))
		e := f.apply(Action{Type: DispatchAgent, AgentID: agent, BeadID: bead, RigID: applyRig})
		f.must(e.Run(f.env))
		if n := len(f.calls(model.CallStartAgent)); n != 0 {
			t.Fatalf("started %d times without the agent rig's config", n)
		}
		wantEq(t, "bead attempts", f.bead(bead, "dispatch_attempts"), "0")
		wantEq(t, "agent status (synchronous part)", f.agentCol(agent, "status"), "working")
	})
}

// TestHazard21_LastStartErrorRace: production keeps the last container
// start error in one module-level variable, so with concurrent dispatches
// a failure's reason can be another agent's. In the port the error is set
// and read with no await in between (one start call per dispatch), so
// even with Phase 2's closures interleaved at every call each failure
// reports its own reason; the variable is still Town-wide and reset by
// every start.
func TestHazard21_LastStartErrorRace(t *testing.T) {
	f := newApplyFix(t)
	env := &coEnv{InstantEnv: model.InstantEnv{Clock: f.env.Clock}}
	var answered []int
	env.Respond = func(c model.Call) model.Result {
		answered = append(answered, len(env.Calls))
		if c.Kind == model.CallStartAgent {
			return model.Result{StatusCode: 500, Body: "boom-" + c.BeadID[:8]}
		}
		return model.Result{}
	}
	var effects []*Effect
	var beads []string
	for _, title := range []string{"one", "two", "three"} {
		b := f.issue(title)
		beads = append(beads, b)
		e, err := Apply(f.town, env, Action{Type: DispatchAgent, BeadID: b, RigID: applyRig})
		if err != nil || e == nil {
			t.Fatalf("apply: %v %v", e, err)
		}
		effects = append(effects, e)
	}
	var tasks []func()
	for _, e := range effects {
		tasks = append(tasks, func() { f.must(e.Run(env)) })
	}
	env.All(tasks)
	// The three starts were all issued before any answer came back.
	if len(env.Calls) != 3 || len(answered) != 3 || answered[0] != 3 {
		t.Fatalf("calls %d, answered after %v calls: the closures did not interleave", len(env.Calls), answered)
	}
	failed := f.events("agent.dispatch_failed")
	if len(failed) != 3 {
		t.Fatalf("dispatch_failed events = %d, want 3", len(failed))
	}
	for _, e := range failed {
		if want := "(500) boom-" + e.BeadID[:8]; e.Reason != want {
			t.Errorf("bead %s reason %q, want its own %q", e.BeadID, e.Reason, want)
		}
	}
}

// TestSideEffectAccounting checks §3.8: which effects exist and which can
// reject, over one batch of actions.
func TestSideEffectAccounting(t *testing.T) {
	f := newApplyFix(t)
	bead := f.issue("work")
	mr := f.mr(f.issue("src"), applyPRURL)
	agent := f.agent(model.RoleRefinery, applyRig)
	f.answer(model.CallStartAgent, model.Result{StatusCode: 500, Body: "down"})
	f.answer(model.CallPRStatus, model.Result{Err: "network"})
	f.answer(model.CallPRFeedback, model.Result{Err: "network"})
	f.answer(model.CallSendMessage, model.Result{Err: "network"})
	f.answer(model.CallStopAgent, model.Result{Err: "network"})
	actions := []Action{
		{Type: TransitionBead, BeadID: bead, To: model.StatusOpen, Actor: "system"},
		{Type: DispatchAgent, BeadID: bead, RigID: applyRig},
		{Type: StopAgent, AgentID: agent},
		{Type: PollPR, BeadID: mr, PRURL: applyPRURL},
		{Type: MergePR, BeadID: mr, PRURL: applyPRURL},
		{Type: SendNudge, AgentID: agent, Message: "hello?", Tier: "warn"},
		{Type: NotifyMayor, Message: "x"},
		{Type: ReportWastelandDone, CanonicalBeadID: bead, WastelandID: "wl", ItemID: "item"},
	}
	var effects []*Effect
	for _, a := range actions {
		e := f.apply(a)
		if e != nil {
			effects = append(effects, e)
		}
	}
	wantNum(t, "attempted", len(effects), 6)
	f.town.KV().ConfigErr = errConfig
	succeeded, failed := 0, 0
	for _, e := range effects {
		if err := e.Run(f.env); err != nil {
			failed++
			if e.Action.Type != ReportWastelandDone {
				t.Errorf("%s rejected: %v", e.Action.Type, err)
			}
		} else {
			succeeded++
		}
	}
	wantNum(t, "succeeded", succeeded, 5)
	wantNum(t, "failed (wasteland config read)", failed, 1)
}
