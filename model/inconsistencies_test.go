package model

import (
	"fmt"
	"testing"
	"time"
)

// Tests named after the items of model.md §7 ("non-obvious behavior a
// port must reproduce") that no operation test reproduces on its own.
// Items reproduced elsewhere carry the same TestInconsistencyNN_ prefix in
// the operation's test file.

// statusEvents counts a bead's status_changed bead events.
func statusEvents(t *testing.T, town *Town, id string) int {
	t.Helper()
	return num(t, town, `SELECT COUNT(*) FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed'`, id)
}

// TestInconsistency01_TerminalImmutabilityHoles: updateBeadStatus never
// leaves closed/failed, but the direct writes of the sibling-MR close,
// closeConvoy, deleteAgent and readAndDeliverMail bypass it (the
// markReviewInReview and convoy auto-land holes have their own tests).
func TestInconsistency01_TerminalImmutabilityHoles(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, town *Town)
	}{
		{"guarded path: closed and failed never move", func(t *testing.T, town *Town) {
			for _, from := range []string{StatusClosed, StatusFailed} {
				id := mkBead(t, town, CreateBeadInput{})
				setStatus(t, town, id, from)
				for _, to := range []string{StatusOpen, StatusInProgress, StatusClosed, StatusFailed} {
					_, err := town.UpdateBeadStatus(at(time.Minute), id, to, "x", nil)
					must(t, err)
					eq(t, from+" → "+to, beadCol(t, town, id, "status"), from)
				}
				eq(t, "no status events", statusEvents(t, town, id), 0)
			}
		}},
		{"merge closes a failed sibling MR (failed → closed)", func(t *testing.T, town *Town) {
			src, mr, p := reviewSetup(t, town)
			sib, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: p, SourceBeadID: src, RigID: "r", Branch: "old"})
			must(t, err)
			_, err = town.UpdateBeadStatus(t0, sib, StatusFailed, "system", nil)
			must(t, err)
			must(t, town.CompleteReviewWithResult(at(time.Hour), ReviewResult{EntryID: mr, Status: "merged"}))
			eq(t, "sibling status", beadCol(t, town, sib, "status"), StatusClosed)
			eq(t, "sibling closed_at", beadCol(t, town, sib, "closed_at"), iso(time.Hour))
			eq(t, "no status event for the revival", statusEvents(t, town, sib), 1)
		}},
		{"closeConvoy closes a failed convoy", func(t *testing.T, town *Town) {
			conv := mkConvoy(t, town, 3, nil, nil)
			setStatus(t, town, conv, StatusFailed)
			must(t, town.CloseConvoy(at(time.Hour), conv))
			eq(t, "status", beadCol(t, town, conv, "status"), StatusClosed)
			eq(t, "closed_at", beadCol(t, town, conv, "closed_at"), iso(time.Hour))
			eq(t, "closed_beads = total", convoyCol(t, town, conv, "closed_beads"), "3")
			eq(t, "landed_at", convoyCol(t, town, conv, "landed_at"), iso(time.Hour))
			eq(t, "no status event", statusEvents(t, town, conv), 0)
		}},
		{"deleteAgent reopens non-terminal beads directly, leaves terminal ones", func(t *testing.T, town *Town) {
			a := mkAgent(t, town, RolePolecat, "Toast", "r")
			live := mkBead(t, town, CreateBeadInput{Assignee: a})
			setStatus(t, town, live, StatusInReview)
			done := mkBead(t, town, CreateBeadInput{Assignee: a})
			setStatus(t, town, done, StatusFailed)
			must(t, town.DeleteAgent(at(time.Hour), a))
			eq(t, "in_review → open", beadCol(t, town, live, "status"), StatusOpen)
			eq(t, "no status event", statusEvents(t, town, live), 0)
			eq(t, "live assignee", beadCol(t, town, live, "assignee_agent_bead_id"), "<NULL>")
			eq(t, "failed stays failed", beadCol(t, town, done, "status"), StatusFailed)
			eq(t, "terminal assignee", beadCol(t, town, done, "assignee_agent_bead_id"), "<NULL>")
			eq(t, "terminal updated_at", beadCol(t, town, done, "updated_at"), iso(time.Hour))
		}},
		{"readAndDeliverMail closes open messages directly", func(t *testing.T, town *Town) {
			a := mkAgent(t, town, RolePolecat, "Toast", "r")
			msg, err := town.SendMail(t0, "mayor", a, "hi", "body")
			must(t, err)
			other, err := town.SendMail(t0, "mayor", "someone-else", "hi", "body")
			must(t, err)
			must(t, town.CheckMail(at(time.Minute), a))
			eq(t, "message closed", beadCol(t, town, msg, "status"), StatusClosed)
			eq(t, "closed_at", beadCol(t, town, msg, "closed_at"), iso(time.Minute))
			eq(t, "no status event", statusEvents(t, town, msg), 0)
			eq(t, "other recipient's message", beadCol(t, town, other, "status"), StatusOpen)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newTestTown(t)) })
	}
}

