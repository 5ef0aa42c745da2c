package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// applyCase is one synchronous action: setup builds state (at applyT0)
// and returns the action, which is applied one minute later; check
// asserts the rows written and the rows that must not change.
type applyCase struct {
	name       string
	setup      func(f *applyFix) Action
	wantErr    bool // the synchronous part throws (propagates)
	wantEffect bool
	check      func(f *applyFix, a Action)
}

// convoy creates a convoy tracking one new issue; it returns both ids.
func (f *applyFix) convoy() (convoyID, issueID string) {
	f.t.Helper()
	issueID = f.issue("task")
	convoyID, err := f.town.CreateConvoy(f.env.Clock, "landing", []model.ConvoyBeadRef{{BeadID: issueID, RigID: applyRig}}, "user-1")
	f.must(err)
	return convoyID, issueID
}

func runApplyCases(t *testing.T, cases []applyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newApplyFix(t)
			a := c.setup(f)
			f.advance(time.Minute)
			calls := len(f.env.Calls)
			e, err := Apply(f.town, f.env, a)
			if (err != nil) != c.wantErr {
				t.Fatalf("Apply(%v) error = %v, want error %v", a, err, c.wantErr)
			}
			if (e != nil) != c.wantEffect {
				t.Fatalf("Apply(%v) effect = %v, want effect %v", a, e != nil, c.wantEffect)
			}
			if e == nil && len(f.env.Calls) != calls {
				t.Errorf("synchronous part made calls: %s", f.callKinds())
			}
			if e != nil && e.Action.Type != a.Type {
				t.Errorf("effect action = %v, want %v", e.Action, a)
			}
			if c.check != nil {
				c.check(f, a)
			}
		})
	}
}

func wantEq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func wantNum(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, want %d", what, got, want)
	}
}

