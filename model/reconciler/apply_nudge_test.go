package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// nudgeRows lists the agent's nudges as "source mode priority created_at
// delivered_at" in rowid order.
func (f *applyFix) nudgeRows(agent string) []string {
	f.t.Helper()
	rows, err := f.town.DB().Query(`SELECT source, mode, priority, created_at, COALESCE(delivered_at, '<NULL>'), message
		FROM agent_nudges WHERE agent_bead_id = ? ORDER BY rowid`, agent)
	f.must(err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var src, mode, prio, created, delivered, msg string
		f.must(rows.Scan(&src, &mode, &prio, &created, &delivered, &msg))
		out = append(out, src+" "+mode+" "+prio+" "+created+" "+delivered+" "+msg)
	}
	return out
}

// TestHazard04_DuplicateNudgeRows: one send_nudge leaves two rows — the
// synchronous reconciler:<tier> row (ISO created_at) that stays pending
// for the agent's own pickup, and the effect's reconciler row (SQLite
// datetime format) pushed at once and marked delivered.
func TestHazard04_DuplicateNudgeRows(t *testing.T) {
	f := newApplyFix(t)
	agent := f.hooked(f.issue("work"))
	f.advance(time.Minute)
	syncAt := f.env.Clock
	e := f.apply(Action{Type: SendNudge, AgentID: agent, Message: "status?", Tier: "warn"})
	if e == nil {
		t.Fatal("no effect")
	}
	rows := f.nudgeRows(agent)
	wantRow := "reconciler:warn immediate urgent " + model.ISO(syncAt) + " <NULL> status?"
	if len(rows) != 1 || rows[0] != wantRow {
		t.Fatalf("rows after sync = %q, want [%q]", rows, wantRow)
	}
	if len(f.env.Calls) != 0 {
		t.Fatalf("sync part called %s", f.callKinds())
	}

	f.advance(2 * time.Second)
	f.answer(model.CallSendMessage, model.Result{OK: true})
	if err := e.Run(f.env); err != nil {
		t.Fatalf("effect rejected: %v", err)
	}
	sent := f.calls(model.CallSendMessage)
	if len(sent) != 1 || sent[0].AgentID != agent || sent[0].Message != "status?" {
		t.Fatalf("send calls = %+v", sent)
	}
	runAt := model.SQLiteTime(f.env.Clock)
	want := []string{wantRow, "reconciler immediate urgent " + runAt + " " + runAt + " status?"}
	if rows := f.nudgeRows(agent); len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
		t.Fatalf("rows = %q, want %q", rows, want)
	}
}

// TestApplySendNudgeDeliveryFails: a refused or failed push leaves the
// effect's row pending too; the effect still fulfils.
func TestApplySendNudgeDeliveryFails(t *testing.T) {
	for _, r := range []model.Result{{OK: false, StatusCode: 503}, {Err: "connection refused"}} {
		f := newApplyFix(t)
		agent := f.agent(model.RolePolecat, applyRig)
		f.answer(model.CallSendMessage, r)
		if err := f.applyRun(Action{Type: SendNudge, AgentID: agent, Message: "m", Tier: "escalate"}); err != nil {
			t.Fatalf("effect rejected: %v", err)
		}
		wantNum(t, "pending rows", f.num(`SELECT count(*) FROM agent_nudges WHERE delivered_at IS NULL`), 2)
		wantNum(t, "tier rows", f.num(`SELECT count(*) FROM agent_nudges WHERE source = 'reconciler:escalate'`), 1)
	}
}

// TestApplySendNudgeSyncError: the synchronous insert propagates.
func TestApplySendNudgeSyncError(t *testing.T) {
	f := newApplyFix(t)
	f.exec(`DROP TABLE agent_nudges`)
	e, err := Apply(f.town, f.env, Action{Type: SendNudge, AgentID: "a", Message: "m", Tier: "warn"})
	if err == nil || e != nil {
		t.Fatalf("Apply = %v, %v; want an error and no effect", e, err)
	}
}
