package model

import (
	"fmt"
	"testing"
	"time"
)

// applyNow is when the apply tests apply their event.
var applyNow = evAt(10 * time.Minute)

// applyCase is one ApplyEvent case: setup returns the event; either the
// whole database must be unchanged, or check asserts the effect.
type applyCase struct {
	name      string
	setup     func(f *evFix) TownEvent
	cfg       *TownConfig
	unchanged bool
	wantErr   string // "" none; "notfound": a missing-entity error
	check     func(f *evFix)
}

func runApplyCases(t *testing.T, cases []applyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := evNew(t)
			f.rig("r1", true)
			ev := c.setup(f)
			before := f.dump()
			err := f.town.ApplyEvent(applyNow, ev, c.cfg)
			switch c.wantErr {
			case "":
				f.must(err)
			case "notfound":
				if !isMissingEntity(err) {
					t.Fatalf("err = %v, want a missing-entity error", err)
				}
			}
			if c.unchanged {
				eq(t, "database unchanged", f.dump(), before)
			}
			if c.check != nil {
				c.check(f)
			}
		})
	}
}

// workingPolecat sets up polecat P working on bead B (in_progress) in r1.
func workingPolecat(f *evFix) {
	p := f.agent(RolePolecat, "Toast", "r1")
	b := f.bead(CreateBeadInput{Title: "fix", RigID: "r1"})
	f.hook(p, b)
	f.exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, b)
	f.exec(`UPDATE agent_metadata SET status = 'working' WHERE bead_id = ?`, p)
	f.ids["P"], f.ids["B"] = p, b
}

// openMR sets up an MR (open, target main) for source S in r1.
func openMR(f *evFix) {
	p := f.agent(RolePolecat, "Toast", "r1")
	s := f.bead(CreateBeadInput{Title: "src", RigID: "r1"})
	f.exec(`UPDATE beads SET status = 'in_review' WHERE bead_id = ?`, s)
	f.ids["P"], f.ids["S"] = p, s
	f.ids["M"] = f.mr(p, s, "r1", "feat", "https://github.com/o/r1/pull/7")
}

func TestApplyEvent_AgentDone(t *testing.T) {
	runApplyCases(t, []applyCase{
		{name: "polecat submits its hooked bead", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventAgentDone, f.ids["P"], "", `{"branch":"b","pr_url":"https://github.com/o/r1/pull/1","summary":"s"}`)
		}, check: func(f *evFix) {
			mr := f.q(`SELECT bead_id FROM beads WHERE type = 'merge_request'`)
			eq(f.t, "MR title", f.b(mr, "title"), "Review: b")
			eq(f.t, "MR pr_url", f.meta(mr, "pr_url"), "https://github.com/o/r1/pull/1")
			eq(f.t, "source", f.b(f.ids["B"], "status"), StatusInReview)
			eq(f.t, "hook", f.a(f.ids["P"], "current_hook_bead_id"), "<NULL>")
		}},
		{name: "no agent id is a no-op", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventAgentDone, "", "", `{"branch":"b"}`)
		}, unchanged: true},
		{name: "missing agent is not found", setup: func(f *evFix) TownEvent {
			return evEvent(EventAgentDone, "33333333-3333-4333-8333-333333333333", "", `{"branch":"b"}`)
		}, unchanged: true, wantErr: "notfound"},
		{name: "wrong JSON types count as absent", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventAgentDone, f.ids["P"], "", `{"branch":7,"pr_url":true,"summary":{}}`)
		}, check: func(f *evFix) {
			mr := f.q(`SELECT bead_id FROM beads WHERE type = 'merge_request'`)
			eq(f.t, "MR title", f.b(mr, "title"), "Review: ")
			eq(f.t, "MR pr_url", f.meta(mr, "pr_url"), "<NULL>")
			eq(f.t, "MR body", f.b(mr, "body"), "<NULL>")
		}},
	})
}