// TestApplyBeadActions covers transition_bead, assign_bead,
// clear_bead_assignee, create_mr_bead, close_sibling_mrs and
// set_review_pr_url (§3.1 #1–7).
func TestApplyBeadActions(t *testing.T) {
	runApplyCases(t, []applyCase{
		{name: "transition_bead/to failed carries the reconciler reason", setup: func(f *applyFix) Action {
			id := f.issue("a")
			_, err := f.town.UpdateBeadStatus(f.env.Clock, id, model.StatusInProgress, "", nil)
			f.must(err)
			return Action{Type: TransitionBead, BeadID: id, From: "in_progress", To: model.StatusFailed,
				Reason: "max dispatch attempts", Actor: "system"}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "status", f.bead(a.BeadID, "status"), "failed")
			wantEq(f.t, "updated_at", f.bead(a.BeadID, "updated_at"), f.now())
			ev := `SELECT json_extract(metadata, ?) FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed' AND new_value = 'failed'`
			wantEq(f.t, "reason code", f.str(ev, "$.failure_reason.code", a.BeadID), "reconciler")
			wantEq(f.t, "reason message", f.str(ev, "$.failure_reason.message", a.BeadID), "max dispatch attempts")
			wantEq(f.t, "reason source", f.str(ev, "$.failure_reason.source", a.BeadID), "scheduler")
			wantEq(f.t, "actor", f.str(`SELECT agent_id FROM bead_events WHERE bead_id = ? AND new_value = 'failed'`, a.BeadID), "system")
		}},
		{name: "transition_bead/to open has no failure reason and ignores from", setup: func(f *applyFix) Action {
			id := f.issue("a")
			_, err := f.town.UpdateBeadStatus(f.env.Clock, id, model.StatusInReview, "", nil)
			f.must(err)
			return Action{Type: TransitionBead, BeadID: id, From: "in_progress", To: model.StatusOpen, Reason: "orphaned", Actor: "system"}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "status", f.bead(a.BeadID, "status"), "open")
			wantEq(f.t, "event metadata", f.str(`SELECT metadata FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed' AND new_value = 'open'`, a.BeadID), "{}")
		}},
		{name: "transition_bead/terminal guard leaves a closed bead", setup: func(f *applyFix) Action {
			id := f.issue("a")
			_, err := f.town.UpdateBeadStatus(f.env.Clock, id, model.StatusClosed, "", nil)
			f.must(err)
			return Action{Type: TransitionBead, BeadID: id, To: model.StatusOpen, Actor: "system"}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "status", f.bead(a.BeadID, "status"), "closed")
			wantEq(f.t, "updated_at", f.bead(a.BeadID, "updated_at"), model.ISO(applyT0))
		}},
		{name: "transition_bead/missing bead is caught", setup: func(f *applyFix) Action {
			return Action{Type: TransitionBead, BeadID: "no-such-bead", To: model.StatusFailed, Actor: "system"}
		}},
		{name: "assign_bead", setup: func(f *applyFix) Action {
			return Action{Type: AssignBead, BeadID: f.issue("a"), AgentID: "agent-7"}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "assignee", f.bead(a.BeadID, "assignee_agent_bead_id"), "agent-7")
			wantEq(f.t, "updated_at", f.bead(a.BeadID, "updated_at"), f.now())
			wantEq(f.t, "status", f.bead(a.BeadID, "status"), "open")
		}},
		{name: "clear_bead_assignee unhooks every agent hooked to the bead", setup: func(f *applyFix) Action {
			id := f.issue("a")
			first := f.hooked(id)
			f.must(f.town.WriteCheckpoint(first, map[string]any{"step": 3}))
			second, err := f.town.RegisterAgent(f.env.Clock, model.RolePolecat, "Extra", "extra-id", applyRig)
			f.must(err)
			f.exec(`UPDATE agent_metadata SET current_hook_bead_id = ?, status = 'working' WHERE bead_id = ?`, id, second.ID)
			other := f.issue("other")
			bystander := f.hooked(other)
			f.exec(`UPDATE agent_metadata SET status = 'working' WHERE bead_id = ?`, bystander)
			return Action{Type: ClearBeadAssignee, BeadID: id}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "assignee", f.bead(a.BeadID, "assignee_agent_bead_id"), "<NULL>")
			wantEq(f.t, "updated_at", f.bead(a.BeadID, "updated_at"), f.now())
			wantNum(f.t, "agents still hooked", f.num(`SELECT count(*) FROM agent_metadata WHERE current_hook_bead_id = ?`, a.BeadID), 0)
			wantNum(f.t, "idle unhooked agents", f.num(`SELECT count(*) FROM agent_metadata WHERE current_hook_bead_id IS NULL AND status = 'idle' AND checkpoint IS NULL`), 2)
			wantNum(f.t, "unhooked events", f.num(`SELECT count(*) FROM bead_events WHERE bead_id = ? AND event_type = 'unhooked'`, a.BeadID), 2)
			wantNum(f.t, "bystander still working", f.num(`SELECT count(*) FROM agent_metadata WHERE status = 'working' AND current_hook_bead_id IS NOT NULL`), 1)
			wantEq(f.t, "status", f.bead(a.BeadID, "status"), "open")
		}},
		{name: "create_mr_bead submits a review", setup: func(f *applyFix) Action {
			return Action{Type: CreateMRBead, SourceBeadID: f.issue("src"), AgentID: "agent-p", RigID: applyRig,
				Branch: "gt/toast/x", TargetBranch: "main", PRURL: applyPRURL, Summary: "did it"}
		}, check: func(f *applyFix, a Action) {
			mr := f.str(`SELECT bead_id FROM beads WHERE type = 'merge_request'`)
			wantEq(f.t, "created_by", f.bead(mr, "created_by"), "agent-p")
			wantEq(f.t, "body", f.bead(mr, "body"), "did it")
			wantEq(f.t, "pr_url", f.review(mr, "pr_url"), applyPRURL)
			wantEq(f.t, "tracks", f.str(`SELECT depends_on_bead_id FROM bead_dependencies WHERE bead_id = ? AND dependency_type = 'tracks'`, mr), a.SourceBeadID)
		}},
		{name: "create_mr_bead with a missing source throws", wantErr: true, setup: func(f *applyFix) Action {
			return Action{Type: CreateMRBead, SourceBeadID: "missing-source", AgentID: "agent-p", RigID: applyRig, Branch: "b"}
		}},
		{name: "close_sibling_mrs closes the other live MRs of the source", setup: func(f *applyFix) Action {
			src := f.issue("src")
			keep := f.mr(src, "")
			sibling := f.mr(src, "")
			failed := f.mr(src, "")
			_, err := f.town.UpdateBeadStatus(f.env.Clock, failed, model.StatusFailed, "system", nil)
			f.must(err)
			otherSrc := f.issue("other")
			other := f.mr(otherSrc, "")
			f.exec(`UPDATE beads SET title = 'sibling' WHERE bead_id = ?`, sibling)
			f.exec(`UPDATE beads SET title = 'unrelated' WHERE bead_id = ?`, other)
			return Action{Type: CloseSiblingMRs, SourceBeadID: src, ExcludeMRID: keep}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "excluded", f.bead(a.ExcludeMRID, "status"), "open")
			wantEq(f.t, "sibling", f.str(`SELECT status FROM beads WHERE title = 'sibling'`), "closed")
			wantEq(f.t, "sibling closed_at", f.str(`SELECT closed_at FROM beads WHERE title = 'sibling'`), f.now())
			wantEq(f.t, "sibling actor", f.str(`SELECT e.agent_id FROM bead_events e JOIN beads b ON b.bead_id = e.bead_id WHERE b.title = 'sibling' AND e.new_value = 'closed'`), "system")
			wantEq(f.t, "unrelated", f.str(`SELECT status FROM beads WHERE title = 'unrelated'`), "open")
			wantNum(f.t, "failed stays failed", f.num(`SELECT count(*) FROM beads WHERE type = 'merge_request' AND status = 'failed'`), 1)
		}},
		{name: "set_review_pr_url https", setup: func(f *applyFix) Action {
			return Action{Type: SetReviewPRURL, BeadID: f.mr(f.issue("src"), ""), PRURL: applyPRURL}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "review pr_url", f.review(a.BeadID, "pr_url"), applyPRURL)
			wantEq(f.t, "meta pr_url", f.meta(a.BeadID, "pr_url"), applyPRURL)
		}},
		{name: "set_review_pr_url refuses a non-https url", setup: func(f *applyFix) Action {
			return Action{Type: SetReviewPRURL, BeadID: f.mr(f.issue("src"), ""), PRURL: "http://github.com/acme/widgets/pull/1"}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "review pr_url", f.review(a.BeadID, "pr_url"), "<NULL>")
		}},
	})
}

