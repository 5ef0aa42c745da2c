package model

import (
	"strings"
	"testing"
	"time"
)

// trFix is a town with a triage agent hooked to a patrol triage batch, a
// working polecat hooked to an issue, and one open stuck_agent triage
// request about that polecat and issue.
type trFix struct {
	*evFix
	triager, batch, target, work, req string
}

// trOpts chooses the request's metadata.
type trOpts struct {
	noSnapshot bool           // hooked_bead_id null (the reconciler's requests)
	noAgent    bool           // agent_bead_id null
	typ        string         // triage type ("" = stuck_agent)
	context    map[string]any // nil = {reason}
}

// resolveAt is when the tests resolve.
var resolveAt = evAt(time.Hour)

func trNew(t *testing.T, o trOpts) *trFix {
	t.Helper()
	f := &trFix{evFix: evNew(t)}
	f.rig("r1", true)
	f.batch = f.evFix.bead(CreateBeadInput{Title: "Triage batch: 1 request(s)", Labels: []string{LabelTriage}, CreatedBy: "patrol", RigID: "r1"})
	f.triager = f.agent(RolePolecat, "Triager", "r1")
	f.hook(f.triager, f.batch)
	f.target = f.agent(RolePolecat, "Toast", "r1")
	f.work = f.evFix.bead(CreateBeadInput{Title: "work", RigID: "r1"})
	f.hook(f.target, f.work)
	f.exec(`UPDATE beads SET status = 'in_progress', dispatch_attempts = 2 WHERE bead_id = ?`, f.work)
	f.exec(`UPDATE agent_metadata SET status = 'working', dispatch_attempts = 3 WHERE bead_id = ?`, f.target)
	in := TriageRequestInput{TriageType: o.typ, AgentBeadID: f.target, HookedBeadID: f.work, Title: "Triage: stuck",
		Context: o.context, Options: []string{"RESTART", "CLOSE_BEAD"}, RigID: "r1"}
	if in.TriageType == "" {
		in.TriageType = "stuck_agent"
	}
	if in.Context == nil {
		in.Context = map[string]any{"reason": "GUPP"}
	}
	if o.noSnapshot {
		in.HookedBeadID = ""
	}
	if o.noAgent {
		in.AgentBeadID = ""
	}
	f.must(f.town.CreateTriageRequest(evT0, in))
	f.req = f.q(`SELECT bead_id FROM beads WHERE labels LIKE '%"gt:triage-request"%'`)
	f.env.Clock = resolveAt
	return f
}

// resolve calls ResolveTriage as the triage agent.
func (f *trFix) resolve(action, notes string) error {
	return f.town.ResolveTriage(f.env, ResolveTriageInput{AgentID: f.triager, TriageRequestBeadID: f.req,
		Action: action, ResolutionNotes: notes})
}

// stopped reports a stop call for the target.
func (f *trFix) stopped() bool {
	for _, c := range f.env.Calls {
		if c.Kind == CallStopAgent && c.AgentID == f.target {
			return true
		}
	}
	return false
}

// failure reads the failure_reason of the bead's last failed transition.
func (f *trFix) failure(id string) string {
	return f.q(`SELECT json_extract(metadata, '$.failure_reason.code') || '|' || json_extract(metadata, '$.failure_reason.message')
		|| '|' || json_extract(metadata, '$.failure_reason.source') || '|' || COALESCE(agent_id, '<NULL>')
		FROM bead_events WHERE bead_id = ? AND new_value = 'failed' ORDER BY rowid DESC LIMIT 1`, id)
}

// assertClosed checks the request's direct close and its events.
func (f *trFix) assertClosed(t *testing.T, action, notes string) {
	t.Helper()
	eq(t, "request status", f.b(f.req, "status"), StatusClosed)
	eq(t, "request closed_at", f.b(f.req, "closed_at"), ISO(resolveAt))
	eq(t, "request updated_at", f.b(f.req, "updated_at"), ISO(resolveAt))
	eq(t, "resolution", f.meta(f.req, "resolution_action")+"|"+f.meta(f.req, "resolution_notes")+"|"+f.meta(f.req, "resolved_by"),
		action+"|"+notes+"|"+f.triager)
	eq(t, "manual status event", f.q(`SELECT agent_id || ' ' || old_value || '→' || new_value || ' ' || metadata
		FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed'`, f.req),
		f.triager+" open→closed "+`{"action":"`+action+`","resolution_notes":"`+notes+`"}`)
}

