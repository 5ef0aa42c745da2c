package model

import (
	"testing"
	"time"
)

func TestQueueNudge(t *testing.T) {
	town := newTestTown(t)
	id, err := town.QueueNudge(at(90*time.Second+500*time.Millisecond), NudgeInput{AgentID: "a", Message: "hi"})
	must(t, err)
	row := func(c string) string { return str(t, town, `SELECT `+c+` FROM agent_nudges WHERE nudge_id = ?`, id) }
	eq(t, "mode", row("mode"), "wait-idle")
	eq(t, "priority", row("priority"), "normal")
	eq(t, "source", row("source"), "system")
	eq(t, "created_at (SQLite format)", row("created_at"), "2026-01-01 00:01:30")
	eq(t, "expires", row("expires_at"), "<NULL>")
	eq(t, "delivered", row("delivered_at"), "<NULL>")

	id2, err := town.QueueNudge(t0, NudgeInput{AgentID: "a", Message: "m", Mode: "queue", Priority: "urgent", Source: "x",
		ExpiresAt: at(time.Minute + 250*time.Millisecond)})
	must(t, err)
	eq(t, "expires format", str(t, town, `SELECT expires_at FROM agent_nudges WHERE nudge_id = ?`, id2), "2026-01-01 00:01:00.250")
	eq(t, "mode", str(t, town, `SELECT mode FROM agent_nudges WHERE nudge_id = ?`, id2), "queue")
}

func TestInsertReconcilerNudge(t *testing.T) {
	town := newTestTown(t)
	must(t, town.InsertReconcilerNudge(at(time.Second), "a", "wake up", "warn"))
	row := func(c string) string { return str(t, town, `SELECT `+c+` FROM agent_nudges`) }
	eq(t, "mode", row("mode"), "immediate")
	eq(t, "priority", row("priority"), "urgent")
	eq(t, "source", row("source"), "reconciler:warn")
	eq(t, "created_at (ISO)", row("created_at"), iso(time.Second))
	eq(t, "expires", row("expires_at"), "<NULL>")
	// Both formats compare through datetime() (model.md §2.7).
	eq(t, "datetime()", row("datetime(created_at)"), "2026-01-01 00:00:01")
}

func TestMarkNudgeDelivered(t *testing.T) {
	town := newTestTown(t)
	id, err := town.QueueNudge(t0, NudgeInput{AgentID: "a", Message: "m"})
	must(t, err)
	other, err := town.QueueNudge(t0, NudgeInput{AgentID: "a", Message: "m"})
	must(t, err)
	must(t, town.MarkNudgeDelivered(at(time.Minute), id))
	eq(t, "delivered", str(t, town, `SELECT delivered_at FROM agent_nudges WHERE nudge_id = ?`, id), "2026-01-01 00:01:00")
	eq(t, "other", str(t, town, `SELECT delivered_at FROM agent_nudges WHERE nudge_id = ?`, other), "<NULL>")
}

func TestExpireStaleNudges(t *testing.T) {
	town := newTestTown(t)
	past, err := town.QueueNudge(t0, NudgeInput{AgentID: "a", Message: "m", Mode: "queue", ExpiresAt: at(time.Minute)})
	must(t, err)
	future, err := town.QueueNudge(t0, NudgeInput{AgentID: "a", Message: "m", Mode: "queue", ExpiresAt: at(time.Hour)})
	must(t, err)
	never, err := town.QueueNudge(t0, NudgeInput{AgentID: "a", Message: "m"})
	must(t, err)
	delivered, err := town.QueueNudge(t0, NudgeInput{AgentID: "a", Message: "m", Mode: "queue", ExpiresAt: at(time.Minute)})
	must(t, err)
	must(t, town.MarkNudgeDelivered(at(time.Second), delivered))

	must(t, town.ExpireStaleNudges(at(2*time.Minute)))
	d := func(id string) string {
		return str(t, town, `SELECT delivered_at FROM agent_nudges WHERE nudge_id = ?`, id)
	}
	eq(t, "past expired", d(past), "2026-01-01 00:02:00")
	eq(t, "future kept", d(future), "<NULL>")
	eq(t, "no expiry kept", d(never), "<NULL>")
	eq(t, "delivered untouched", d(delivered), "2026-01-01 00:00:01")
}

// expires_at carries milliseconds while now has none, so a nudge expiring
// in the current second is not yet expired when compared as text.
func TestInconsistency17_NudgeExpiryComparesAsText(t *testing.T) {
	town := newTestTown(t)
	id, err := town.QueueNudge(t0, NudgeInput{AgentID: "a", Message: "m", Mode: "queue", ExpiresAt: at(time.Minute)})
	must(t, err)
	must(t, town.ExpireStaleNudges(at(time.Minute+999*time.Millisecond)))
	eq(t, "not expired within the second", str(t, town, `SELECT delivered_at FROM agent_nudges WHERE nudge_id = ?`, id), "<NULL>")
}