func TestApplyEvent_AgentCompleted(t *testing.T) {
	runApplyCases(t, []applyCase{
		{name: "completed keeps the bead and idles the agent", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventAgentCompleted, f.ids["P"], "", `{"status":"completed"}`)
		}, check: func(f *evFix) {
			eq(f.t, "bead", f.b(f.ids["B"], "status"), StatusInProgress)
			eq(f.t, "agent", f.a(f.ids["P"], "status"), AgentIdle)
			eq(f.t, "hook", f.a(f.ids["P"], "current_hook_bead_id"), "<NULL>")
		}},
		{name: "missing status means failed (§7.9)", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventAgentCompleted, f.ids["P"], "", `{}`)
		}, check: func(f *evFix) {
			eq(f.t, "bead", f.b(f.ids["B"], "status"), StatusFailed)
		}},
		{name: "status of another JSON type means failed", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventAgentCompleted, f.ids["P"], "", `{"status":1,"reason":5}`)
		}, check: func(f *evFix) {
			eq(f.t, "bead", f.b(f.ids["B"], "status"), StatusFailed)
		}},
		{name: "container eviction reopens an in_progress bead", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventAgentCompleted, f.ids["P"], "", `{"status":"completed","reason":"container eviction"}`)
		}, check: func(f *evFix) {
			eq(f.t, "bead", f.b(f.ids["B"], "status"), StatusOpen)
			eq(f.t, "assignee", f.b(f.ids["B"], "assignee_agent_bead_id"), "<NULL>")
		}},
		{name: "no agent id is a no-op", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventAgentCompleted, "", "", `{"status":"failed"}`)
		}, unchanged: true},
		{name: "unknown agent is a no-op", setup: func(f *evFix) TownEvent {
			return evEvent(EventAgentCompleted, "33333333-3333-4333-8333-333333333333", "", `{"status":"failed"}`)
		}, unchanged: true},
	})
}