func TestResolveTriage(t *testing.T) {
	tests := []struct {
		name   string
		opts   trOpts
		action string
		notes  string
		setup  func(f *trFix)
		check  func(t *testing.T, f *trFix)
	}{
		{"RESTART: agent on the bead → stopped, idle, activity cleared, counters kept", trOpts{}, "RESTART", "restart it", nil,
			func(t *testing.T, f *trFix) {
				eq(t, "stop call", f.stopped(), true)
				eq(t, "agent", f.a(f.target, "status")+"|"+f.a(f.target, "last_activity_at")+"|"+f.a(f.target, "dispatch_attempts"), "idle|<NULL>|3")
				eq(t, "still hooked", f.a(f.target, "current_hook_bead_id"), f.work)
				eq(t, "bead untouched", f.b(f.work, "status")+"|"+f.b(f.work, "last_dispatch_attempt_at"), "in_progress|<NULL>")
				eq(t, "triage_resolved on the bead", f.q(`SELECT new_value || ' ' || metadata FROM bead_events WHERE bead_id = ? AND event_type = 'triage_resolved'`, f.work),
					`RESTART {"action":"RESTART","resolution_notes":"restart it","triage_request_bead_id":"`+f.req+`","target_agent_id":"`+f.target+`"}`)
			}},
		{"RESTART: agent moved on → nothing but the close", trOpts{}, "RESTART", "", func(f *trFix) {
			f.exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id = ?`, f.batch, f.target)
		}, func(t *testing.T, f *trFix) {
			eq(t, "no stop", f.stopped(), false)
			eq(t, "still working", f.a(f.target, "status"), AgentWorking)
		}},
		{"RESTART: idle agent on the bead → not stopped, activity cleared", trOpts{}, "RESTART", "", func(f *trFix) {
			f.exec(`UPDATE agent_metadata SET status = 'idle' WHERE bead_id = ?`, f.target)
		}, func(t *testing.T, f *trFix) {
			eq(t, "no stop", f.stopped(), false)
			eq(t, "activity", f.a(f.target, "last_activity_at"), "<NULL>")
		}},
		{"RESTART: no snapshot → the current hook", trOpts{noSnapshot: true}, "restart", "", nil,
			func(t *testing.T, f *trFix) {
				eq(t, "stop call", f.stopped(), true)
				eq(t, "idle", f.a(f.target, "status"), AgentIdle)
				eq(t, "triage_resolved on the agent", f.q(`SELECT new_value FROM bead_events WHERE bead_id = ? AND event_type = 'triage_resolved'`, f.target), "RESTART")
			}},
		{"RESTART: bead at the dispatch cap → failed by system, agent unhooked", trOpts{}, "RESTART", "", func(f *trFix) {
			f.exec(`UPDATE beads SET dispatch_attempts = 5 WHERE bead_id = ?`, f.work)
		}, func(t *testing.T, f *trFix) {
			eq(t, "bead failed", f.b(f.work, "status"), StatusFailed)
			eq(t, "reason", f.failure(f.work), "max_dispatch_attempts|Dispatch attempts exhausted (5)|triage|system")
			eq(t, "unhooked", f.a(f.target, "current_hook_bead_id"), "<NULL>")
			eq(t, "activity kept (no idle write)", f.a(f.target, "last_activity_at"), ISO(evT0))
		}},
		{"RESTART: cap unhooks the agent even when it moved on", trOpts{}, "RESTART", "", func(f *trFix) {
			f.exec(`UPDATE beads SET dispatch_attempts = 7 WHERE bead_id = ?`, f.work)
			f.exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id = ?`, f.batch, f.target)
		}, func(t *testing.T, f *trFix) {
			eq(t, "no stop", f.stopped(), false)
			eq(t, "unhooked from its other work", f.a(f.target, "current_hook_bead_id"), "<NULL>")
		}},
		{"RESTART: agent deleted → no effect", trOpts{}, "RESTART", "", func(f *trFix) {
			f.exec(`DELETE FROM agent_metadata WHERE bead_id = ?`, f.target)
		}, func(t *testing.T, f *trFix) {
			eq(t, "no stop", f.stopped(), false)
			eq(t, "bead", f.b(f.work, "status"), StatusInProgress)
		}},
		{"RESTART_WITH_BACKOFF: idle, activity now, bead stamped", trOpts{}, "RESTART_WITH_BACKOFF", "", nil,
			func(t *testing.T, f *trFix) {
				eq(t, "stop call", f.stopped(), true)
				eq(t, "agent", f.a(f.target, "status")+"|"+f.a(f.target, "last_activity_at"), "idle|"+ISO(resolveAt))
				eq(t, "stamp", f.b(f.work, "last_dispatch_attempt_at"), ISO(resolveAt))
				eq(t, "updated_at not written", f.b(f.work, "updated_at"), ISO(evT0))
			}},
		{"RESTART_WITH_BACKOFF: agent moved on → bead stamped anyway", trOpts{}, "RESTART_WITH_BACKOFF", "", func(f *trFix) {
			f.exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id = ?`, f.batch, f.target)
		}, func(t *testing.T, f *trFix) {
			eq(t, "agent untouched", f.a(f.target, "status"), AgentWorking)
			eq(t, "stamp", f.b(f.work, "last_dispatch_attempt_at"), ISO(resolveAt))
		}},
		{"CLOSE_BEAD: bead failed by the triage agent, agent stopped and unhooked", trOpts{}, "CLOSE_BEAD", "hopeless", nil,
			func(t *testing.T, f *trFix) {
				eq(t, "bead", f.b(f.work, "status"), StatusFailed)
				eq(t, "reason", f.failure(f.work), "triage_close|hopeless|triage|"+f.triager)
				eq(t, "stop call", f.stopped(), true)
				eq(t, "unhooked", f.a(f.target, "current_hook_bead_id"), "<NULL>")
			}},
		{"CLOSE_BEAD: default message; agent moved on → only the bead", trOpts{}, "CLOSE_BEAD", "", func(f *trFix) {
			f.exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id = ?`, f.batch, f.target)
		}, func(t *testing.T, f *trFix) {
			eq(t, "reason", f.failure(f.work), "triage_close|Closed via triage|triage|"+f.triager)
			eq(t, "no stop", f.stopped(), false)
			eq(t, "hook kept", f.a(f.target, "current_hook_bead_id"), f.batch)
		}},
		{"CLOSE_BEAD: closed bead stays closed (guarded), agent still unhooked", trOpts{}, "CLOSE_BEAD", "", func(f *trFix) {
			f.exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, f.work)
		}, func(t *testing.T, f *trFix) {
			eq(t, "bead", f.b(f.work, "status"), StatusClosed)
			eq(t, "unhooked", f.a(f.target, "current_hook_bead_id"), "<NULL>")
		}},
		{"ESCALATE_TO_MAYOR: a message to the mayor", trOpts{}, "ESCALATE_TO_MAYOR", "needs a human", nil,
			func(t *testing.T, f *trFix) {
				mayor := f.q(`SELECT bead_id FROM agent_metadata WHERE role = 'mayor'`)
				var msg string
				for _, c := range f.env.Calls {
					if c.Kind == CallStartAgent && c.AgentID == mayor {
						msg = c.Message
					}
				}
				eq(t, "message", msg, "[Triage Escalation] needs a human\n\nAgent: "+f.target+"\nBead: "+f.work)
				eq(t, "bead untouched", f.b(f.work, "status"), StatusInProgress)
				eq(t, "no stop", f.stopped(), false)
				eq(t, "alarm armed by the mayor message only", f.alarm(), time.Hour+ActiveInterval)
			}},
		{"ESCALATE: title as message, unknown bead without snapshot", trOpts{noSnapshot: true}, "ESCALATE", "", nil,
			func(t *testing.T, f *trFix) {
				found := false
				for _, c := range f.env.Calls {
					found = found || c.Message == "[Triage Escalation] Triage: stuck\n\nAgent: "+f.target+"\nBead: unknown"
				}
				eq(t, "message sent", found, true)
			}},
		{"NUDGE: immediate urgent nudge, delivered, analytics", trOpts{}, "NUDGE", "", nil,
			func(t *testing.T, f *trFix) {
				eq(t, "nudge", f.q(`SELECT agent_bead_id || '|' || message || '|' || mode || '|' || priority || '|' || source || '|' || COALESCE(delivered_at, '<NULL>') FROM agent_nudges`),
					f.target+"|"+triageNudgeMessage+"|immediate|urgent|triage|"+SQLiteTime(resolveAt))
				e, ok := f.find("nudge.queued")
				eq(t, "nudge.queued", ok && e.Label == "triage_nudge" && e.AgentID == f.target && e.Delivery == "internal", true)
				eq(t, "agent untouched", f.a(f.target, "status"), AgentWorking)
			}},
		{"NUDGE: undelivered stays queued", trOpts{}, "NUDGE", "report in", func(f *trFix) {
			f.env.Respond = evRespond(200, "", "not_found", false)
		}, func(t *testing.T, f *trFix) {
			eq(t, "nudge", f.q(`SELECT message || '|' || COALESCE(delivered_at, '<NULL>') FROM agent_nudges`), "report in|<NULL>")
		}},
		{"NUDGE: agent gone → nothing", trOpts{}, "NUDGE", "", func(f *trFix) {
			f.exec(`DELETE FROM agent_metadata WHERE bead_id = ?`, f.target)
		}, func(t *testing.T, f *trFix) {
			eq(t, "no nudge", f.n(`SELECT count(*) FROM agent_nudges`), 0)
			eq(t, "no analytics", len(f.analytics), 0)
		}},
		{"REASSIGN_BEAD: agent stopped and unhooked, bead open without assignee", trOpts{}, "REASSIGN_BEAD", "", nil,
			func(t *testing.T, f *trFix) {
				eq(t, "stop call", f.stopped(), true)
				eq(t, "unhooked", f.a(f.target, "current_hook_bead_id"), "<NULL>")
				eq(t, "bead", f.b(f.work, "status")+"|"+f.b(f.work, "assignee_agent_bead_id")+"|"+f.b(f.work, "updated_at"), "open|<NULL>|"+ISO(resolveAt))
				eq(t, "direct write: no status event", f.n(`SELECT count(*) FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed'`, f.work), 0)
			}},
		{"REASSIGN_BEAD: at the cap → failed by the triage agent", trOpts{}, "REASSIGN_BEAD", "", func(f *trFix) {
			f.exec(`UPDATE beads SET dispatch_attempts = 5 WHERE bead_id = ?`, f.work)
		}, func(t *testing.T, f *trFix) {
			eq(t, "bead", f.b(f.work, "status"), StatusFailed)
			eq(t, "reason", f.failure(f.work), "max_dispatch_attempts|Dispatch attempts exhausted during reassign (5)|triage|"+f.triager)
		}},
		{"REASSIGN_BEAD: failed bead is not reopened", trOpts{}, "REASSIGN_BEAD", "", func(f *trFix) {
			f.exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, f.work)
		}, func(t *testing.T, f *trFix) {
			eq(t, "bead", f.b(f.work, "status")+"|"+f.b(f.work, "assignee_agent_bead_id"), "failed|"+f.target)
		}},
		{"DISCARD: no effect", trOpts{}, "DISCARD", "noise", nil, func(t *testing.T, f *trFix) {
			eq(t, "no calls", len(f.env.Calls), 0)
			eq(t, "agent", f.a(f.target, "status"), AgentWorking)
			eq(t, "bead", f.b(f.work, "status"), StatusInProgress)
		}},
		{"unknown action: no effect, stored as given", trOpts{}, "REBOOT_EVERYTHING", "", nil, func(t *testing.T, f *trFix) {
			eq(t, "no calls", len(f.env.Calls), 0)
			eq(t, "bead", f.b(f.work, "status"), StatusInProgress)
		}},
		{"no agent in the request: actions do nothing", trOpts{noAgent: true}, "CLOSE_BEAD", "", nil, func(t *testing.T, f *trFix) {
			eq(t, "bead", f.b(f.work, "status"), StatusInProgress)
			eq(t, "triage_resolved on the snapshot bead", f.n(`SELECT count(*) FROM bead_events WHERE bead_id = ? AND event_type = 'triage_resolved'`, f.work), 1)
		}},
		{"linked escalation closed through updateBeadStatus", trOpts{typ: "escalation"}, "ESCALATE_TO_MAYOR", "", func(f *trFix) {
			esc := f.evFix.bead(CreateBeadInput{Type: TypeEscalation, Title: "conflict"})
			f.ids["esc"] = esc
			f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.context.escalation_bead_id', ?) WHERE bead_id = ?`, esc, f.req)
		}, func(t *testing.T, f *trFix) {
			esc := f.ids["esc"]
			eq(t, "escalation", f.b(esc, "status")+"|"+f.b(esc, "closed_at"), "closed|"+ISO(resolveAt))
			eq(t, "guarded event", f.q(`SELECT agent_id FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed'`, esc), f.triager)
		}},
		{"context that is not an object: no escalation close", trOpts{}, "DISCARD", "", func(f *trFix) {
			f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.context', json('["x"]')) WHERE bead_id = ?`, f.req)
		}, func(t *testing.T, f *trFix) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := trNew(t, tt.opts)
			if tt.setup != nil {
				tt.setup(f)
			}
			f.must(f.resolve(tt.action, tt.notes))
			f.assertClosed(t, tt.action, tt.notes)
			tt.check(t, f)
			eq(t, "batch untouched", f.b(f.batch, "status"), StatusOpen)
			eq(t, "triage agent keeps its hook", f.a(f.triager, "current_hook_bead_id"), f.batch)
			if !strings.HasPrefix(tt.action, "ESCALATE") {
				eq(t, "alarm not armed", f.alarm(), time.Duration(-1))
			}
		})
	}
}