// TestApplyAgentActions covers transition_agent, reset_agent_dispatch_attempts,
// hook_agent, unhook_agent, clear_agent_checkpoint, delete_agent and
// create_triage_request (§3.1 #8–13, #23).
func TestApplyAgentActions(t *testing.T) {
	runApplyCases(t, []applyCase{
		{name: "transition_agent to stalled stamps stalled_at", setup: func(f *applyFix) Action {
			return Action{Type: TransitionAgent, AgentID: f.agent(model.RolePolecat, applyRig), From: "working", To: model.AgentStalled}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "status", f.agentCol(a.AgentID, "status"), "stalled")
			wantEq(f.t, "stalled_at", f.agentCol(a.AgentID, "stalled_at"), f.now())
		}},
		{name: "transition_agent to idle clears stalled_at", setup: func(f *applyFix) Action {
			id := f.agent(model.RolePolecat, applyRig)
			f.must(f.town.UpdateAgentStatus(f.env.Clock, id, model.AgentStalled))
			return Action{Type: TransitionAgent, AgentID: id, From: "stalled", To: model.AgentIdle}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "status", f.agentCol(a.AgentID, "status"), "idle")
			wantEq(f.t, "stalled_at", f.agentCol(a.AgentID, "stalled_at"), "<NULL>")
		}},
		{name: "transition_agent on a missing agent writes nothing", setup: func(f *applyFix) Action {
			return Action{Type: TransitionAgent, AgentID: "ghost", To: model.AgentIdle}
		}},
		{name: "reset_agent_dispatch_attempts zeroes the agent and its hooked bead", setup: func(f *applyFix) Action {
			id := f.issue("a")
			agent := f.hooked(id)
			f.exec(`UPDATE agent_metadata SET dispatch_attempts = 6 WHERE bead_id = ?`, agent)
			f.exec(`UPDATE beads SET dispatch_attempts = 4, last_dispatch_attempt_at = ? WHERE bead_id = ?`, f.now(), id)
			other := f.issue("b")
			f.exec(`UPDATE beads SET dispatch_attempts = 2 WHERE bead_id = ?`, other)
			return Action{Type: ResetAgentDispatchAttempts, AgentID: agent}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "agent attempts", f.agentCol(a.AgentID, "dispatch_attempts"), "0")
			hook := f.agentCol(a.AgentID, "current_hook_bead_id")
			wantEq(f.t, "bead attempts", f.bead(hook, "dispatch_attempts"), "0")
			wantEq(f.t, "bead last attempt", f.bead(hook, "last_dispatch_attempt_at"), "<NULL>")
			wantEq(f.t, "bead status", f.bead(hook, "status"), "open")
			wantNum(f.t, "other bead untouched", f.num(`SELECT count(*) FROM beads WHERE dispatch_attempts = 2`), 1)
		}},
		{name: "reset_agent_dispatch_attempts without hook only zeroes the agent", setup: func(f *applyFix) Action {
			agent := f.agent(model.RoleRefinery, applyRig)
			f.exec(`UPDATE agent_metadata SET dispatch_attempts = 5 WHERE bead_id = ?`, agent)
			return Action{Type: ResetAgentDispatchAttempts, AgentID: agent}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "agent attempts", f.agentCol(a.AgentID, "dispatch_attempts"), "0")
		}},
		{name: "hook_agent", setup: func(f *applyFix) Action {
			return Action{Type: HookAgent, AgentID: f.agent(model.RoleRefinery, applyRig), BeadID: f.mr(f.issue("src"), "")}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "hook", f.agentCol(a.AgentID, "current_hook_bead_id"), a.BeadID)
			wantEq(f.t, "assignee", f.bead(a.BeadID, "assignee_agent_bead_id"), a.AgentID)
		}},
		{name: "hook_agent failure is caught", setup: func(f *applyFix) Action {
			agent := f.hooked(f.issue("busy"))
			return Action{Type: HookAgent, AgentID: agent, BeadID: f.issue("second")}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "assignee of second", f.bead(a.BeadID, "assignee_agent_bead_id"), "<NULL>")
		}},
		{name: "unhook_agent", setup: func(f *applyFix) Action {
			agent := f.hooked(f.issue("a"))
			f.must(f.town.UpdateAgentStatus(f.env.Clock, agent, model.AgentWorking))
			return Action{Type: UnhookAgent, AgentID: agent, Reason: "stalled"}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "hook", f.agentCol(a.AgentID, "current_hook_bead_id"), "<NULL>")
			wantEq(f.t, "status", f.agentCol(a.AgentID, "status"), "idle")
			wantNum(f.t, "unhooked events", f.num(`SELECT count(*) FROM bead_events WHERE event_type = 'unhooked'`), 1)
		}},
		{name: "unhook_agent on a missing agent is a no-op", setup: func(f *applyFix) Action {
			return Action{Type: UnhookAgent, AgentID: "ghost"}
		}},
		{name: "clear_agent_checkpoint", setup: func(f *applyFix) Action {
			agent := f.agent(model.RolePolecat, applyRig)
			f.must(f.town.WriteCheckpoint(agent, map[string]any{"k": "v"}))
			return Action{Type: ClearAgentCheckpoint, AgentID: agent}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "checkpoint", f.agentCol(a.AgentID, "checkpoint"), "<NULL>")
		}},
		{name: "delete_agent reopens its live beads", setup: func(f *applyFix) Action {
			id := f.issue("a")
			agent := f.hooked(id)
			_, err := f.town.UpdateBeadStatus(f.env.Clock, id, model.StatusInProgress, agent, nil)
			f.must(err)
			f.must(f.town.UnhookBead(f.env.Clock, agent))
			return Action{Type: DeleteAgent, AgentID: agent, Reason: "gc"}
		}, check: func(f *applyFix, a Action) {
			wantNum(f.t, "agent rows", f.num(`SELECT count(*) FROM agent_metadata WHERE bead_id = ?`, a.AgentID), 0)
			wantEq(f.t, "issue status", f.str(`SELECT status FROM beads WHERE type = 'issue'`), "open")
			wantEq(f.t, "issue assignee", f.str(`SELECT assignee_agent_bead_id FROM beads WHERE type = 'issue'`), "<NULL>")
		}},
		{name: "delete_agent failure is caught", setup: func(f *applyFix) Action {
			// A missing satellite table makes deleteBead throw half-way.
			agent := f.agent(model.RolePolecat, applyRig)
			f.exec(`DROP TABLE escalation_metadata`)
			return Action{Type: DeleteAgent, AgentID: agent}
		}, check: func(f *applyFix, a Action) {
			wantNum(f.t, "agent survives the failed delete", f.num(`SELECT count(*) FROM beads WHERE bead_id = ?`, a.AgentID), 1)
		}},
		{name: "create_triage_request (hazard 6: CLOSE option)", setup: func(f *applyFix) Action {
			return Action{Type: CreateTriageRequest, AgentID: f.agent(model.RolePolecat, applyRig), TriageType: "stuck_agent", Reason: "no progress for 2h"}
		}, check: func(f *applyFix, a Action) {
			id := f.str(`SELECT bead_id FROM beads WHERE labels LIKE '%"gt:triage-request"%'`)
			wantEq(f.t, "title", f.bead(id, "title"), "Triage: no progress for 2h")
			wantEq(f.t, "assignee", f.bead(id, "assignee_agent_bead_id"), a.AgentID)
			wantEq(f.t, "rig", f.bead(id, "rig_id"), "<NULL>")
			wantEq(f.t, "triage_type", f.meta(id, "triage_type"), "stuck_agent")
			wantEq(f.t, "options", f.meta(id, "options"), `["RESTART","CLOSE","ESCALATE"]`)
			wantEq(f.t, "context", f.meta(id, "context.reason"), "no progress for 2h")
			wantEq(f.t, "hooked_bead_id", f.str(`SELECT json_type(metadata, '$.hooked_bead_id') FROM beads WHERE bead_id = ?`, id), "null")
			if _, err := Apply(f.town, f.env, a); err != nil {
				f.t.Fatal(err)
			}
			wantNum(f.t, "deduplicated", f.num(`SELECT count(*) FROM beads WHERE labels LIKE '%"gt:triage-request"%'`), 1)
		}},
	})
}

