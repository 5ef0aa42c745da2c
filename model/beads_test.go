package model

import (
	"database/sql"
	"errors"
	"testing"
	"time"
)

func TestCreateBead(t *testing.T) {
	town := newTestTown(t)
	agent := mkAgent(t, town, RolePolecat, "Toast", "rig-1")
	b, err := town.CreateBead(at(time.Second), CreateBeadInput{
		Type: TypeIssue, Title: "Fix <x> & y", Labels: []string{"a"}, Metadata: map[string]any{"k": 1},
		Assignee: agent, RigID: "rig-1", CreatedBy: "user",
	})
	must(t, err)
	eq(t, "status", b.Status, StatusOpen)
	eq(t, "priority", beadCol(t, town, b.ID, "priority"), "medium")
	eq(t, "body", beadCol(t, town, b.ID, "body"), "<NULL>")
	eq(t, "parent", beadCol(t, town, b.ID, "parent_bead_id"), "<NULL>")
	eq(t, "labels", beadCol(t, town, b.ID, "labels"), `["a"]`)
	eq(t, "metadata", beadCol(t, town, b.ID, "metadata"), `{"k":1}`)
	eq(t, "created_at", beadCol(t, town, b.ID, "created_at"), iso(time.Second))
	eq(t, "updated_at", beadCol(t, town, b.ID, "updated_at"), iso(time.Second))
	eq(t, "closed_at", beadCol(t, town, b.ID, "closed_at"), "<NULL>")
	eq(t, "dispatch_attempts", beadCol(t, town, b.ID, "dispatch_attempts"), "0")
	eqSlice(t, "events", events(t, town, b.ID), []string{"created"})
	eq(t, "event agent", lastEvent(t, town, b.ID, "created", "agent_id"), agent)
	eq(t, "event new", lastEvent(t, town, b.ID, "created", "new_value"), "open")
	eq(t, "event meta", lastEvent(t, town, b.ID, "created", "metadata"), `{"type":"issue","title":"Fix <x> & y"}`)
	eq(t, "no town events", num(t, town, `SELECT COUNT(*) FROM town_events`), 0)

	// Defaults: no labels/metadata/assignee.
	id := mkBead(t, town, CreateBeadInput{Title: "plain"})
	eq(t, "labels default", beadCol(t, town, id, "labels"), `[]`)
	eq(t, "metadata default", beadCol(t, town, id, "metadata"), `{}`)
	eq(t, "rig NULL", beadCol(t, town, id, "rig_id"), "<NULL>")
	eq(t, "event agent NULL", lastEvent(t, town, id, "created", "agent_id"), "<NULL>")
}