// TestInconsistency03_UnquotedLabelLike: the PR-feedback and PR-conflict
// blocker tests use an unquoted LIKE, so any label containing the text
// counts; labels.includes checks in code (hookBead's triage-request
// refusal) are exact.
func TestInconsistency03_UnquotedLabelLike(t *testing.T) {
	feedbackEvent := func(f *evFix) TownEvent {
		return evEvent(EventPRFeedbackDetected, "", f.ids["M"], fmt.Sprintf(
			`{"mr_bead_id":%q,"pr_number":7,"repo":"o/r1","has_failing_checks":true}`, f.ids["M"]))
	}
	for _, tc := range []struct {
		label       string
		newFeedback bool // a new gt:pr-feedback bead is created
	}{
		{LabelPRFeedback, false},
		{"gt:pr-feedback-old", false},
		{"x-gt:pr-feedback", false},
		{"gt:pr-feed", true},
		{"gt:pr-conflict-resolved", false}, // matches the conflict LIKE: flagged instead
	} {
		t.Run("blocker labelled "+tc.label, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			openMR(f)
			blocker := f.bead(CreateBeadInput{Title: "blocker", RigID: "r1", Labels: []string{tc.label}})
			f.must(f.town.InsertDependency(f.ids["M"], blocker, DepBlocks))
			before := f.n(`SELECT COUNT(*) FROM beads`)
			f.must(f.town.ApplyEvent(applyNow, feedbackEvent(f), nil))
			created := f.n(`SELECT COUNT(*) FROM beads`) - before
			eq(t, "new feedback bead", created == 1, tc.newFeedback)
			if tc.label == "gt:pr-conflict-resolved" {
				eq(t, "treated as the conflict bead", f.meta(blocker, "has_feedback"), "1")
			}
		})
	}
	t.Run("hookBead's triage-request check is exact", func(t *testing.T) {
		town := newTestTown(t)
		a := mkAgent(t, town, RolePolecat, "Toast", "r")
		near := mkBead(t, town, CreateBeadInput{Labels: []string{"gt:triage-request-old"}})
		must(t, town.HookBead(t0, a, near))
		must(t, town.UnhookBead(t0, a))
		exact := mkBead(t, town, CreateBeadInput{Labels: []string{"x", LabelTriageRequest}})
		if err := town.HookBead(t0, a, exact); err == nil {
			t.Fatal("hooked a triage request")
		}
		eq(t, "exact label refused", agentCol(t, town, a, "current_hook_bead_id"), "<NULL>")
	})
}