// TestApplyConvoyActions covers create_landing_mr, update_convoy_progress,
// set_convoy_ready_to_land, close_convoy and fail_convoy (§3.1 #5, #14–17).
func TestApplyConvoyActions(t *testing.T) {
	runApplyCases(t, []applyCase{
		{name: "create_landing_mr counts the attempt and submits a system MR", setup: func(f *applyFix) Action {
			convoy, _ := f.convoy()
			f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.landing_mr_attempts', 2) WHERE bead_id = ?`, convoy)
			return Action{Type: CreateLandingMR, ConvoyID: convoy, RigID: applyRig, FeatureBranch: "convoy/landing/abcd/head", TargetBranch: "develop"}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "attempts", f.meta(a.ConvoyID, "landing_mr_attempts"), "3")
			wantEq(f.t, "last attempt", f.meta(a.ConvoyID, "last_landing_mr_attempt_at"), f.now())
			wantEq(f.t, "convoy updated_at", f.bead(a.ConvoyID, "updated_at"), f.now())
			mr := f.str(`SELECT bead_id FROM beads WHERE type = 'merge_request'`)
			wantEq(f.t, "created_by", f.bead(mr, "created_by"), "system")
			wantEq(f.t, "branch", f.review(mr, "branch"), "convoy/landing/abcd/head")
			wantEq(f.t, "target", f.review(mr, "target_branch"), "develop")
			wantEq(f.t, "tracks", f.str(`SELECT depends_on_bead_id FROM bead_dependencies WHERE bead_id = ?`, mr), a.ConvoyID)
		}},
		{name: "create_landing_mr on a fresh convoy starts at 1", setup: func(f *applyFix) Action {
			convoy, _ := f.convoy()
			return Action{Type: CreateLandingMR, ConvoyID: convoy, RigID: applyRig, FeatureBranch: "fb", TargetBranch: "main"}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "attempts", f.meta(a.ConvoyID, "landing_mr_attempts"), "1")
		}},
		{name: "update_convoy_progress writes the rule's count", setup: func(f *applyFix) Action {
			convoy, _ := f.convoy()
			return Action{Type: UpdateConvoyProgress, ConvoyID: convoy, ClosedBeads: 7}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "closed_beads", f.str(`SELECT closed_beads FROM convoy_metadata WHERE bead_id = ?`, a.ConvoyID), "7")
		}},
		{name: "set_convoy_ready_to_land", setup: func(f *applyFix) Action {
			convoy, _ := f.convoy()
			return Action{Type: SetConvoyReadyToLand, ConvoyID: convoy}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "ready_to_land", f.meta(a.ConvoyID, "ready_to_land"), "1")
			wantEq(f.t, "updated_at", f.bead(a.ConvoyID, "updated_at"), f.now())
		}},
		{name: "close_convoy closes and stamps landed_at", setup: func(f *applyFix) Action {
			convoy, _ := f.convoy()
			return Action{Type: CloseConvoy, ConvoyID: convoy}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "status", f.bead(a.ConvoyID, "status"), "closed")
			wantEq(f.t, "closed_at", f.bead(a.ConvoyID, "closed_at"), f.now())
			wantEq(f.t, "landed_at", f.str(`SELECT landed_at FROM convoy_metadata WHERE bead_id = ?`, a.ConvoyID), f.now())
		}},
		{name: "close_convoy rewrites landed_at of a closed convoy", setup: func(f *applyFix) Action {
			convoy, _ := f.convoy()
			_, err := f.town.UpdateBeadStatus(f.env.Clock, convoy, model.StatusClosed, "system", nil)
			f.must(err)
			f.exec(`UPDATE convoy_metadata SET landed_at = 'earlier' WHERE bead_id = ?`, convoy)
			return Action{Type: CloseConvoy, ConvoyID: convoy}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "closed_at kept", f.bead(a.ConvoyID, "closed_at"), model.ISO(applyT0))
			wantEq(f.t, "landed_at", f.str(`SELECT landed_at FROM convoy_metadata WHERE bead_id = ?`, a.ConvoyID), f.now())
		}},
		{name: "close_convoy on a missing convoy throws", wantErr: true, setup: func(f *applyFix) Action {
			return Action{Type: CloseConvoy, ConvoyID: "no-convoy"}
		}},
		{name: "fail_convoy", setup: func(f *applyFix) Action {
			convoy, _ := f.convoy()
			return Action{Type: FailConvoy, ConvoyID: convoy, Reason: "landing MR failed 5 times"}
		}, check: func(f *applyFix, a Action) {
			wantEq(f.t, "status", f.bead(a.ConvoyID, "status"), "failed")
			wantEq(f.t, "failureReason", f.meta(a.ConvoyID, "failureReason"), "landing_mr_exhausted")
			wantEq(f.t, "failureMessage", f.meta(a.ConvoyID, "failureMessage"), "landing MR failed 5 times")
			wantEq(f.t, "event metadata", f.str(`SELECT metadata FROM bead_events WHERE bead_id = ? AND new_value = 'failed'`, a.ConvoyID), "{}")
		}},
		{name: "fail_convoy on a missing convoy throws", wantErr: true, setup: func(f *applyFix) Action {
			return Action{Type: FailConvoy, ConvoyID: "no-convoy", Reason: "x"}
		}},
	})
}

