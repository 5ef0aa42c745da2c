package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestInsertEvent(t *testing.T) {
	f := evNew(t)
	id, err := f.town.InsertEvent(evT0, EventAgentDone, "agent-1", "", map[string]any{"branch": "b"})
	f.must(err)
	eq(t, "type", f.q(`SELECT event_type FROM town_events WHERE event_id = ?`, id), EventAgentDone)
	eq(t, "agent_id", f.q(`SELECT agent_id FROM town_events WHERE event_id = ?`, id), "agent-1")
	eq(t, "bead_id", f.q(`SELECT bead_id FROM town_events WHERE event_id = ?`, id), "<NULL>")
	eq(t, "payload", f.q(`SELECT payload FROM town_events WHERE event_id = ?`, id), `{"branch":"b"}`)
	eq(t, "created_at", f.q(`SELECT created_at FROM town_events WHERE event_id = ?`, id), ISO(evT0))
	eq(t, "processed_at", f.q(`SELECT processed_at FROM town_events WHERE event_id = ?`, id), "<NULL>")

	id2, err := f.town.InsertEvent(evT0, EventContainerEviction, "", "", nil)
	f.must(err)
	eq(t, "nil payload", f.q(`SELECT payload FROM town_events WHERE event_id = ?`, id2), `{}`)
	n, err := f.town.PendingEventCount()
	f.must(err)
	eq(t, "pending", n, 2)
}

func TestUpsertContainerStatus(t *testing.T) {
	f := evNew(t)
	const agent = "11111111-1111-4111-8111-111111111111"
	f.must(f.town.UpsertContainerStatus(evAt(0), agent, "not_found", ""))
	other, err := f.town.InsertEvent(evAt(time.Second), EventBeadCreated, "", "x", nil)
	f.must(err)

	// Same status: only created_at moves (to the end of the drain order);
	// the payload, including a later exit_reason, is unchanged.
	f.must(f.town.UpsertContainerStatus(evAt(2*time.Second), agent, "not_found", "gone"))
	eq(t, "rows", f.n(`SELECT count(*) FROM town_events WHERE event_type = 'container_status'`), 1)
	eq(t, "bumped created_at", f.q(`SELECT created_at FROM town_events WHERE event_type = 'container_status'`), ISO(evAt(2*time.Second)))
	eqSlice(t, "drain order", f.pendingPayloads(), []string{
		"bead_created {}", `container_status {"status":"not_found"}`})
	_ = other

	// Another status: a new row, exit_reason only when non-empty.
	f.must(f.town.UpsertContainerStatus(evAt(3*time.Second), agent, "exited", "oom"))
	f.must(f.town.UpsertContainerStatus(evAt(4*time.Second), agent, "unknown", ""))
	eqSlice(t, "after changes", f.pendingPayloads(), []string{
		"bead_created {}", `container_status {"status":"not_found"}`,
		`container_status {"exit_reason":"oom","status":"exited"}`, `container_status {"status":"unknown"}`})

	// The comparison is with the newest pending event only: back to
	// not_found inserts a new row.
	f.must(f.town.UpsertContainerStatus(evAt(5*time.Second), agent, "not_found", ""))
	eq(t, "rows", f.n(`SELECT count(*) FROM town_events WHERE event_type = 'container_status'`), 4)

	// Processed events are not reused.
	res, err := f.town.DrainEvents(evAt(6*time.Second), nil)
	f.must(err)
	eq(t, "drained", res.Drained, 5)
	f.must(f.town.UpsertContainerStatus(evAt(7*time.Second), agent, "not_found", ""))
	eq(t, "pending after drain", f.n(`SELECT count(*) FROM town_events WHERE processed_at IS NULL`), 1)

	// A pending event of another agent is not touched.
	f.must(f.town.UpsertContainerStatus(evAt(8*time.Second), "other-agent", "not_found", ""))
	eq(t, "pending", f.n(`SELECT count(*) FROM town_events WHERE processed_at IS NULL`), 2)
}

func TestInconsistency05_PendingEventsOrderByCreatedAtThenInsertion(t *testing.T) {
	f := evNew(t)
	for _, b := range []string{"a", "b", "c"} {
		_, err := f.town.InsertEvent(evAt(time.Minute), EventBeadCreated, "", b, nil)
		f.must(err)
	}
	_, err := f.town.InsertEvent(evAt(0), EventBeadCreated, "", "early", nil)
	f.must(err)
	evs, err := f.town.PendingEvents()
	f.must(err)
	var got []string
	for _, e := range evs {
		got = append(got, e.BeadID.String)
	}
	eqSlice(t, "order", got, []string{"early", "a", "b", "c"})
}