func TestUpdateBeadStatus(t *testing.T) {
	reason := &FailureReason{Code: "c", Message: "m", Source: "s"}
	cases := []struct {
		name       string
		from, to   string
		reason     *FailureReason
		wantStatus string
		wantEvent  bool
		wantClosed bool
		wantMeta   string
	}{
		{"open to in_progress", StatusOpen, StatusInProgress, nil, StatusInProgress, true, false, `{}`},
		{"open to closed stamps closed_at", StatusOpen, StatusClosed, nil, StatusClosed, true, true, `{}`},
		{"failed with reason", StatusInProgress, StatusFailed, reason, StatusFailed, true, false,
			`{"failure_reason":{"code":"c","message":"m","source":"s"}}`},
		{"failed with details", StatusOpen, StatusFailed, &FailureReason{Code: "c", Message: "m", Details: "<trace>", Source: "s"}, StatusFailed, true, false,
			`{"failure_reason":{"code":"c","message":"m","details":"<trace>","source":"s"}}`},
		{"reason ignored unless failed", StatusOpen, StatusClosed, reason, StatusClosed, true, true, `{}`},
		{"same status is a no-op", StatusInProgress, StatusInProgress, nil, StatusInProgress, false, false, ""},
		{"closed is terminal", StatusClosed, StatusOpen, nil, StatusClosed, false, false, ""},
		{"failed is terminal", StatusFailed, StatusClosed, nil, StatusFailed, false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			town := newTestTown(t)
			id := mkBead(t, town, CreateBeadInput{})
			setStatus(t, town, id, c.from)
			before := dump(t, town)
			b, err := town.UpdateBeadStatus(at(time.Minute), id, c.to, "actor", c.reason)
			must(t, err)
			eq(t, "returned status", b.Status, c.wantStatus)
			eq(t, "status", beadCol(t, town, id, "status"), c.wantStatus)
			if !c.wantEvent {
				eq(t, "unchanged", dump(t, town), before)
				return
			}
			eq(t, "updated_at", beadCol(t, town, id, "updated_at"), iso(time.Minute))
			wantClosed := "<NULL>"
			if c.wantClosed {
				wantClosed = iso(time.Minute)
			}
			eq(t, "closed_at", beadCol(t, town, id, "closed_at"), wantClosed)
			eq(t, "event old", lastEvent(t, town, id, "status_changed", "old_value"), c.from)
			eq(t, "event new", lastEvent(t, town, id, "status_changed", "new_value"), c.to)
			eq(t, "event agent", lastEvent(t, town, id, "status_changed", "agent_id"), "actor")
			eq(t, "event meta", lastEvent(t, town, id, "status_changed", "metadata"), c.wantMeta)
		})
	}
	t.Run("missing bead", func(t *testing.T) {
		town := newTestTown(t)
		_, err := town.UpdateBeadStatus(t0, "00000000-0000-4000-8000-000000000000", StatusClosed, "", nil)
		var nf *NotFoundError
		if !errors.As(err, &nf) || err.Error() != "Bead 00000000-0000-4000-8000-000000000000 not found" {
			t.Fatalf("err = %v, want Bead … not found", err)
		}
	})
	t.Run("empty actor is NULL", func(t *testing.T) {
		town := newTestTown(t)
		id := mkBead(t, town, CreateBeadInput{})
		_, err := town.CloseBead(t0, id, "")
		must(t, err)
		eq(t, "agent", lastEvent(t, town, id, "status_changed", "agent_id"), "<NULL>")
	})
}

// A failed bead keeps closed_at NULL (model.md §7.2).
func TestInconsistency02_FailedKeepsClosedAtNull(t *testing.T) {
	town := newTestTown(t)
	id := mkBead(t, town, CreateBeadInput{})
	_, err := town.UpdateBeadStatus(t0, id, StatusFailed, "", nil)
	must(t, err)
	eq(t, "closed_at", beadCol(t, town, id, "closed_at"), "<NULL>")
}