// Refusals write nothing.
func TestResolveTriageErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *trFix) string // returns the request id to resolve
		want  string
	}{
		{"missing request", func(f *trFix) string { return "nope" }, "Triage request bead nope not found"},
		{"not a triage request", func(f *trFix) string { return f.work }, "Bead %s is not a triage request"},
		{"already closed", func(f *trFix) string {
			f.exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, f.req)
			return f.req
		}, "Triage request %s is already closed — cannot resolve again"},
		{"in_progress is not open either", func(f *trFix) string {
			f.exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, f.req)
			return f.req
		}, "Triage request %s is already in_progress — cannot resolve again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := trNew(t, trOpts{})
			id := tt.setup(f)
			before := f.dump()
			err := f.town.ResolveTriage(f.env, ResolveTriageInput{AgentID: f.triager, TriageRequestBeadID: id, Action: "CLOSE_BEAD"})
			want := tt.want
			if strings.Contains(want, "%s") {
				want = strings.Replace(want, "%s", id, 1)
			}
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v, want %q", err, want)
			}
			eq(t, "nothing written", f.dump(), before)
			eq(t, "no calls", len(f.env.Calls), 0)
		})
	}
	t.Run("second resolve of the same request", func(t *testing.T) {
		f := trNew(t, trOpts{})
		f.must(f.resolve("RESTART", ""))
		if err := f.resolve("RESTART", ""); err == nil || !strings.Contains(err.Error(), "already closed") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("CLOSE_BEAD on a deleted bead throws after nothing else was written", func(t *testing.T) {
		f := trNew(t, trOpts{})
		f.exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL WHERE bead_id = ?`, f.target)
		f.exec(`DELETE FROM beads WHERE bead_id = ?`, f.work)
		err := f.resolve("CLOSE_BEAD", "")
		if _, ok := err.(*NotFoundError); !ok {
			t.Fatalf("err = %v, want Bead not found", err)
		}
		eq(t, "request stays open", f.b(f.req, "status"), StatusOpen)
	})
}

// TestHazard06_ResolverCloseIsNotCloseBead: the reconciler's triage
// requests offer CLOSE (reconciler.md §3.7, hazard 6). resolveTriage has no
// case for it: the request is closed and the agent's bead is left alone;
// the triage route refuses it as an invalid body (nothing written).
func TestHazard06_ResolverCloseIsNotCloseBead(t *testing.T) {
	f := trNew(t, trOpts{noSnapshot: true})
	f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.options', json('["RESTART","CLOSE","ESCALATE"]')) WHERE bead_id = ?`, f.req)

	before := f.dump()
	err := f.town.HandleResolveTriage(f.env, ResolveTriageInput{AgentID: f.triager, TriageRequestBeadID: f.req, Action: "close"})
	if err == nil || !strings.HasPrefix(err.Error(), "400") {
		t.Fatalf("route: err = %v, want 400", err)
	}
	eq(t, "route wrote nothing", f.dump(), before)

	f.must(f.resolve("CLOSE", "close it"))
	f.assertClosed(t, "CLOSE", "close it")
	eq(t, "bead not failed", f.b(f.work, "status"), StatusInProgress)
	eq(t, "agent still hooked", f.a(f.target, "current_hook_bead_id"), f.work)

	g := trNew(t, trOpts{noSnapshot: true})
	g.must(g.resolve("CLOSE_BEAD", "close it"))
	eq(t, "CLOSE_BEAD fails the bead", g.b(g.work, "status"), StatusFailed)
}

// The triage-resolve route: authentication, body and triage-agent checks
// in front of ResolveTriage, which gets the upper-cased action.
func TestHandleResolveTriage(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *trFix) ResolveTriageInput
		wantErr string // "" = accepted
	}{
		{"accepted, action upper-cased", func(f *trFix) ResolveTriageInput {
			return ResolveTriageInput{AgentID: f.triager, TriageRequestBeadID: f.req, Action: "restart_with_backoff"}
		}, ""},
		{"no agent", func(f *trFix) ResolveTriageInput {
			return ResolveTriageInput{TriageRequestBeadID: f.req, Action: "RESTART"}
		}, "401: Agent authentication required"},
		{"empty request id", func(f *trFix) ResolveTriageInput {
			return ResolveTriageInput{AgentID: f.triager, Action: "RESTART"}
		}, "400: Invalid request body"},
		{"unknown action", func(f *trFix) ResolveTriageInput {
			return ResolveTriageInput{AgentID: f.triager, TriageRequestBeadID: f.req, Action: "REBOOT"}
		}, "400: Invalid request body"},
		{"caller not on a triage batch", func(f *trFix) ResolveTriageInput {
			return ResolveTriageInput{AgentID: f.target, TriageRequestBeadID: f.req, Action: "RESTART"}
		}, "403: Only triage agents can resolve triage requests"},
		{"batch not created by patrol", func(f *trFix) ResolveTriageInput {
			f.exec(`UPDATE beads SET created_by = NULL WHERE bead_id = ?`, f.batch)
			return ResolveTriageInput{AgentID: f.triager, TriageRequestBeadID: f.req, Action: "RESTART"}
		}, "403: Only triage agents can resolve triage requests"},
		{"caller unhooked", func(f *trFix) ResolveTriageInput {
			f.exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL WHERE bead_id = ?`, f.triager)
			return ResolveTriageInput{AgentID: f.triager, TriageRequestBeadID: f.req, Action: "RESTART"}
		}, "403: Only triage agents can resolve triage requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := trNew(t, trOpts{})
			in := tt.setup(f)
			before := f.dump()
			err := f.town.HandleResolveTriage(f.env, in)
			if tt.wantErr == "" {
				f.must(err)
				f.assertClosed(t, "RESTART_WITH_BACKOFF", "")
				eq(t, "stamp", f.b(f.work, "last_dispatch_attempt_at"), ISO(resolveAt))
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			eq(t, "nothing written", f.dump(), before)
		})
	}
}

// TestInconsistency01_ResolveTriageDirectClose: the request is closed by a
// direct write, so a request failed meanwhile by its own action (its
// snapshot bead is the request itself) goes failed → closed, and no
// convoy progress runs for it.
func TestInconsistency01_ResolveTriageDirectClose(t *testing.T) {
	f := trNew(t, trOpts{})
	f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.hooked_bead_id', bead_id) WHERE bead_id = ?`, f.req)
	f.must(f.resolve("CLOSE_BEAD", "self"))
	eq(t, "status events", strings.Join(f.list(`SELECT old_value || '→' || new_value FROM bead_events
		WHERE bead_id = ? AND event_type = 'status_changed' ORDER BY rowid`, f.req), ","), "open→failed,open→closed")
	eq(t, "terminal failed left for closed", f.b(f.req, "status"), StatusClosed)
	eq(t, "closed_at", f.b(f.req, "closed_at"), ISO(resolveAt))
	eq(t, "no triage_resolved on the request itself", f.n(`SELECT count(*) FROM bead_events WHERE event_type = 'triage_resolved'`), 0)
}

func TestPendingTriageRequests(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	for i := 0; i < 3; i++ {
		f.must(f.town.CreateTriageRequest(evAt(time.Duration(3-i)*time.Minute), TriageRequestInput{TriageType: "crash_loop",
			AgentBeadID: f.agent(RolePolecat, "P"+string(rune('a'+i)), "r1"), Title: "t" + string(rune('a'+i))}))
	}
	closed := f.q(`SELECT bead_id FROM beads WHERE title = 'tb'`)
	f.exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, closed)
	f.bead(CreateBeadInput{Title: "not a request"})
	got, err := f.town.PendingTriageRequests(20)
	f.must(err)
	var titles []string
	for _, b := range got {
		titles = append(titles, b.Title)
	}
	eqSlice(t, "open requests, oldest first", titles, []string{"tc", "ta"})
	got, err = f.town.PendingTriageRequests(1)
	f.must(err)
	eq(t, "limit", len(got), 1)
}