func TestPendingEvents_StrictParse(t *testing.T) {
	cases := []struct {
		name, typ, payload string
		ok                 bool
	}{
		{"valid", EventBeadCreated, `{"x":1}`, true},
		{"empty object", EventNudgeTimeout, `{}`, true},
		{"unknown event type", "bogus_event", `{}`, false},
		{"invalid JSON", EventAgentDone, `{"branch":`, false},
		{"empty text", EventAgentDone, ``, false},
		{"JSON array", EventAgentDone, `[1,2]`, false},
		{"JSON null", EventAgentDone, `null`, false},
		{"JSON scalar", EventAgentDone, `"x"`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := evNew(t)
			_, err := f.town.InsertEvent(evT0, EventBeadCreated, "", "fine", nil)
			f.must(err)
			f.exec(`INSERT INTO town_events (event_id, event_type, payload, created_at) VALUES ('raw', ?, ?, ?)`,
				c.typ, c.payload, ISO(evAt(time.Second)))
			evs, err := f.town.PendingEvents()
			if c.ok {
				f.must(err)
				eq(t, "events", len(evs), 2)
				return
			}
			if err == nil || evs != nil {
				t.Fatalf("PendingEvents = %v, %v; want the whole read to fail", evs, err)
			}
		})
	}
}

func TestMarkProcessedAndPrune(t *testing.T) {
	f := evNew(t)
	old, _ := f.town.InsertEvent(evAt(-8*24*time.Hour), EventBeadCreated, "", "old", nil)
	oldPending, _ := f.town.InsertEvent(evAt(-8*24*time.Hour), EventBeadCreated, "", "oldpending", nil)
	recent, _ := f.town.InsertEvent(evAt(-6*24*time.Hour), EventBeadCreated, "", "recent", nil)
	f.must(f.town.MarkProcessed(evT0, old))
	f.must(f.town.MarkProcessed(evT0, recent))
	eq(t, "processed_at", f.q(`SELECT processed_at FROM town_events WHERE event_id = ?`, old), ISO(evT0))
	n, err := f.town.PendingEventCount()
	f.must(err)
	eq(t, "pending", n, 1)

	f.must(f.town.PruneOldEvents(evT0, EventRetention))
	eqSlice(t, "left", f.list(`SELECT event_id FROM town_events ORDER BY rowid`), []string{oldPending, recent})
}

func TestDrainEvents_AppliesInOrderAndMarksProcessed(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	c := f.bead(CreateBeadInput{Type: TypeConvoy, Title: "c"})
	f.exec(`INSERT INTO convoy_metadata (bead_id, total_beads, staged) VALUES (?, 1, 1)`, c)
	_, err := f.town.InsertEvent(evT0, EventConvoyStarted, "", "", map[string]any{"convoy_id": c})
	f.must(err)
	_, err = f.town.InsertEvent(evT0, EventBeadCreated, "", c, nil)
	f.must(err)
	res, err := f.town.DrainEvents(evAt(time.Second), nil)
	f.must(err)
	eq(t, "result", res, DrainResult{Drained: 2, Applied: 2})
	eq(t, "staged", f.q(`SELECT staged FROM convoy_metadata WHERE bead_id = ?`, c), "0")
	eq(t, "processed", f.n(`SELECT count(*) FROM town_events WHERE processed_at = ?`, ISO(evAt(time.Second))), 2)

	// The next drain sees nothing.
	res, err = f.town.DrainEvents(evAt(2*time.Second), nil)
	f.must(err)
	eq(t, "second drain", res, DrainResult{})
}

// One unparsable row blocks the whole queue (hazard 15): nothing is
// applied, every event stays pending, on every drain.
func TestHazard15_BadRowBlocksWholeDrain(t *testing.T) {
	for _, bad := range []struct{ name, typ, payload string }{
		{"unknown event type", "auto_merge_cleared", `{}`},
		{"malformed payload", EventPRAutoMerge, `{"mr_bead_id":`},
	} {
		t.Run(bad.name, func(t *testing.T) {
			f := evNew(t)
			c := f.bead(CreateBeadInput{Type: TypeConvoy, Title: "c"})
			f.exec(`INSERT INTO convoy_metadata (bead_id, total_beads, staged) VALUES (?, 1, 1)`, c)
			_, err := f.town.InsertEvent(evT0, EventConvoyStarted, "", "", map[string]any{"convoy_id": c})
			f.must(err)
			_, err = f.town.DebugInsertTownEvent(evAt(time.Second), bad.typ, "", "", bad.payload)
			f.must(err)
			before := f.dump()
			for tick := 0; tick < 2; tick++ {
				res, err := f.town.DrainEvents(evAt(time.Duration(tick+2)*time.Second), nil)
				if err == nil {
					t.Fatalf("drain %d succeeded: %+v", tick, res)
				}
				eq(t, "result", res, DrainResult{})
			}
			eq(t, "state unchanged", f.dump(), before)
			eq(t, "staged", f.q(`SELECT staged FROM convoy_metadata WHERE bead_id = ?`, c), "1")
		})
	}
}