// TestInconsistency05_ImplicitOrders: "first row" lookups without ORDER BY
// follow insertion order; the mayor lookup, agent lists and rigs follow
// created_at; the refinery recovery of agentDone takes the most recently
// updated MR.
func TestInconsistency05_ImplicitOrders(t *testing.T) {
	t.Run("refinery per rig: first inserted, not oldest", func(t *testing.T) {
		town := newTestTown(t)
		first, err := town.RegisterAgent(at(time.Hour), RoleRefinery, "refinery", "ref-1", "r")
		must(t, err)
		_, err = town.RegisterAgent(t0, RoleRefinery, "refinery", "ref-2", "r")
		must(t, err)
		setAgent(t, town, first.ID, "status = 'working'")
		got, err := town.GetOrCreateAgent(at(2*time.Hour), RoleRefinery, "r")
		must(t, err)
		eq(t, "refinery", got.ID, first.ID)
	})
	t.Run("idle polecat per rig: first inserted, not oldest", func(t *testing.T) {
		town := newTestTown(t)
		busy, err := town.RegisterAgent(t0, RolePolecat, "Busy", "p-0", "r")
		must(t, err)
		setAgent(t, town, busy.ID, "status = 'working'")
		first, err := town.RegisterAgent(at(time.Hour), RolePolecat, "Toast", "p-1", "r")
		must(t, err)
		_, err = town.RegisterAgent(t0, RolePolecat, "Maple", "p-2", "r")
		must(t, err)
		got, err := town.GetOrCreateAgent(at(2*time.Hour), RolePolecat, "r")
		must(t, err)
		eq(t, "polecat", got.ID, first.ID)
	})
	t.Run("mayor and agent list: created_at ascending", func(t *testing.T) {
		town := newTestTown(t)
		late, err := town.RegisterAgent(at(time.Hour), RoleMayor, "mayor", "m-late", "")
		must(t, err)
		early, err := town.RegisterAgent(t0, RoleMayor, "mayor", "m-early", "")
		must(t, err)
		got, err := town.GetOrCreateAgent(at(2*time.Hour), RoleMayor, "")
		must(t, err)
		eq(t, "mayor", got.ID, early.ID)
		list, err := town.ListAgents()
		must(t, err)
		eq(t, "list", len(list), 2)
		eqSlice(t, "list order", []string{list[0].ID, list[1].ID}, []string{early.ID, late.ID})
	})
	t.Run("rigs: created_at ascending", func(t *testing.T) {
		town := newTestTown(t)
		must(t, town.AddRig(at(time.Hour), "r-late", "late", "https://github.com/o/late", "main"))
		must(t, town.AddRig(t0, "r-early", "early", "https://github.com/o/early", "main"))
		rigs, err := town.ListRigs()
		must(t, err)
		eq(t, "rigs", len(rigs), 2)
		eqSlice(t, "order", []string{rigs[0].ID, rigs[1].ID}, []string{"r-early", "r-late"})
	})
	t.Run("agentDone refinery recovery: updated_at DESC", func(t *testing.T) {
		town := newTestTown(t)
		f := mkAgent(t, town, RoleRefinery, "refinery", "r")
		src := mkBead(t, town, CreateBeadInput{})
		var mrs []string
		for i, updated := range []time.Duration{time.Hour, 2 * time.Hour, time.Minute} {
			mr, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: "p", SourceBeadID: src, RigID: "r",
				Branch: fmt.Sprintf("b%d", i)})
			must(t, err)
			_, err = town.DB().Exec(`UPDATE beads SET status = 'in_progress', assignee_agent_bead_id = ?, updated_at = ?
				WHERE bead_id = ?`, f, iso(updated), mr)
			must(t, err)
			mrs = append(mrs, mr)
		}
		must(t, town.ApplyAgentDone(at(3*time.Hour), f, AgentDoneInput{Branch: "b", PRURL: "https://gh/pr/9"}))
		for i, mr := range mrs {
			want := "<NULL>"
			if i == 1 {
				want = "https://gh/pr/9"
			}
			eq(t, fmt.Sprintf("mr %d pr_url", i), str(t, town, `SELECT pr_url FROM review_metadata WHERE bead_id = ?`, mr), want)
		}
	})
}

