package reconciler

import (
	"slices"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// Tests named after the hazards of reconciler.md §8 that change outcomes
// and that no rule or action test reproduces on its own. The others carry
// the same TestHazardNN_ prefix next to the rule or action they concern.

// TestHazard05_NotifyMayorOnlyLogs: notify_mayor (the breaker notice)
// writes nothing, calls nothing and emits nothing, even with a mayor in
// the town; a send_nudge to the same mayor does reach it.
func TestHazard05_NotifyMayorOnlyLogs(t *testing.T) {
	f := newApplyFix(t)
	mayor := f.agent(model.RoleMayor, "")
	before, emitted := f.dump(), len(f.analytics)
	if e := f.apply(Action{Type: NotifyMayor, Message: "Dispatch circuit breaker is OPEN"}); e != nil {
		t.Fatal("notify_mayor returned a deferred effect")
	}
	if f.dump() != before || len(f.analytics) != emitted || len(f.env.Calls) != 0 {
		t.Fatalf("notify_mayor changed something: calls %s, analytics %d → %d", f.callKinds(), emitted, len(f.analytics))
	}
	wantNum(t, "mayor nudges", f.num(`SELECT count(*) FROM agent_nudges WHERE agent_bead_id = ?`, mayor), 0)

	f.answer(model.CallSendMessage, model.Result{OK: true})
	f.must(f.applyRun(Action{Type: SendNudge, AgentID: mayor, Message: "breaker open", Tier: "warn"}))
	wantNum(t, "a nudge does reach the mayor", len(f.calls(model.CallSendMessage)), 1)
}

// TestHazard06_TriageOptionsCloseVsCloseBead: the reconciler's triage
// requests offer CLOSE, while the escalation triage requests of the state
// model offer CLOSE_BEAD, the value production's resolver acts on.
func TestHazard06_TriageOptionsCloseVsCloseBead(t *testing.T) {
	f := newApplyFix(t)
	agent := f.hooked(f.issue("stuck"))
	f.apply(Action{Type: CreateTriageRequest, AgentID: agent, TriageType: "stuck_agent", Reason: "GUPP force stop"})
	wantEq(t, "reconciler options", f.str(`SELECT json_extract(metadata, '$.options') FROM beads
		WHERE json_extract(metadata, '$.triage_type') = 'stuck_agent'`), `["RESTART","CLOSE","ESCALATE"]`)

	// A merge conflict with auto-resolve off escalates through the state model.
	mr, _ := f.prMR(applyPRURL)
	off := false
	cfg := model.NewTownConfig()
	cfg.Refinery.AutoResolveMergeConflicts = &off
	f.must(f.town.ApplyEvent(f.env.Clock, model.TownEvent{Type: model.EventPRConflictDetected, BeadID: model.Null(mr),
		Payload: map[string]any{"mr_bead_id": mr, "branch": "b", "pr_url": applyPRURL}}, &cfg))
	wantEq(t, "state-model options", f.str(`SELECT json_extract(metadata, '$.options') FROM beads
		WHERE json_extract(metadata, '$.triage_type') = 'escalation'`), `["ESCALATE_TO_MAYOR","RESTART","CLOSE_BEAD","REASSIGN_BEAD"]`)
}

// TestHazard07_PollPRIgnoresRigRefinerySettings: poll_pr reads only the
// town-level refinery object: a legacy town without one gets no feedback
// or auto-merge handling, and a rig's override does not switch the
// town's feedback handling off; the town-level switch does.
func TestHazard07_PollPRIgnoresRigRefinerySettings(t *testing.T) {
	off := false
	for _, tc := range []struct {
		name       string
		setup      func(f *applyFix)
		wantCalls  string
		wantEvents int
	}{
		{"town refinery on: feedback handled", func(f *applyFix) {}, "github.pr_status,github.pr_feedback,github.pr_status", 1},
		{"rig override off: still handled", func(f *applyFix) {
			f.must(f.town.SetRigOverrides(applyRig, model.RigConfig{AutoResolvePRFeedback: &off, CodeReview: &off}))
		}, "github.pr_status,github.pr_feedback,github.pr_status", 1},
		{"town switch off: not handled", func(f *applyFix) {
			if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.Refinery.AutoResolvePRFeedback = false }); err != nil {
				f.t.Fatal(err)
			}
		}, "github.pr_status", 0},
		{"legacy town without refinery: status only", func(f *applyFix) {
			if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.Refinery = nil }); err != nil {
				f.t.Fatal(err)
			}
		}, "github.pr_status", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newApplyFix(t)
			if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.Refinery.AutoMergeDelayMinutes = nil }); err != nil {
				f.t.Fatal(err)
			}
			tc.setup(f)
			mr, _ := f.prMR(applyPRURL)
			f.answer(model.CallPRStatus, prOpen("clean"))
			f.answer(model.CallPRFeedback, feedback(model.PRFeedback{HasFailingChecks: true}))
			f.poll(mr, applyPRURL)
			wantEq(t, "calls", f.callKinds(), tc.wantCalls)
			wantNum(t, "pr_feedback_detected events", len(f.townEvents()), tc.wantEvents)
		})
	}
}