// A "Bead/Agent <uuid> not found" failure is marked processed (skipped);
// any other failure leaves the event pending with its partial writes kept,
// and re-applies them on the retry (model.md §7.16).
func TestInconsistency16_NotFoundSkippedOtherErrorsStayPending(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	cfg := NewTownConfig()
	no := false
	cfg.Refinery.AutoResolveMergeConflicts = &no

	// An MR whose conflict escalation will fail half-way: the triage
	// request insert is made to throw by a trigger.
	p := f.agent(RolePolecat, "Toast", "r1")
	src := f.bead(CreateBeadInput{Title: "src", RigID: "r1"})
	mr := f.mr(p, src, "r1", "feat", "")
	f.must(f.town.DB().ExecRaw(`CREATE TEMP TRIGGER ev_fail_triage BEFORE INSERT ON beads
		WHEN NEW.labels LIKE '%gt:triage-request%' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`))

	const ghost = "22222222-2222-4222-8222-222222222222"
	_, err := f.town.InsertEvent(evAt(0), EventAgentDone, ghost, "", map[string]any{"branch": "x"})
	f.must(err)
	conflict, err := f.town.InsertEvent(evAt(time.Second), EventPRConflictDetected, "", mr,
		map[string]any{"mr_bead_id": mr, "branch": "feat", "pr_url": "https://github.com/o/r1/pull/1"})
	f.must(err)
	_, err = f.town.InsertEvent(evAt(2*time.Second), EventPRAutoMerge, "", mr, map[string]any{"mr_bead_id": mr})
	f.must(err)

	res, err := f.town.DrainEvents(evAt(3*time.Second), &cfg)
	f.must(err)
	eq(t, "first drain", res, DrainResult{Drained: 3, Applied: 1, Skipped: 1, Failed: 1})
	eq(t, "ghost processed", f.n(`SELECT count(*) FROM town_events WHERE agent_id = ? AND processed_at IS NOT NULL`, ghost), 1)
	eq(t, "conflict pending", f.q(`SELECT processed_at FROM town_events WHERE event_id = ?`, conflict), "<NULL>")
	eq(t, "later event still applied", f.meta(mr, "auto_merge_pending"), "1")
	eq(t, "partial escalation kept", f.n(`SELECT count(*) FROM beads WHERE type = 'escalation'`), 1)
	eq(t, "partial escalation_metadata kept", f.n(`SELECT count(*) FROM escalation_metadata`), 1)

	res, err = f.town.DrainEvents(evAt(4*time.Second), &cfg)
	f.must(err)
	eq(t, "retry", res, DrainResult{Drained: 1, Failed: 1})
	eq(t, "partial writes re-applied", f.n(`SELECT count(*) FROM beads WHERE type = 'escalation'`), 2)

	f.must(f.town.DB().ExecRaw(`DROP TRIGGER ev_fail_triage`))
	res, err = f.town.DrainEvents(evAt(5*time.Second), &cfg)
	f.must(err)
	eq(t, "after fix", res, DrainResult{Drained: 1, Applied: 1})
	eq(t, "triage request", f.n(`SELECT count(*) FROM beads WHERE labels LIKE '%gt:triage-request%'`), 1)
	eq(t, "escalations", f.n(`SELECT count(*) FROM beads WHERE type = 'escalation'`), 3)
}

// The missing-entity test needs production's 36-character id shape.
func TestDrainEvents_NotFoundNeedsUUIDShape(t *testing.T) {
	f := evNew(t)
	_, err := f.town.InsertEvent(evT0, EventAgentDone, "short-id", "", map[string]any{"branch": "x"})
	f.must(err)
	res, err := f.town.DrainEvents(evAt(time.Second), nil)
	f.must(err)
	eq(t, "result", res, DrainResult{Drained: 1, Failed: 1})
	if !strings.Contains(f.q(`SELECT event_type FROM town_events WHERE processed_at IS NULL`), EventAgentDone) {
		t.Error("event with a non-UUID missing agent should stay pending")
	}
}

// TestDrainEvents_MissingEntityPattern pins the drain's error-text test
// (model.md §5.3): production's pattern has a word boundary before the
// kind and after "found"; only such messages skip the event for good.
func TestDrainEvents_MissingEntityPattern(t *testing.T) {
	const id = "0b7f3c2e-4d5a-4e6f-9a8b-7c6d5e4f3a2b"
	cases := []struct {
		msg  string
		want bool
	}{
		{"Bead " + id + " not found", true},
		{"Agent " + id + " not found", true},
		{"Bead " + id + " not found after update", true},
		{"failed: Bead " + id + " not found", true},
		{"SubBead " + id + " not found", false},
		{"Bead " + id + " not founded", false},
		{"Bead " + id + "0 not found", false},
		{"Bead short-id not found", false},
		{"Convoy " + id + " not found", false},
	}
	for _, c := range cases {
		t.Run(c.msg, func(t *testing.T) {
			eq(t, "missing entity", isMissingEntity(errors.New(c.msg)), c.want)
		})
	}
	eq(t, "nil", isMissingEntity(nil), false)
}