// TestInconsistency07_DispatchCounters: the agent's dispatch_attempts is
// reset by a started non-refinery, every heartbeat (refineries too),
// agentCompleted of a non-refinery and the reset RPCs; the bead's only by
// the reset RPCs.
func TestInconsistency07_DispatchCounters(t *testing.T) {
	for _, tc := range []struct {
		name                string
		role                string
		op                  func(f *evFix)
		wantAgent, wantBead string
		failStart           bool
	}{
		{name: "failed start: both +1", role: RolePolecat, failStart: true,
			op: func(f *evFix) { f.town.DispatchAgent(f.env, f.ids["P"], f.ids["B"], DispatchOptions{}) }, wantAgent: "4", wantBead: "4"},
		{name: "started polecat: agent reset, bead +1", role: RolePolecat,
			op: func(f *evFix) { f.town.DispatchAgent(f.env, f.ids["P"], f.ids["B"], DispatchOptions{}) }, wantAgent: "0", wantBead: "4"},
		{name: "started refinery: both +1", role: RoleRefinery,
			op: func(f *evFix) { f.town.DispatchAgent(f.env, f.ids["P"], f.ids["B"], DispatchOptions{}) }, wantAgent: "4", wantBead: "4"},
		{name: "heartbeat: agent reset, bead kept", role: RolePolecat,
			op: func(f *evFix) { f.must(f.town.TouchAgent(evT0, f.ids["P"], nil)) }, wantAgent: "0", wantBead: "3"},
		{name: "heartbeat resets a refinery too", role: RoleRefinery,
			op: func(f *evFix) { f.must(f.town.TouchAgent(evT0, f.ids["P"], nil)) }, wantAgent: "0", wantBead: "3"},
		{name: "agentCompleted polecat: agent reset, bead kept", role: RolePolecat,
			op: func(f *evFix) {
				f.must(f.town.ApplyAgentCompleted(evT0, f.ids["P"], AgentCompletedInput{Status: "completed"}))
			}, wantAgent: "0", wantBead: "3"},
		{name: "agentCompleted refinery: both kept", role: RoleRefinery,
			op: func(f *evFix) {
				f.must(f.town.ApplyAgentCompleted(evT0, f.ids["P"], AgentCompletedInput{Status: "completed"}))
			}, wantAgent: "3", wantBead: "3"},
		{name: "reset RPC: both reset", role: RolePolecat,
			op: func(f *evFix) { f.must(f.town.ResetAgentDispatchAttempts(evT0, f.ids["P"])) }, wantAgent: "0", wantBead: "0"},
		{name: "hookBead of another bead: both kept", role: RolePolecat,
			op: func(f *evFix) {
				f.must(f.town.UnhookBead(evT0, f.ids["P"]))
				f.hook(f.ids["P"], f.bead(CreateBeadInput{Title: "next", RigID: "r1"}))
			}, wantAgent: "3", wantBead: "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			hookedPolecat(f, tc.role)
			f.exec(`UPDATE agent_metadata SET dispatch_attempts = 3 WHERE bead_id = ?`, f.ids["P"])
			f.exec(`UPDATE beads SET dispatch_attempts = 3 WHERE bead_id = ?`, f.ids["B"])
			if tc.failStart {
				f.env.Respond = evRespond(500, "boom", "not_found", true)
			}
			tc.op(f)
			eq(t, "agent attempts", f.a(f.ids["P"], "dispatch_attempts"), tc.wantAgent)
			eq(t, "bead attempts", f.b(f.ids["B"], "dispatch_attempts"), tc.wantBead)
		})
	}
}

