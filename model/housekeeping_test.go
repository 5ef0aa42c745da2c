package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDeliverPendingMail(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	w := f.agent(RolePolecat, "Toast", "r1")
	w2 := f.agent(RolePolecat, "Maple", "r1")
	idle := f.agent(RolePolecat, "Birch", "r1")
	f.exec(`UPDATE agent_metadata SET status = 'working' WHERE bead_id IN (?, ?)`, w, w2)
	m1, err := f.town.SendMail(evT0, "mayor", w, "hello", "body one")
	f.must(err)
	m2, err := f.town.SendMail(evAt(time.Second), "patrol", w, "GUPP_CHECK", "are you there?")
	f.must(err)
	m3, err := f.town.SendMail(evT0, "mayor", w2, "plain", "b")
	f.must(err)
	m4, err := f.town.SendMail(evT0, "mayor", idle, "later", "b")
	f.must(err)

	// w accepts, w2 refuses.
	f.env.Respond = func(c Call) Result { return Result{StatusCode: 200, OK: c.AgentID == w} }
	f.env.Clock = evAt(time.Minute)
	f.must(f.town.DeliverPendingMail(f.env))

	eq(t, "calls", len(f.env.Calls), 2)
	eq(t, "prompt", f.env.Calls[0].Message, "You have 2 new mail message(s):\n\n"+
		"[MAIL from mayor] hello\nbody one\n\n---\n\n[MAIL from patrol] GUPP_CHECK\nare you there?")
	eq(t, "delivered", f.b(m1, "status")+f.b(m2, "status"), StatusClosed+StatusClosed)
	eq(t, "closed_at", f.b(m1, "closed_at"), ISO(evAt(time.Minute)))
	eq(t, "refused stays open", f.b(m3, "status"), StatusOpen)
	eq(t, "idle agent's mail not sent", f.b(m4, "status"), StatusOpen)
	eqSlice(t, "analytics", f.emitted(), []string{"nudge.delivered"})
	eq(t, "nudge agent", f.analytics[0].AgentID, w)

	// Next tick retries only what is left for working agents.
	f.env.Calls = nil
	f.env.Respond = evRespond(200, "", "", true)
	f.must(f.town.DeliverPendingMail(f.env))
	eq(t, "retry", len(f.env.Calls), 1)
	eq(t, "now delivered", f.b(m3, "status"), StatusClosed)
	eqSlice(t, "no nudge for plain mail", f.emitted(), []string{"nudge.delivered"})
}

// rigs lists the rigs as the tick's T2 does.
func (f *evFix) rigs() []*Rig {
	f.t.Helper()
	rs, err := f.town.ListRigs()
	f.must(err)
	return rs
}

// escalation inserts an escalation bead with metadata, created ago before evT0.
func (f *evFix) escalation(severity string, count int, ago time.Duration, acknowledged int) string {
	f.t.Helper()
	b, err := f.town.CreateBead(evT0.Add(-ago), CreateBeadInput{Type: TypeEscalation, Title: "esc title",
		Body: "esc body", RigID: "r1"})
	f.must(err)
	f.exec(`INSERT INTO escalation_metadata (bead_id, severity, category, acknowledged, re_escalation_count) VALUES (?, ?, 'c', ?, ?)`,
		b.ID, severity, acknowledged, count)
	return b.ID
}

func TestReEscalateStaleEscalations(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	mayor, err := f.town.RegisterAgent(evT0, RoleMayor, "mayor", "mayor-x", "")
	f.must(err)
	f.env.Respond = evRespond(200, "", "running", true)

	fresh := f.escalation("low", 0, 3*time.Hour, 0)
	stale := f.escalation("low", 0, 4*time.Hour, 0)
	second := f.escalation("medium", 1, 7*time.Hour, 0)  // needs 8 h
	second8 := f.escalation("medium", 1, 8*time.Hour, 0) // due
	critical := f.escalation("critical", 0, 10*time.Hour, 0)
	acked := f.escalation("low", 0, 10*time.Hour, 1)
	maxed := f.escalation("low", 3, 100*time.Hour, 0)
	closed := f.escalation("low", 0, 10*time.Hour, 0)
	f.exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, closed)

	f.must(f.town.ReEscalateStaleEscalations(f.env))
	sev := func(id string) string {
		return f.q(`SELECT severity || '/' || re_escalation_count FROM escalation_metadata WHERE bead_id = ?`, id)
	}
	eq(t, "fresh", sev(fresh), "low/0")
	eq(t, "stale bumped", sev(stale), "medium/1")
	eq(t, "second not yet", sev(second), "medium/1")
	eq(t, "second due", sev(second8), "high/2")
	eq(t, "critical stays", sev(critical), "critical/0")
	eq(t, "acknowledged skipped", sev(acked), "low/0")
	eq(t, "max re-escalations", sev(maxed), "low/3")
	eq(t, "terminal skipped", sev(closed), "low/0")
	var msgs []string
	for _, c := range f.env.Calls {
		if c.Kind == CallSendMessage {
			eq(t, "to the mayor", c.AgentID, mayor.ID)
			msgs = append(msgs, c.Message)
		}
	}
	eqSlice(t, "mayor messages", msgs, []string{"[Re-Escalation:medium] rig=r1 esc body", "[Re-Escalation:high] rig=r1 esc body"})
	eq(t, "mayor message path arms the alarm", f.alarm(), armed)
}