func TestApplyEvent_PRStatusChanged(t *testing.T) {
	runApplyCases(t, []applyCase{
		{name: "merged closes MR and source", setup: func(f *evFix) TownEvent {
			openMR(f)
			return evEvent(EventPRStatusChanged, "", f.ids["M"], `{"pr_url":"u","pr_state":"merged"}`)
		}, check: func(f *evFix) {
			eq(f.t, "MR", f.b(f.ids["M"], "status"), StatusClosed)
			eq(f.t, "source", f.b(f.ids["S"], "status"), StatusClosed)
			eq(f.t, "review_completed", f.q(`SELECT new_value FROM bead_events WHERE bead_id = ? AND event_type = 'review_completed'`, f.ids["S"]), "merged")
		}},
		{name: "closed fails MR and reopens source", setup: func(f *evFix) TownEvent {
			openMR(f)
			return evEvent(EventPRStatusChanged, "", f.ids["M"], `{"pr_state":"closed"}`)
		}, check: func(f *evFix) {
			eq(f.t, "MR", f.b(f.ids["M"], "status"), StatusFailed)
			eq(f.t, "source", f.b(f.ids["S"], "status"), StatusOpen)
		}},
		{name: "other state is a no-op", setup: func(f *evFix) TownEvent {
			openMR(f)
			return evEvent(EventPRStatusChanged, "", f.ids["M"], `{"pr_state":"open"}`)
		}, unchanged: true},
		{name: "no bead id is a no-op", setup: func(f *evFix) TownEvent {
			openMR(f)
			return evEvent(EventPRStatusChanged, "", "", `{"pr_state":"merged"}`)
		}, unchanged: true},
		{name: "missing MR is not found", setup: func(f *evFix) TownEvent {
			return evEvent(EventPRStatusChanged, "", "44444444-4444-4444-8444-444444444444", `{"pr_state":"merged"}`)
		}, unchanged: true, wantErr: "notfound"},
		{name: "deleted source: MR closed, then not found (§7.16)", setup: func(f *evFix) TownEvent {
			openMR(f)
			f.exec(`DELETE FROM bead_dependencies WHERE depends_on_bead_id = ?`, f.ids["S"])
			f.exec(`DELETE FROM bead_events WHERE bead_id = ?`, f.ids["S"])
			f.exec(`UPDATE beads SET assignee_agent_bead_id = NULL WHERE bead_id = ?`, f.ids["S"])
			f.exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL WHERE current_hook_bead_id = ?`, f.ids["S"])
			f.exec(`DELETE FROM beads WHERE bead_id = ?`, f.ids["S"])
			return evEvent(EventPRStatusChanged, "", f.ids["M"], `{"pr_state":"merged"}`)
		}, wantErr: "notfound", check: func(f *evFix) {
			eq(f.t, "MR closed before the throw", f.b(f.ids["M"], "status"), StatusClosed)
		}},
	})
}

func TestApplyEvent_NoStateChangeTypes(t *testing.T) {
	var cases []applyCase
	for _, typ := range []string{EventBeadCreated, EventContainerEviction, EventNudgeTimeout} {
		cases = append(cases, applyCase{name: typ, setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(typ, f.ids["P"], f.ids["B"], `{"bead_type":"issue","rig_id":"r1","has_blockers":false}`)
		}, unchanged: true})
	}
	runApplyCases(t, cases)
}

func TestApplyEvent_BeadCancelled(t *testing.T) {
	runApplyCases(t, []applyCase{
		{name: "unhooks every agent hooked to the bead, keeps the assignee", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			f.exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, f.ids["B"])
			return evEvent(EventBeadCancelled, "", f.ids["B"], `{"cancel_status":"closed"}`)
		}, check: func(f *evFix) {
			eq(f.t, "hook", f.a(f.ids["P"], "current_hook_bead_id"), "<NULL>")
			eq(f.t, "agent", f.a(f.ids["P"], "status"), AgentIdle)
			eq(f.t, "assignee kept", f.b(f.ids["B"], "assignee_agent_bead_id"), f.ids["P"])
			eq(f.t, "status", f.b(f.ids["B"], "status"), StatusClosed)
			eq(f.t, "unhooked event", f.n(`SELECT count(*) FROM bead_events WHERE bead_id = ? AND event_type = 'unhooked'`, f.ids["B"]), 1)
		}},
		{name: "cancel_status defaults to failed", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventBeadCancelled, "", f.ids["B"], `{"cancel_status":"done"}`)
		}, check: func(f *evFix) {
			eq(f.t, "status", f.b(f.ids["B"], "status"), StatusFailed)
			eq(f.t, "closed_at", f.b(f.ids["B"], "closed_at"), "<NULL>")
		}},
		{name: "terminal with the other value stays", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			f.exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, f.ids["B"])
			return evEvent(EventBeadCancelled, "", f.ids["B"], `{"cancel_status":"closed"}`)
		}, check: func(f *evFix) {
			eq(f.t, "status", f.b(f.ids["B"], "status"), StatusFailed)
			eq(f.t, "hook", f.a(f.ids["P"], "current_hook_bead_id"), "<NULL>")
		}},
		{name: "deleted bead is a no-op", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventBeadCancelled, "", "55555555-5555-4555-8555-555555555555", `{"cancel_status":"closed"}`)
		}, unchanged: true},
		{name: "no bead id is a no-op", setup: func(f *evFix) TownEvent {
			workingPolecat(f)
			return evEvent(EventBeadCancelled, "", "", `{"cancel_status":"closed"}`)
		}, unchanged: true},
	})
}

func TestApplyEvent_ConvoyStarted(t *testing.T) {
	staged := func(f *evFix) {
		c := f.bead(CreateBeadInput{Type: TypeConvoy, Title: "c"})
		f.exec(`INSERT INTO convoy_metadata (bead_id, total_beads, staged) VALUES (?, 2, 1)`, c)
		f.ids["C"] = c
	}
	runApplyCases(t, []applyCase{
		{name: "clears staged", setup: func(f *evFix) TownEvent {
			staged(f)
			return evEvent(EventConvoyStarted, "", "", fmt.Sprintf(`{"convoy_id":%q}`, f.ids["C"]))
		}, check: func(f *evFix) {
			eq(f.t, "staged", f.q(`SELECT staged FROM convoy_metadata WHERE bead_id = ?`, f.ids["C"]), "0")
		}},
		{name: "convoy_id not a string is a no-op", setup: func(f *evFix) TownEvent {
			staged(f)
			return evEvent(EventConvoyStarted, "", "", `{"convoy_id":12}`)
		}, unchanged: true},
		{name: "unknown convoy is a no-op", setup: func(f *evFix) TownEvent {
			staged(f)
			return evEvent(EventConvoyStarted, "", "", `{"convoy_id":"nope"}`)
		}, unchanged: true},
	})
}

func TestApplyEvent_ContainerStatus(t *testing.T) {
	// agent sets up a working polecat whose last activity was ago before
	// applyNow ("" = NULL, "junk" = unparsable).
	withActivity := func(status, ago string) func(f *evFix) {
		return func(f *evFix) {
			workingPolecat(f)
			f.exec(`UPDATE agent_metadata SET status = ? WHERE bead_id = ?`, status, f.ids["P"])
			var v any
			switch ago {
			case "":
			case "junk":
				v = "not a time"
			default:
				d, err := time.ParseDuration(ago)
				f.must(err)
				v = ISO(applyNow.Add(-d))
			}
			f.exec(`UPDATE agent_metadata SET last_activity_at = ? WHERE bead_id = ?`, v, f.ids["P"])
		}
	}
	idled := func(f *evFix) {
		eq(f.t, "agent", f.a(f.ids["P"], "status"), AgentIdle)
		eq(f.t, "hook kept", f.a(f.ids["P"], "current_hook_bead_id"), f.ids["B"])
		eq(f.t, "bead kept", f.b(f.ids["B"], "status"), StatusInProgress)
	}
	cs := func(agentSetup func(*evFix), payload string) func(f *evFix) TownEvent {
		return func(f *evFix) TownEvent {
			agentSetup(f)
			return evEvent(EventContainerStatus, f.ids["P"], "", payload)
		}
	}
	refinery := func(mrStatus string) func(f *evFix) TownEvent {
		return func(f *evFix) TownEvent {
			openMR(f)
			r := f.agent(RoleRefinery, "refinery", "r1")
			f.hook(r, f.ids["M"])
			f.exec(`UPDATE agent_metadata SET status = 'working', checkpoint = '{"x":1}', last_activity_at = ? WHERE bead_id = ?`,
				ISO(applyNow.Add(-time.Hour)), r)
			f.exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, mrStatus, f.ids["M"])
			f.ids["R"] = r
			return evEvent(EventContainerStatus, r, "", `{"status":"exited"}`)
		}
	}
	runApplyCases(t, []applyCase{
		{name: "not_found 179 s after activity: grace, no-op", setup: cs(withActivity("working", "179s"), `{"status":"not_found"}`), unchanged: true},
		{name: "not_found 179.999 s: still grace", setup: cs(withActivity("working", "179999ms"), `{"status":"not_found"}`), unchanged: true},
		{name: "not_found exactly 180 s: grace is strict, idles", setup: cs(withActivity("working", "180s"), `{"status":"not_found"}`), check: idled},
		{name: "not_found 181 s: idles, hook and bead kept", setup: cs(withActivity("working", "181s"), `{"status":"not_found"}`), check: idled},
		{name: "not_found with NULL activity idles", setup: cs(withActivity("working", ""), `{"status":"not_found"}`), check: idled},
		{name: "not_found with unparsable activity idles (NaN)", setup: cs(withActivity("working", "junk"), `{"status":"not_found"}`), check: idled},
		{name: "exited has no grace", setup: cs(withActivity("working", "5s"), `{"status":"exited","exit_reason":"oom"}`), check: idled},
		{name: "stalled agent idles and loses stalled_at", setup: cs(func(f *evFix) {
			withActivity("stalled", "1h")(f)
			f.exec(`UPDATE agent_metadata SET stalled_at = ? WHERE bead_id = ?`, ISO(evT0), f.ids["P"])
		}, `{"status":"exited"}`), check: func(f *evFix) {
			idled(f)
			eq(f.t, "stalled_at", f.a(f.ids["P"], "stalled_at"), "<NULL>")
		}},
		{name: "unknown status is a no-op", setup: cs(withActivity("working", "1h"), `{"status":"unknown"}`), unchanged: true},
		{name: "status of another JSON type is a no-op", setup: cs(withActivity("working", "1h"), `{"status":404}`), unchanged: true},
		{name: "idle agent is a no-op", setup: cs(withActivity("idle", "1h"), `{"status":"exited"}`), unchanged: true},
		{name: "unknown agent is a no-op", setup: func(f *evFix) TownEvent {
			return evEvent(EventContainerStatus, "66666666-6666-4666-8666-666666666666", "", `{"status":"exited"}`)
		}, unchanged: true},
		{name: "no agent id is a no-op", setup: func(f *evFix) TownEvent {
			withActivity("working", "1h")(f)
			return evEvent(EventContainerStatus, "", "", `{"status":"exited"}`)
		}, unchanged: true},
		{name: "refinery on a terminal MR: unhook, idle, checkpoint cleared", setup: refinery(StatusClosed), check: func(f *evFix) {
			eq(f.t, "status", f.a(f.ids["R"], "status"), AgentIdle)
			eq(f.t, "hook", f.a(f.ids["R"], "current_hook_bead_id"), "<NULL>")
			eq(f.t, "checkpoint", f.a(f.ids["R"], "checkpoint"), "<NULL>")
		}},
		{name: "refinery on a live MR: idle, hook kept", setup: refinery(StatusInProgress), check: func(f *evFix) {
			eq(f.t, "status", f.a(f.ids["R"], "status"), AgentIdle)
			eq(f.t, "hook", f.a(f.ids["R"], "current_hook_bead_id"), f.ids["M"])
			eq(f.t, "checkpoint", f.a(f.ids["R"], "checkpoint"), `{"x":1}`)
		}},
	})
}

func TestApplyEvent_PRFeedbackDetected(t *testing.T) {
	full := func(f *evFix) TownEvent {
		return evEvent(EventPRFeedbackDetected, "", f.ids["M"], fmt.Sprintf(`{"mr_bead_id":%q,"pr_url":"https://github.com/o/r1/pull/42",
			"pr_number":42,"repo":"o/r1","branch":"feat","has_unresolved_comments":true,"has_failing_checks":true,"has_unchecked_runs":true}`, f.ids["M"]))
	}
	blocker := func(f *evFix, label string) string {
		id := f.bead(CreateBeadInput{Title: label, RigID: "r1", Labels: []string{label}})
		f.must(f.town.InsertDependency(f.ids["M"], id, DepBlocks))
		return id
	}
	feedback := func(f *evFix) string {
		return f.q(`SELECT bead_id FROM beads WHERE labels LIKE '%gt:pr-feedback%' ORDER BY rowid DESC LIMIT 1`)
	}
	title := func(payload, want string) applyCase {
		return applyCase{name: "title " + want, setup: func(f *evFix) TownEvent {
			openMR(f)
			return evEvent(EventPRFeedbackDetected, "", "", fmt.Sprintf(`{"mr_bead_id":%q,%s}`, f.ids["M"], payload))
		}, check: func(f *evFix) { eq(f.t, "title", f.b(feedback(f), "title"), want) }}
	}
	runApplyCases(t, []applyCase{
		{name: "creates a feedback bead blocking the MR", setup: func(f *evFix) TownEvent {
			openMR(f)
			return full(f)
		}, check: func(f *evFix) {
			fb := feedback(f)
			eq(f.t, "title", f.b(fb, "title"), "Address review comments & failing CI on PR #42 (r1)")
			eq(f.t, "rig", f.b(fb, "rig_id"), "r1")
			eq(f.t, "parent", f.b(fb, "parent_bead_id"), f.ids["M"])
			eq(f.t, "labels", f.b(fb, "labels"), `["gt:pr-feedback"]`)
			eq(f.t, "priority", f.b(fb, "priority"), "medium")
			m := evJSON(f.t, f.b(fb, "metadata"))
			eq(f.t, "pr_feedback_for", m["pr_feedback_for"], any(f.ids["M"]))
			eq(f.t, "pr_url", m["pr_url"], any("https://github.com/o/r1/pull/42"))
			eq(f.t, "branch", m["branch"], any("feat"))
			eq(f.t, "edge", f.q(`SELECT dependency_type FROM bead_dependencies WHERE bead_id = ? AND depends_on_bead_id = ?`, f.ids["M"], fb), DepBlocks)
		}},
		{name: "open feedback bead already: no-op", setup: func(f *evFix) TownEvent {
			openMR(f)
			blocker(f, LabelPRFeedback)
			return full(f)
		}, unchanged: true},
		{name: "closed feedback bead does not count", setup: func(f *evFix) TownEvent {
			openMR(f)
			f.exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, blocker(f, LabelPRFeedback))
			return full(f)
		}, check: func(f *evFix) {
			eq(f.t, "feedback beads", f.n(`SELECT count(*) FROM beads WHERE labels LIKE '%gt:pr-feedback%'`), 2)
		}},
		{name: "open conflict bead gets has_feedback instead", setup: func(f *evFix) TownEvent {
			openMR(f)
			f.ids["X"] = blocker(f, LabelPRConflict)
			return full(f)
		}, check: func(f *evFix) {
			eq(f.t, "has_feedback", f.meta(f.ids["X"], "has_feedback"), "1")
			eq(f.t, "updated_at", f.b(f.ids["X"], "updated_at"), ISO(applyNow))
			eq(f.t, "feedback beads", f.n(`SELECT count(*) FROM beads WHERE labels LIKE '%gt:pr-feedback%'`), 0)
		}},
		{name: "terminal MR: no-op", setup: func(f *evFix) TownEvent {
			openMR(f)
			f.exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, f.ids["M"])
			return full(f)
		}, unchanged: true},
		{name: "missing MR: no-op", setup: func(f *evFix) TownEvent {
			return evEvent(EventPRFeedbackDetected, "", "", `{"mr_bead_id":"77777777-7777-4777-8777-777777777777"}`)
		}, unchanged: true},
		{name: "mr_bead_id not a string: no-op", setup: func(f *evFix) TownEvent {
			openMR(f)
			return evEvent(EventPRFeedbackDetected, "", f.ids["M"], `{"mr_bead_id":1}`)
		}, unchanged: true},
		title(`"pr_number":3`, "Address  on PR #3"),
		title(`"pr_number":3,"repo":"solo","has_unchecked_runs":true`, "Address unchecked CI runs on PR #3 (solo)"),
		title(`"pr_number":"9","repo":"a/b/c","has_unresolved_comments":1,"has_failing_checks":true,"has_unchecked_runs":true`,
			"Address failing CI on PR #0 (c)"),
	})
}

func TestApplyEvent_PRConflictDetected(t *testing.T) {
	no, yes := false, true
	cfgWith := func(v *bool) *TownConfig {
		c := NewTownConfig()
		c.Refinery.AutoResolveMergeConflicts = v
		return &c
	}
	ev := func(f *evFix) TownEvent {
		return evEvent(EventPRConflictDetected, "", f.ids["M"], fmt.Sprintf(
			`{"mr_bead_id":%q,"source_bead_id":%q,"pr_url":"https://github.com/o/r1/pull/7","branch":"feat"}`, f.ids["M"], f.ids["S"]))
	}
	setup := func(override *bool) func(f *evFix) TownEvent {
		return func(f *evFix) TownEvent {
			openMR(f)
			f.exec(`UPDATE review_metadata SET target_branch = 'dev' WHERE bead_id = ?`, f.ids["M"])
			if override != nil {
				f.must(f.town.SetRigOverrides("r1", RigConfig{AutoResolveMergeConflicts: override}))
			}
			return ev(f)
		}
	}
	conflictBead := func(f *evFix) {
		c := f.q(`SELECT bead_id FROM beads WHERE labels LIKE '%gt:pr-conflict%'`)
		eq(f.t, "title", f.b(c, "title"), "Resolve merge conflicts on PR: feat")
		eq(f.t, "parent", f.b(c, "parent_bead_id"), f.ids["M"])
		eq(f.t, "target_branch", f.meta(c, "target_branch"), "dev")
		eq(f.t, "source_bead_id", f.meta(c, "source_bead_id"), f.ids["S"])
		eq(f.t, "blocks edge", f.n(`SELECT count(*) FROM bead_dependencies WHERE bead_id = ? AND depends_on_bead_id = ? AND dependency_type = 'blocks'`, f.ids["M"], c), 1)
		eq(f.t, "no escalation", f.n(`SELECT count(*) FROM beads WHERE type = 'escalation'`), 0)
	}
	escalated := func(f *evFix) {
		e := f.q(`SELECT bead_id FROM beads WHERE type = 'escalation'`)
		eq(f.t, "title", f.b(e, "title"), "Merge conflict detected: feat")
		eq(f.t, "priority", f.b(e, "priority"), "high")
		eq(f.t, "labels", f.b(e, "labels"), `["gt:escalation","severity:high"]`)
		eq(f.t, "conflict", f.meta(e, "conflict"), "1")
		eq(f.t, "metadata row", f.q(`SELECT severity || '/' || category || '/' || acknowledged || '/' || re_escalation_count FROM escalation_metadata WHERE bead_id = ?`, e), "high/merge_conflict/0/0")
		tr := f.q(`SELECT bead_id FROM beads WHERE labels LIKE '%gt:triage-request%'`)
		eq(f.t, "triage title", f.b(tr, "title"), "Escalation (high): Merge conflict on feat")
		eq(f.t, "triage context", f.q(`SELECT json_extract(metadata, '$.context.escalation_bead_id') FROM beads WHERE bead_id = ?`, tr), e)
		eq(f.t, "triage rig", f.b(tr, "rig_id"), "r1")
		eq(f.t, "no conflict bead", f.n(`SELECT count(*) FROM beads WHERE labels LIKE '%gt:pr-conflict%'`), 0)
	}
	runApplyCases(t, []applyCase{
		{name: "default town config: conflict bead", setup: setup(nil), cfg: cfgWith(&yes), check: conflictBead},
		{name: "town refinery value absent: defaults to true", setup: setup(nil), cfg: cfgWith(nil), check: conflictBead},
		{name: "town disables: escalation + metadata + triage request", setup: setup(nil), cfg: cfgWith(&no), check: escalated},
		{name: "rig override true beats town false", setup: setup(&yes), cfg: cfgWith(&no), check: conflictBead},
		{name: "rig override false beats town true", setup: setup(&no), cfg: cfgWith(&yes), check: escalated},
		{name: "no town config: rig override false disables", setup: setup(&no), check: escalated},
		{name: "no town config, no override: enabled", setup: setup(nil), check: conflictBead},
		{name: "open feedback bead gets has_conflicts instead", setup: func(f *evFix) TownEvent {
			e := setup(nil)(f)
			fb := f.bead(CreateBeadInput{Title: "fb", RigID: "r1", Labels: []string{LabelPRFeedback}})
			f.must(f.town.InsertDependency(f.ids["M"], fb, DepBlocks))
			f.ids["F"] = fb
			return e
		}, check: func(f *evFix) {
			eq(f.t, "has_conflicts", f.meta(f.ids["F"], "has_conflicts"), "1")
			eq(f.t, "conflict_target_branch", f.meta(f.ids["F"], "conflict_target_branch"), "dev")
			eq(f.t, "conflict beads", f.n(`SELECT count(*) FROM beads WHERE labels LIKE '%gt:pr-conflict%'`), 0)
		}},
		{name: "open conflict bead already: no-op", setup: func(f *evFix) TownEvent {
			e := setup(nil)(f)
			c := f.bead(CreateBeadInput{Title: "c", RigID: "r1", Labels: []string{LabelPRConflict}})
			f.must(f.town.InsertDependency(f.ids["M"], c, DepBlocks))
			return e
		}, unchanged: true},
		{name: "terminal MR: no-op", setup: func(f *evFix) TownEvent {
			e := setup(nil)(f)
			f.exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, f.ids["M"])
			return e
		}, unchanged: true},
		{name: "mr_bead_id missing: no-op", setup: func(f *evFix) TownEvent {
			openMR(f)
			return evEvent(EventPRConflictDetected, "", f.ids["M"], `{"branch":"feat"}`)
		}, unchanged: true},
	})
}

func TestApplyEvent_PRAutoMerge(t *testing.T) {
	runApplyCases(t, []applyCase{
		{name: "marks auto_merge_pending", setup: func(f *evFix) TownEvent {
			openMR(f)
			return evEvent(EventPRAutoMerge, "", f.ids["M"], fmt.Sprintf(`{"mr_bead_id":%q,"pr_url":"u"}`, f.ids["M"]))
		}, check: func(f *evFix) {
			eq(f.t, "flag", f.meta(f.ids["M"], "auto_merge_pending"), "1")
			eq(f.t, "updated_at", f.b(f.ids["M"], "updated_at"), ISO(applyNow))
		}},
		{name: "terminal MR: no-op", setup: func(f *evFix) TownEvent {
			openMR(f)
			f.exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, f.ids["M"])
			return evEvent(EventPRAutoMerge, "", f.ids["M"], fmt.Sprintf(`{"mr_bead_id":%q}`, f.ids["M"]))
		}, unchanged: true},
		{name: "mr_bead_id of another type: no-op", setup: func(f *evFix) TownEvent {
			openMR(f)
			return evEvent(EventPRAutoMerge, "", f.ids["M"], `{"mr_bead_id":["x"]}`)
		}, unchanged: true},
	})
}

// Every event type with an empty payload and unknown ids never panics.
func TestApplyEvent_BadInputNeverPanics(t *testing.T) {
	f := evNew(t)
	for _, typ := range append(append([]string{}, EventTypes...), "bogus") {
		for _, payload := range []string{`{}`, `{"status":null,"mr_bead_id":"x","convoy_id":"y","pr_state":"merged","cancel_status":1}`} {
			ev := evEvent(typ, "nope", "nope", payload)
			_ = f.town.ApplyEvent(evT0, ev, nil)
			ev.Payload = nil
			_ = f.town.ApplyEvent(evT0, ev, nil)
		}
	}
}