// TestInconsistency10_BeadCancelledOnlyUnhooks: the status RPC applies
// the terminal status at once and queues bead_cancelled; draining it
// re-applies the status (no-op) and its only lasting effect is unhooking
// the agents hooked to the bead, whose assignee stays.
func TestInconsistency10_BeadCancelledOnlyUnhooks(t *testing.T) {
	for _, status := range []string{StatusClosed, StatusFailed} {
		t.Run(status, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			workingPolecat(f)
			p, b := f.ids["P"], f.ids["B"]
			f.must(f.town.SetBeadStatus(f.env, b, status, "user"))
			eq(t, "status applied by the RPC", f.b(b, "status"), status)
			eq(t, "still hooked after the RPC", f.a(p, "current_hook_bead_id"), b)
			eq(t, "still working after the RPC", f.a(p, "status"), AgentWorking)
			events := f.n(`SELECT COUNT(*) FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed'`, b)
			res, err := f.town.DrainEvents(evAt(time.Second), nil)
			f.must(err)
			eq(t, "drained", res.Applied, 1)
			eq(t, "status", f.b(b, "status"), status)
			eq(t, "no second status event", f.n(`SELECT COUNT(*) FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed'`, b), events)
			eq(t, "unhooked", f.a(p, "current_hook_bead_id"), "<NULL>")
			eq(t, "agent idle", f.a(p, "status"), AgentIdle)
			eq(t, "assignee kept", f.b(b, "assignee_agent_bead_id"), p)
		})
	}
	t.Run("non-terminal status queues nothing", func(t *testing.T) {
		f := evNew(t)
		f.rig("r1", true)
		workingPolecat(f)
		f.must(f.town.SetBeadStatus(f.env, f.ids["B"], StatusInReview, "user"))
		n, err := f.town.PendingEventCount()
		f.must(err)
		eq(t, "pending events", n, 0)
		eq(t, "still hooked", f.a(f.ids["P"], "current_hook_bead_id"), f.ids["B"])
	})
}

// TestInconsistency11_ContainerStatusOnlyIdles: exited/not_found idle a
// working or stalled agent and nothing else (hook and bead stay); not_found
// has a 180 s grace from last_activity_at, which hookBead and dispatch
// refresh; other statuses and other agent states change nothing.
func TestInconsistency11_ContainerStatusOnlyIdles(t *testing.T) {
	for _, tc := range []struct {
		name, agentStatus, payload string
		activityAgo                time.Duration // before applyNow
		wantStatus                 string
	}{
		{"exited idles a working agent", AgentWorking, `{"status":"exited"}`, time.Second, AgentIdle},
		{"exited idles a stalled agent", AgentStalled, `{"status":"exited"}`, time.Hour, AgentIdle},
		{"not_found after the grace idles", AgentWorking, `{"status":"not_found"}`, 181 * time.Second, AgentIdle},
		{"not_found within the grace: nothing", AgentWorking, `{"status":"not_found"}`, 179 * time.Second, AgentWorking},
		{"running: nothing", AgentWorking, `{"status":"running"}`, time.Hour, AgentWorking},
		{"unknown: nothing", AgentWorking, `{"status":"unknown"}`, time.Hour, AgentWorking},
		{"idle agent: nothing", AgentIdle, `{"status":"exited"}`, time.Hour, AgentIdle},
		{"dead agent: nothing", AgentDead, `{"status":"exited"}`, time.Hour, AgentDead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			workingPolecat(f)
			f.exec(`UPDATE agent_metadata SET status = ?, last_activity_at = ? WHERE bead_id = ?`,
				tc.agentStatus, ISO(applyNow.Add(-tc.activityAgo)), f.ids["P"])
			f.must(f.town.ApplyEvent(applyNow, evEvent(EventContainerStatus, f.ids["P"], "", tc.payload), nil))
			eq(t, "agent status", f.a(f.ids["P"], "status"), tc.wantStatus)
			eq(t, "hook kept", f.a(f.ids["P"], "current_hook_bead_id"), f.ids["B"])
			eq(t, "bead status kept", f.b(f.ids["B"], "status"), StatusInProgress)
		})
	}
	t.Run("hookBead refreshes the grace", func(t *testing.T) {
		f := evNew(t)
		f.rig("r1", true)
		p := f.agent(RolePolecat, "Toast", "r1")
		b := f.bead(CreateBeadInput{Title: "fix", RigID: "r1"})
		f.must(f.town.HookBead(applyNow.Add(-time.Minute), p, b))
		f.exec(`UPDATE agent_metadata SET status = 'working' WHERE bead_id = ?`, p)
		f.must(f.town.ApplyEvent(applyNow, evEvent(EventContainerStatus, p, "", `{"status":"not_found"}`), nil))
		eq(t, "still working", f.a(p, "status"), AgentWorking)
	})
}