// TestApplyNotifyAndEmit covers notify_mayor (log only, hazard 5) and
// emit_event (§3.1 #24–25).
func TestApplyNotifyAndEmit(t *testing.T) {
	f := newApplyFix(t)
	f.convoy()
	before, events := f.dump(), len(f.analytics)
	if e := f.apply(Action{Type: NotifyMayor, Message: "breaker open"}); e != nil {
		t.Fatal("notify_mayor returned an effect")
	}
	if f.dump() != before || len(f.analytics) != events || len(f.env.Calls) != 0 {
		t.Fatal("notify_mayor wrote, emitted or called")
	}

	if _, err := f.town.UpdateTownConfig(model.TownConfigUpdate{OwnerUserID: model.Ptr("owner-1")}); err != nil {
		f.t.Fatal(err)
	}
	e := f.apply(Action{Type: EmitEvent, EventName: "reconciler.respawn_suppressed",
		EventData: [][2]string{{"convoyId", "convoy-9"}, {"suppressedAttempt", "3"}}})
	if e != nil {
		t.Fatal("emit_event returned an effect")
	}
	got := f.events("reconciler.respawn_suppressed")
	if len(got) != 1 {
		t.Fatalf("emitted %d respawn_suppressed events, want 1", len(got))
	}
	want := model.AnalyticsEvent{Event: "reconciler.respawn_suppressed", UserID: "owner-1", Delivery: "internal",
		TownID: applyTownID, ConvoyID: "convoy-9"}
	if got[0] != want {
		t.Errorf("event = %+v, want %+v (suppressedAttempt has no slot)", got[0], want)
	}
	if f.dump() != before {
		t.Error("emit_event wrote to the database")
	}

	// A non-number in a double slot makes the analytics write throw,
	// which the writer swallows.
	f.apply(Action{Type: EmitEvent, EventName: "x.bad", EventData: [][2]string{{"durationMs", "soon"}}})
	if n := len(f.events("x.bad")); n != 0 {
		t.Errorf("bad double emitted %d events", n)
	}
}