func TestUpdateBeadFields(t *testing.T) {
	town := newTestTown(t)
	id := mkBead(t, town, CreateBeadInput{Title: "old", Labels: []string{"x"}})
	title, status := "new", StatusInProgress
	labels := []string{"y", "z"}
	b, err := town.UpdateBeadFields(at(time.Minute), id, BeadFields{
		Status: &status, Title: &title, Labels: &labels, Metadata: map[string]any{"a": "b"},
	}, "actor")
	must(t, err)
	eq(t, "status", b.Status, StatusInProgress)
	eq(t, "title", beadCol(t, town, id, "title"), "new")
	eq(t, "labels", beadCol(t, town, id, "labels"), `["y","z"]`)
	eq(t, "metadata", beadCol(t, town, id, "metadata"), `{"a":"b"}`)
	eq(t, "updated_at", beadCol(t, town, id, "updated_at"), iso(time.Minute))
	eqSlice(t, "events", events(t, town, id), []string{"created", "status_changed", "fields_updated"})
	eq(t, "fields new_value", lastEvent(t, town, id, "fields_updated", "new_value"), "title,labels,metadata")
	eq(t, "fields meta", lastEvent(t, town, id, "fields_updated", "metadata"),
		`{"changed":["title","labels","metadata"],"actor":"actor"}`)

	t.Run("status only writes no fields_updated", func(t *testing.T) {
		town := newTestTown(t)
		id := mkBead(t, town, CreateBeadInput{})
		s := StatusClosed
		_, err := town.UpdateBeadFields(at(time.Minute), id, BeadFields{Status: &s}, "a")
		must(t, err)
		eqSlice(t, "events", events(t, town, id), []string{"created", "status_changed"})
	})
	t.Run("terminal bead: status blocked, fields written", func(t *testing.T) {
		town := newTestTown(t)
		id := mkBead(t, town, CreateBeadInput{})
		setStatus(t, town, id, StatusClosed)
		s, ti := StatusOpen, "edited"
		_, err := town.UpdateBeadFields(at(time.Minute), id, BeadFields{Status: &s, Title: &ti}, "a")
		must(t, err)
		eq(t, "status", beadCol(t, town, id, "status"), StatusClosed)
		eq(t, "title", beadCol(t, town, id, "title"), "edited")
		eqSlice(t, "events", events(t, town, id), []string{"created", "fields_updated"})
	})
	t.Run("nothing given writes nothing", func(t *testing.T) {
		town := newTestTown(t)
		id := mkBead(t, town, CreateBeadInput{})
		before := dump(t, town)
		_, err := town.UpdateBeadFields(at(time.Minute), id, BeadFields{}, "a")
		must(t, err)
		eq(t, "unchanged", dump(t, town), before)
	})
	t.Run("missing bead", func(t *testing.T) {
		town := newTestTown(t)
		_, err := town.UpdateBeadFields(t0, "nope", BeadFields{}, "a")
		if err == nil || err.Error() != "Bead nope not found" {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestDeleteBead(t *testing.T) {
	town := newTestTown(t)
	parent := mkBead(t, town, CreateBeadInput{RigID: "r1"})
	child := mkBead(t, town, CreateBeadInput{ParentID: parent})
	grandchild := mkBead(t, town, CreateBeadInput{ParentID: child})
	other := mkBead(t, town, CreateBeadInput{Assignee: parent})
	agent := mkAgent(t, town, RolePolecat, "Toast", "r1")
	must(t, town.HookBead(t0, agent, child))
	setAgent(t, town, agent, "status = 'working', checkpoint = '{}', stalled_at = ?", iso(0))
	must(t, town.InsertDependency(other, parent, DepBlocks))
	must(t, town.InsertDependency(child, other, DepBlocks))
	_, err := town.DB().Exec(`INSERT INTO town_events (event_id, event_type, agent_id, bead_id, payload, created_at, processed_at)
		VALUES ('e1', 'bead_created', NULL, ?, '{}', ?, NULL), ('e2', 'agent_done', ?, NULL, '{}', ?, ?), ('e3', 'bead_created', NULL, ?, '{}', ?, NULL)`,
		grandchild, iso(0), parent, iso(0), iso(0), other, iso(0))
	must(t, err)
	nudge, err := town.QueueNudge(t0, NudgeInput{AgentID: parent, Message: "m"})
	must(t, err)

	t.Run("rig mismatch does nothing", func(t *testing.T) {
		before := dump(t, town)
		ok, err := town.DeleteBead(t0, parent, "r2")
		must(t, err)
		eq(t, "ok", ok, false)
		ok, err = town.DeleteBead(t0, "missing", "r1")
		must(t, err)
		eq(t, "ok missing", ok, false)
		ok, err = town.DeleteBead(t0, child, "r1") // child has no rig
		must(t, err)
		eq(t, "ok NULL rig", ok, false)
		eq(t, "unchanged", dump(t, town), before)
	})

	ok, err := town.DeleteBead(at(time.Minute), parent, "r1")
	must(t, err)
	eq(t, "ok", ok, true)
	for _, id := range []string{parent, child, grandchild} {
		eq(t, "bead gone", num(t, town, `SELECT COUNT(*) FROM beads WHERE bead_id = ?`, id), 0)
		eq(t, "events gone", num(t, town, `SELECT COUNT(*) FROM bead_events WHERE bead_id = ?`, id), 0)
	}
	eq(t, "edges gone", num(t, town, `SELECT COUNT(*) FROM bead_dependencies`), 0)
	eq(t, "agent hook", agentCol(t, town, agent, "current_hook_bead_id"), "<NULL>")
	eq(t, "agent status", agentCol(t, town, agent, "status"), AgentIdle)
	eq(t, "agent checkpoint kept", agentCol(t, town, agent, "checkpoint"), "{}")
	eq(t, "agent stalled_at kept", agentCol(t, town, agent, "stalled_at"), iso(0))
	eqSlice(t, "town events left", mustStrings(t, town, `SELECT event_id FROM town_events ORDER BY rowid`), []string{"e3"})
	eq(t, "assignee of other kept", beadCol(t, town, other, "assignee_agent_bead_id"), parent)
	eq(t, "nudge kept", num(t, town, `SELECT COUNT(*) FROM agent_nudges WHERE nudge_id = ?`, nudge), 1)

	ok, err = town.DeleteBead(t0, "never-existed", "")
	must(t, err)
	eq(t, "missing without rig returns true", ok, true)
}

func TestDeleteBeads(t *testing.T) {
	town := newTestTown(t)
	a := mkBead(t, town, CreateBeadInput{RigID: "r1"})
	a1 := mkBead(t, town, CreateBeadInput{ParentID: a})
	a2 := mkBead(t, town, CreateBeadInput{ParentID: a1})
	b := mkBead(t, town, CreateBeadInput{RigID: "r2"})
	c := mkBead(t, town, CreateBeadInput{RigID: "r1"})
	agent := mkAgent(t, town, RolePolecat, "Toast", "r1")
	must(t, town.HookBead(t0, agent, a2))

	n, err := town.DeleteBeads(t0, []string{a, b}, "r1")
	must(t, err)
	eq(t, "count (a + 2 descendants)", n, 3)
	eq(t, "b kept (other rig)", num(t, town, `SELECT COUNT(*) FROM beads WHERE bead_id = ?`, b), 1)
	eq(t, "c kept", num(t, town, `SELECT COUNT(*) FROM beads WHERE bead_id = ?`, c), 1)
	eq(t, "a2 gone", num(t, town, `SELECT COUNT(*) FROM beads WHERE bead_id = ?`, a2), 0)
	eq(t, "agent unhooked", agentCol(t, town, agent, "current_hook_bead_id"), "<NULL>")

	n, err = town.DeleteBeads(t0, []string{b}, "r1")
	must(t, err)
	eq(t, "nothing owned", n, 0)
	n, err = town.DeleteBeads(t0, nil, "")
	must(t, err)
	eq(t, "empty", n, 0)
	n, err = town.DeleteBeads(t0, []string{b, "ghost", b}, "")
	must(t, err)
	eq(t, "no rig counts ids (deduplicated)", n, 2)
}

func TestLogBeadEvent(t *testing.T) {
	town := newTestTown(t)
	must(t, town.LogBeadEvent(at(time.Second), BeadEvent{BeadID: "x", Type: "escalated", NewValue: Null("v")}))
	eq(t, "agent", lastEvent(t, town, "x", "escalated", "agent_id"), "<NULL>")
	eq(t, "old", lastEvent(t, town, "x", "escalated", "old_value"), "<NULL>")
	eq(t, "new", lastEvent(t, town, "x", "escalated", "new_value"), "v")
	eq(t, "meta", lastEvent(t, town, "x", "escalated", "metadata"), "{}")
	eq(t, "created_at", lastEvent(t, town, "x", "escalated", "created_at"), iso(time.Second))
	must(t, town.LogBeadEvent(t0, BeadEvent{BeadID: "x", AgentID: "a", Type: "mail_sent", OldValue: sql.NullString{}, Metadata: map[string]any{"b": 1, "a": 2}}))
	eq(t, "meta map", lastEvent(t, town, "x", "mail_sent", "metadata"), `{"a":2,"b":1}`)
}