// TestHazard11_NudgeDedupeAtWholeSeconds: the GUPP nudge dedupe compares
// datetime() texts, which normalise both stored formats but drop the
// milliseconds, so a warn nudge sent less than 60 min ago (by under a
// second) no longer dedupes.
func TestHazard11_NudgeDedupeAtWholeSeconds(t *testing.T) {
	const warn = "send_nudge{agent=a1,tier=warn}"
	// fixtureNow has zero milliseconds; the window starts 60 min before.
	window := fixtureNow.Add(-time.Hour)
	runCases(t, "GUPP-warn", []ruleCase{
		{name: "ISO row one second inside the window: deduped", build: guppNudge(model.ISO(window.Add(time.Second)))},
		{name: "ISO row 500 ms inside the window: not deduped", build: guppNudge(model.ISO(window.Add(500 * time.Millisecond))),
			want: []string{warn}},
		{name: "SQLite-format row one second inside: deduped", build: guppNudge(model.SQLiteTime(window.Add(time.Second)))},
		{name: "SQLite-format row at the window start: not deduped", build: guppNudge(model.SQLiteTime(window)),
			want: []string{warn}},
	})
}

// guppNudge builds a working agent a1, 20 min without SDK activity, with
// a reconciler:warn nudge created at createdAt (stored text).
func guppNudge(createdAt string) func(f *fixture) {
	return func(f *fixture) {
		f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
		f.agent(A{ID: "a1", Status: model.AgentWorking, Hook: "i1", EventAt: f.ago(20 * time.Minute)})
		f.nudge("n1", "a1", "reconciler:warn", createdAt)
	}
}

// TestHazard23_MaxConcurrentPolecatsNotEnforced: a rig's
// max_concurrent_polecats is never read, so BD-1 dispatches every open
// issue however many polecats already work; the same rig config's
// max_dispatch_attempts is read.
func TestHazard23_MaxConcurrentPolecatsNotEnforced(t *testing.T) {
	f := newFixture(t)
	f.rig("r1", `{"max_concurrent_polecats":1,"max_dispatch_attempts":2}`, "")
	for _, id := range []string{"w1", "w2"} {
		f.bead(B{ID: "b" + id, Status: model.StatusInProgress, Rig: "r1", Assignee: id})
		f.agent(A{ID: id, Status: model.AgentWorking, Rig: "r1", Hook: "b" + id})
	}
	f.bead(B{ID: "i1", Rig: "r1"})
	f.bead(B{ID: "i2", Rig: "r1"})
	f.bead(B{ID: "i3", Rig: "r1", Attempts: 2, LastAttempt: f.ago(time.Hour)})
	as := f.expect(Options{Config: cfg()},
		"dispatch_agent{bead=i1,rig=r1}",
		"dispatch_agent{bead=i2,rig=r1}",
		"transition_bead{bead=i3,from=open,to=failed,actor=system,reason=max dispatch attempts exceeded (2)}")
	if !slices.ContainsFunc(as, func(a Action) bool { return a.Type == TransitionBead }) {
		t.Error("the rig's max_dispatch_attempts was not applied")
	}
}