// TestApplyStopAgent covers stop_agent: no synchronous part, a stop call
// whose failure is swallowed.
func TestApplyStopAgent(t *testing.T) {
	f := newApplyFix(t)
	agent := f.agent(model.RolePolecat, applyRig)
	before := f.dump()
	f.answer(model.CallStopAgent, model.Result{Err: "connection reset"})
	e := f.apply(Action{Type: StopAgent, AgentID: agent, Reason: "gupp force stop"})
	if e == nil {
		t.Fatal("stop_agent returned no effect")
	}
	if len(f.env.Calls) != 0 {
		t.Fatal("stop_agent called before its effect ran")
	}
	if err := e.Run(f.env); err != nil {
		t.Fatalf("stop_agent effect rejected: %v", err)
	}
	if c := f.calls(model.CallStopAgent); len(c) != 1 || c[0].AgentID != agent {
		t.Fatalf("stop calls = %+v", c)
	}
	if f.dump() != before {
		t.Error("stop_agent wrote state")
	}
}

// TestApplyUnknownType: an action outside the union is an error.
func TestApplyUnknownType(t *testing.T) {
	f := newApplyFix(t)
	if _, err := Apply(f.town, f.env, Action{Type: "explode"}); err == nil {
		t.Fatal("unknown action type applied without error")
	}
}