func TestReEscalateStaleEscalations_NotificationFailed(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	esc := f.escalation("high", 0, 5*time.Hour, 0)
	// No mayor is running and the town config cannot be read: the mayor
	// message throws, which writes notification_failed.
	f.town.KV().ConfigErr = errors.New("config broken")
	f.must(f.town.ReEscalateStaleEscalations(f.env))
	eq(t, "bumped anyway", f.q(`SELECT severity FROM escalation_metadata WHERE bead_id = ?`, esc), "critical")
	m := evJSON(t, f.q(`SELECT metadata FROM bead_events WHERE bead_id = ? AND event_type = 'notification_failed'`, esc))
	eq(t, "reason", m["reason"], any("config broken"))
	eq(t, "severity", m["severity"], any("critical"))
	eq(t, "target", m["target"], any("mayor"))
}

func TestReEscalateStaleEscalations_InvalidSeverityFailsTask(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	ok := f.escalation("low", 0, 5*time.Hour, 0)
	f.escalation("extreme", 0, 5*time.Hour, 0)
	if err := f.town.ReEscalateStaleEscalations(f.env); err == nil || !strings.Contains(err.Error(), "extreme") {
		t.Fatalf("err = %v", err)
	}
	eq(t, "nothing bumped", f.q(`SELECT severity FROM escalation_metadata WHERE bead_id = ?`, ok), "low")
}

func TestMaybeDispatchTriageAgent(t *testing.T) {
	setup := func(t *testing.T) *evFix {
		f := evNew(t)
		f.rig("r1", true)
		f.must(f.town.CreateTriageRequest(evT0, TriageRequestInput{TriageType: "stuck_agent", Title: "Triage: x"}))
		return f
	}
	batch := func(f *evFix) string {
		return f.q(`SELECT bead_id FROM beads WHERE labels LIKE '%"gt:triage"%' ORDER BY rowid DESC LIMIT 1`)
	}

	t.Run("no pending requests", func(t *testing.T) {
		f := setup(t)
		before := f.dump()
		f.must(f.town.MaybeDispatchTriageAgent(f.env, 0, f.rigs()))
		eq(t, "unchanged", f.dump(), before)
	})
	t.Run("no rig config", func(t *testing.T) {
		f := evNew(t)
		f.rig("r0", false)
		f.rig("r1", true)
		before := f.dump()
		f.must(f.town.MaybeDispatchTriageAgent(f.env, 1, f.rigs()))
		eq(t, "first rig unconfigured: unchanged", f.dump(), before)
		f.must(f.town.MaybeDispatchTriageAgent(f.env, 1, []*Rig{}))
		eq(t, "no rigs: unchanged", f.dump(), before)
	})
	t.Run("started", func(t *testing.T) {
		f := setup(t)
		f.must(f.town.MaybeDispatchTriageAgent(f.env, 1, f.rigs()))
		b := batch(f)
		eq(t, "title", f.b(b, "title"), "Triage batch: 1 request(s)")
		eq(t, "fields", f.b(b, "priority")+"/"+f.b(b, "created_by")+"/"+f.b(b, "rig_id"), "high/patrol/r1")
		eq(t, "in_progress", f.b(b, "status"), StatusInProgress)
		a := f.b(b, "assignee_agent_bead_id")
		eq(t, "agent working", f.a(a, "status"), AgentWorking)
		eq(t, "hooked", f.a(a, "current_hook_bead_id"), b)
		eq(t, "call", f.env.Calls[0], Call{Kind: CallStartAgent, AgentID: a, BeadID: b, RigID: "r1", Role: RolePolecat, Lightweight: true,
			Branch: "gt/toast/" + b[:8] /* name "Toast", slugged */, GitURL: "https://github.com/o/r1", DefaultBranch: "main"})
		// An open/in_progress batch blocks another.
		f.must(f.town.MaybeDispatchTriageAgent(f.env, 1, f.rigs()))
		eq(t, "one batch", f.n(`SELECT count(*) FROM beads WHERE labels LIKE '%"gt:triage"%'`), 1)
	})
	t.Run("start failed: unhook, fail, 30 s cooldown", func(t *testing.T) {
		f := setup(t)
		f.env.Respond = evRespond(500, "no capacity", "", true)
		f.must(f.town.MaybeDispatchTriageAgent(f.env, 1, f.rigs()))
		b := batch(f)
		eq(t, "failed", f.b(b, "status"), StatusFailed)
		eq(t, "reason", f.q(`SELECT json_extract(metadata, '$.failure_reason.code') FROM bead_events WHERE bead_id = ? AND new_value = 'failed'`, b), "container_start_failed")
		a := f.q(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat'`)
		eq(t, "unhooked", f.a(a, "current_hook_bead_id"), "<NULL>")

		f.env.Clock = evAt(30 * time.Second)
		f.env.Respond = evRespond(200, "", "", true)
		f.must(f.town.MaybeDispatchTriageAgent(f.env, 1, f.rigs()))
		eq(t, "cooldown over at exactly 30 s (updated_at > now−30 s is strict)", f.n(`SELECT count(*) FROM beads WHERE labels LIKE '%"gt:triage"%'`), 2)
	})
	t.Run("cooldown blocks inside 30 s", func(t *testing.T) {
		f := setup(t)
		f.env.Respond = evRespond(500, "no capacity", "", true)
		f.must(f.town.MaybeDispatchTriageAgent(f.env, 1, f.rigs()))
		f.env.Clock = evAt(29 * time.Second)
		f.must(f.town.MaybeDispatchTriageAgent(f.env, 1, f.rigs()))
		eq(t, "blocked", f.n(`SELECT count(*) FROM beads WHERE labels LIKE '%"gt:triage"%'`), 1)
	})
}