// TestInconsistency12_HeartbeatRevivesIdle: a heartbeat turns an idle
// agent working even without a hook; other statuses are kept.
func TestInconsistency12_HeartbeatRevivesIdle(t *testing.T) {
	for _, tc := range []struct{ from, want string }{
		{AgentIdle, AgentWorking},
		{AgentStalled, AgentStalled},
		{AgentDead, AgentDead},
		{AgentWorking, AgentWorking},
	} {
		t.Run(tc.from, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			p := f.agent(RolePolecat, "Toast", "r1")
			f.exec(`UPDATE agent_metadata SET status = ? WHERE bead_id = ?`, tc.from, p)
			_, err := f.town.Heartbeat(evAt(time.Minute), p, HeartbeatInput{})
			f.must(err)
			eq(t, "status", f.a(p, "status"), tc.want)
			eq(t, "no hook", f.a(p, "current_hook_bead_id"), "<NULL>")
		})
	}
}

// TestInconsistency13_DispatchReopensInReview: dispatch moves an in_review
// bead back to in_progress; a failed start leaves the agent working and
// the bead in_progress with both counters incremented. Terminal beads
// keep their status.
func TestInconsistency13_DispatchReopensInReview(t *testing.T) {
	for _, tc := range []struct {
		name, from, want string
		code             int
		started          bool
	}{
		{"in_review, started", StatusInReview, StatusInProgress, 200, true},
		{"in_review, failed start", StatusInReview, StatusInProgress, 500, false},
		{"open, failed start", StatusOpen, StatusInProgress, 500, false},
		{"closed stays closed", StatusClosed, StatusClosed, 500, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			hookedPolecat(f, RolePolecat)
			p, b := f.ids["P"], f.ids["B"]
			f.exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, tc.from, b)
			f.env.Respond = evRespond(tc.code, "boom", "not_found", true)
			got := f.town.DispatchAgent(f.env, p, b, DispatchOptions{})
			eq(t, "started", got, tc.started)
			eq(t, "bead status", f.b(b, "status"), tc.want)
			eq(t, "agent status", f.a(p, "status"), AgentWorking)
			eq(t, "bead attempts", f.b(b, "dispatch_attempts"), "1")
			wantAgent := "1"
			if tc.started {
				wantAgent = "0"
			}
			eq(t, "agent attempts", f.a(p, "dispatch_attempts"), wantAgent)
		})
	}
}