// TestApplyCoversEveryType: Apply knows all 26 types of the union.
func TestApplyCoversEveryType(t *testing.T) {
	f := newApplyFix(t)
	for _, typ := range ActionTypes {
		_, err := Apply(f.town, f.env, Action{Type: typ})
		if err != nil && err.Error() == `apply: unknown action type "`+typ+`"` {
			t.Errorf("type %s not handled", typ)
		}
	}
}

// TestHazard12_ResetCannotReopenFailed: reset_agent_dispatch_attempts on an
// agent hooked to a failed MR zeroes the counters and the MR's retry_count,
// but its "reopen" goes through updateBeadStatus, whose terminal guard
// keeps the MR failed.
func TestHazard12_ResetCannotReopenFailed(t *testing.T) {
	f := newApplyFix(t)
	mr := f.mr(f.issue("src"), "")
	refinery := f.agent(model.RoleRefinery, applyRig)
	f.must(f.town.HookBead(f.env.Clock, refinery, mr))
	_, err := f.town.UpdateBeadStatus(f.env.Clock, mr, model.StatusFailed, "system", nil)
	f.must(err)
	f.exec(`UPDATE agent_metadata SET dispatch_attempts = 7 WHERE bead_id = ?`, refinery)
	f.exec(`UPDATE beads SET dispatch_attempts = 5, last_dispatch_attempt_at = ? WHERE bead_id = ?`, f.now(), mr)
	f.exec(`UPDATE review_metadata SET retry_count = 2 WHERE bead_id = ?`, mr)
	events := f.num(`SELECT count(*) FROM bead_events`)
	f.advance(time.Hour)
	f.apply(Action{Type: ResetAgentDispatchAttempts, AgentID: refinery})
	wantEq(t, "MR status", f.bead(mr, "status"), "failed")
	wantEq(t, "MR updated_at", f.bead(mr, "updated_at"), model.ISO(applyT0))
	wantEq(t, "MR attempts", f.bead(mr, "dispatch_attempts"), "0")
	wantEq(t, "MR last attempt", f.bead(mr, "last_dispatch_attempt_at"), "<NULL>")
	wantEq(t, "retry_count", f.review(mr, "retry_count"), "0")
	wantEq(t, "agent attempts", f.agentCol(refinery, "dispatch_attempts"), "0")
	wantNum(t, "bead events", f.num(`SELECT count(*) FROM bead_events`), events)
}

// TestHazard24_CreateMRBeadDropsTargetBranch: create_mr_bead does not pass
// its target branch, so the MR targets 'main' (no convoy), not the
// action's branch nor the rig's default.
func TestHazard24_CreateMRBeadDropsTargetBranch(t *testing.T) {
	f := newApplyFix(t)
	f.must(f.town.AddRig(applyT0, applyRig, "widgets", applyGitURL, "develop"))
	src := f.issue("src")
	f.apply(Action{Type: CreateMRBead, SourceBeadID: src, AgentID: "agent-p", RigID: applyRig,
		Branch: "gt/toast/x", TargetBranch: "release/2.0"})
	mr := f.str(`SELECT bead_id FROM beads WHERE type = 'merge_request'`)
	wantEq(t, "target_branch", f.review(mr, "target_branch"), "main")
	wantEq(t, "review_submitted target", f.str(`SELECT json_extract(metadata, '$.target_branch') FROM bead_events
		WHERE bead_id = ? AND event_type = 'review_submitted'`, src), "main")
}