// TestInconsistency14_MRStatuses: an MR is open while waiting, in_progress
// once a refinery is dispatched and while its PR is polled, closed when
// merged, failed when rejected; it never passes through in_review, which
// its source bead does.
func TestInconsistency14_MRStatuses(t *testing.T) {
	for _, tc := range []struct {
		name, prState, wantMR, wantSource string
	}{
		{"merged", "merged", StatusClosed, StatusClosed},
		{"PR closed", "closed", StatusFailed, StatusOpen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			hookedPolecat(f, RolePolecat)
			p, src := f.ids["P"], f.ids["B"]
			f.must(f.town.ApplyAgentDone(evAt(time.Minute), p, AgentDoneInput{Branch: "feat"}))
			mr := f.q(`SELECT bead_id FROM beads WHERE type = 'merge_request'`)
			eq(t, "source after agentDone", f.b(src, "status"), StatusInReview)
			eq(t, "MR waiting", f.b(mr, "status"), StatusOpen)

			ref := f.agent(RoleRefinery, "refinery", "r1")
			f.must(f.town.HookBead(evAt(2*time.Minute), ref, mr))
			f.env.Clock = evAt(2 * time.Minute)
			f.town.DispatchAgent(f.env, ref, mr, DispatchOptions{})
			eq(t, "MR with refinery dispatched", f.b(mr, "status"), StatusInProgress)

			f.must(f.town.ApplyAgentDone(evAt(3*time.Minute), ref, AgentDoneInput{Branch: "feat", PRURL: "https://github.com/o/r1/pull/3"}))
			eq(t, "MR with PR opened", f.b(mr, "status"), StatusInProgress)
			eq(t, "source", f.b(src, "status"), StatusInReview)

			f.must(f.town.ApplyEvent(evAt(4*time.Minute), evEvent(EventPRStatusChanged, "", mr, `{"pr_state":"`+tc.prState+`"}`), nil))
			eq(t, "MR", f.b(mr, "status"), tc.wantMR)
			eq(t, "source", f.b(src, "status"), tc.wantSource)
			eq(t, "MR never in_review", f.n(`SELECT COUNT(*) FROM bead_events WHERE bead_id = ? AND new_value = 'in_review'`, mr), 0)
			eq(t, "source was in_review", f.n(`SELECT COUNT(*) FROM bead_events WHERE bead_id = ? AND new_value = 'in_review'`, src), 1)
		})
	}
}

// TestInconsistency17_TimeFormatsByTable: nudge rows carry SQLite's
// space-separated datetime form (expiry with milliseconds), every other
// table ISO with Z. As text the two orders disagree: a nudge written an
// hour after a bead sorts before it.
func TestInconsistency17_TimeFormatsByTable(t *testing.T) {
	town := newTestTown(t)
	b := mkBead(t, town, CreateBeadInput{})
	n, err := town.QueueNudge(at(time.Hour), NudgeInput{AgentID: "a", Message: "m", ExpiresAt: at(2 * time.Hour)})
	must(t, err)
	must(t, town.MarkNudgeDelivered(at(time.Hour+time.Minute), n))
	eq(t, "bead created_at", beadCol(t, town, b, "created_at"), "2026-01-01T00:00:00.000Z")
	nudge := func(c string) string { return str(t, town, `SELECT `+c+` FROM agent_nudges WHERE nudge_id = ?`, n) }
	eq(t, "nudge created_at", nudge("created_at"), "2026-01-01 01:00:00")
	eq(t, "nudge expires_at", nudge("expires_at"), "2026-01-01 02:00:00.000")
	eq(t, "nudge delivered_at", nudge("delivered_at"), "2026-01-01 01:01:00")
	eq(t, "later nudge compares as earlier text", num(t, town,
		`SELECT (SELECT created_at FROM agent_nudges) > (SELECT created_at FROM beads WHERE bead_id = ?)`, b), 0)
	eq(t, "datetime() restores the order", num(t, town,
		`SELECT datetime((SELECT created_at FROM agent_nudges)) > datetime((SELECT created_at FROM beads WHERE bead_id = ?))`, b), 1)
}

// TestInconsistency18_AgentViewColumns: the agent view's status and
// dispatch_attempts are agent_metadata's; the agent bead's own status stays
// open and its dispatch_attempts is ignored.
func TestInconsistency18_AgentViewColumns(t *testing.T) {
	town := newTestTown(t)
	a := mkAgent(t, town, RolePolecat, "Toast", "r")
	must(t, town.UpdateAgentStatus(t0, a, AgentWorking))
	setAgent(t, town, a, "dispatch_attempts = 2")
	_, err := town.DB().Exec(`UPDATE beads SET dispatch_attempts = 9 WHERE bead_id = ?`, a)
	must(t, err)
	got, err := town.GetAgent(a)
	must(t, err)
	eq(t, "status", got.Status, AgentWorking)
	eq(t, "dispatch_attempts", got.DispatchAttempts, 2)
	eq(t, "agent bead status", beadCol(t, town, a, "status"), StatusOpen)
	list, err := town.ListAgents()
	must(t, err)
	eq(t, "listed status", list[0].Status, AgentWorking)
}

// TestInconsistency19_EscalationSatellite: escalations of a review
// conflict and of a refinery's hook loss have no escalation_metadata row
// and no rig; only pr_conflict_detected's escalation path writes the
// satellite row and a triage request.
func TestInconsistency19_EscalationSatellite(t *testing.T) {
	no := false
	cfg := NewTownConfig()
	cfg.Refinery.AutoResolveMergeConflicts = &no
	for _, tc := range []struct {
		name     string
		run      func(f *evFix)
		wantMeta int
		wantRig  string
		triage   int
	}{
		{"review conflict", func(f *evFix) {
			f.must(f.town.CompleteReviewWithResult(applyNow, ReviewResult{EntryID: f.ids["M"], Status: "conflict", Message: "x"}))
		}, 0, "<NULL>", 0},
		{"refinery hook loss", func(f *evFix) {
			r := f.agent(RoleRefinery, "refinery", "r1")
			f.exec(`UPDATE beads SET assignee_agent_bead_id = ? WHERE bead_id = ?`, r, f.ids["M"])
			f.must(f.town.ApplyAgentDone(applyNow, r, AgentDoneInput{Branch: "feat"}))
		}, 0, "<NULL>", 0},
		{"pr_conflict_detected, auto-resolve off", func(f *evFix) {
			f.must(f.town.ApplyEvent(applyNow, evEvent(EventPRConflictDetected, "", f.ids["M"], fmt.Sprintf(
				`{"mr_bead_id":%q,"branch":"feat","pr_url":"https://github.com/o/r1/pull/7"}`, f.ids["M"])), &cfg))
		}, 1, "r1", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			openMR(f)
			tc.run(f)
			esc := f.list(`SELECT bead_id FROM beads WHERE type = 'escalation'`)
			if len(esc) != 1 {
				t.Fatalf("escalations = %v, want one", esc)
			}
			eq(t, "escalation_metadata rows", f.n(`SELECT COUNT(*) FROM escalation_metadata WHERE bead_id = ?`, esc[0]), tc.wantMeta)
			eq(t, "rig", f.b(esc[0], "rig_id"), tc.wantRig)
			eq(t, "triage requests", f.n(`SELECT COUNT(*) FROM beads WHERE labels LIKE ?`, triageRequestLike), tc.triage)
		})
	}
}

// TestInconsistency21_EmptyStrings: agent_done without a branch gives an
// MR whose branch is the empty string and whose title is "Review: "; an
// agent without a rig gives an MR whose rig_id is the empty string, not
// NULL.
func TestInconsistency21_EmptyStrings(t *testing.T) {
	for _, tc := range []struct {
		name, rig, branch                  string
		wantTitle, wantBranch, wantRigType string
	}{
		{"no branch", "r1", "", "Review: ", "", "text"},
		{"no rig", "", "feat", "Review: feat", "feat", "text"},
		{"both given", "r1", "feat", "Review: feat", "feat", "text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			p := f.agent(RolePolecat, "Toast", tc.rig)
			b := f.bead(CreateBeadInput{Title: "fix"})
			f.hook(p, b)
			payload := `{}` // agent_done without a branch
			if tc.branch != "" {
				payload = fmt.Sprintf(`{"branch":%q}`, tc.branch)
			}
			f.must(f.town.ApplyEvent(applyNow, evEvent(EventAgentDone, p, "", payload), nil))
			mr := f.q(`SELECT bead_id FROM beads WHERE type = 'merge_request'`)
			eq(t, "title", f.b(mr, "title"), tc.wantTitle)
			eq(t, "branch", f.q(`SELECT branch FROM review_metadata WHERE bead_id = ?`, mr), tc.wantBranch)
			eq(t, "rig_id", f.b(mr, "rig_id"), tc.rig)
			eq(t, "rig_id type", f.q(`SELECT typeof(rig_id) FROM beads WHERE bead_id = ?`, mr), tc.wantRigType)
		})
	}
}
