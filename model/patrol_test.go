package model

import (
	"testing"
	"time"
)

func TestCreateTriageRequest(t *testing.T) {
	town := newTestTown(t)
	a := mkAgent(t, town, RolePolecat, "Toast", "r")
	in := TriageRequestInput{TriageType: "stuck_agent", AgentBeadID: a, HookedBeadID: "h", Title: "Triage: stuck",
		Context: map[string]any{"reason": "x"}, Options: []string{"RESTART", "CLOSE"}, RigID: "r"}
	must(t, town.CreateTriageRequest(at(time.Second), in))
	id := str(t, town, `SELECT bead_id FROM beads WHERE type = 'issue'`)
	eq(t, "title", beadCol(t, town, id, "title"), "Triage: stuck")
	eq(t, "body", beadCol(t, town, id, "body"), `{"reason":"x"}`)
	eq(t, "labels", beadCol(t, town, id, "labels"), `["gt:triage-request"]`)
	eq(t, "assignee", beadCol(t, town, id, "assignee_agent_bead_id"), a)
	eq(t, "rig", beadCol(t, town, id, "rig_id"), "r")
	eq(t, "priority", beadCol(t, town, id, "priority"), "medium")
	eq(t, "metadata", beadCol(t, town, id, "metadata"),
		`{"triage_type":"stuck_agent","agent_bead_id":"`+a+`","hooked_bead_id":"h","context":{"reason":"x"},"options":["RESTART","CLOSE"]}`)
	eqSlice(t, "created event", events(t, town, id), []string{"created"})
	n, err := town.PendingTriageCount()
	must(t, err)
	eq(t, "pending", n, 1)

	t.Run("dedup: same agent and type", func(t *testing.T) {
		must(t, town.CreateTriageRequest(at(time.Minute), in))
		eq(t, "still one", num(t, town, `SELECT COUNT(*) FROM beads WHERE type = 'issue'`), 1)
	})
	t.Run("other type for the same agent is created", func(t *testing.T) {
		in2 := in
		in2.TriageType = "crash_loop"
		must(t, town.CreateTriageRequest(at(time.Minute), in2))
		eq(t, "two", num(t, town, `SELECT COUNT(*) FROM beads WHERE type = 'issue'`), 2)
	})
	t.Run("no agent: null ids, no dedup", func(t *testing.T) {
		town := newTestTown(t)
		in := TriageRequestInput{TriageType: "help_request", Title: "t"}
		must(t, town.CreateTriageRequest(t0, in))
		must(t, town.CreateTriageRequest(t0, in))
		eq(t, "two", num(t, town, `SELECT COUNT(*) FROM beads`), 2)
		eq(t, "metadata", str(t, town, `SELECT metadata FROM beads LIMIT 1`),
			`{"triage_type":"help_request","agent_bead_id":null,"hooked_bead_id":null,"context":{},"options":[]}`)
		eq(t, "body", str(t, town, `SELECT body FROM beads LIMIT 1`), `{}`)
		eq(t, "assignee", str(t, town, `SELECT assignee_agent_bead_id FROM beads LIMIT 1`), "<NULL>")
		eq(t, "rig", str(t, town, `SELECT rig_id FROM beads LIMIT 1`), "<NULL>")
	})
}

func TestCreateTriageRequestCap(t *testing.T) {
	town := newTestTown(t)
	for i := 0; i < MaxOpenTriageRequests; i++ {
		must(t, town.CreateTriageRequest(t0, TriageRequestInput{TriageType: "zombie_confirm", Title: "t"}))
	}
	must(t, town.CreateTriageRequest(t0, TriageRequestInput{TriageType: "stuck_agent", Title: "capped"}))
	eq(t, "capped", num(t, town, `SELECT COUNT(*) FROM beads WHERE title = 'capped'`), 0)
	must(t, town.CreateTriageRequest(t0, TriageRequestInput{TriageType: "escalation", Title: "esc"}))
	must(t, town.CreateTriageRequest(t0, TriageRequestInput{TriageType: "escalation", Title: "esc"}))
	eq(t, "escalations exempt", num(t, town, `SELECT COUNT(*) FROM beads WHERE title = 'esc'`), 2)

	// Closing one frees a slot; escalations are not counted.
	id := str(t, town, `SELECT bead_id FROM beads WHERE title = 't' LIMIT 1`)
	setStatus(t, town, id, StatusClosed)
	must(t, town.CreateTriageRequest(t0, TriageRequestInput{TriageType: "stuck_agent", Title: "fits"}))
	eq(t, "fits", num(t, town, `SELECT COUNT(*) FROM beads WHERE title = 'fits'`), 1)
	n, err := town.PendingTriageCount()
	must(t, err)
	eq(t, "pending counts everything open", n, 7)
}

// The cap counts with metadata.triage_type != 'escalation', which is NULL
// for requests without a triage_type: they are never counted.
func TestInconsistency_TriageCapIgnoresMissingType(t *testing.T) {
	town := newTestTown(t)
	for i := 0; i < 6; i++ {
		mkBead(t, town, CreateBeadInput{Title: "untyped", Labels: []string{LabelTriageRequest}})
	}
	must(t, town.CreateTriageRequest(t0, TriageRequestInput{TriageType: "stuck_agent", Title: "created"}))
	eq(t, "created despite 6 open", num(t, town, `SELECT COUNT(*) FROM beads WHERE title = 'created'`), 1)
	n, err := town.PendingTriageCount()
	must(t, err)
	eq(t, "pending", n, 7)
}

// Label tests on raw JSON text: the triage-request pattern is quoted, so
// a label that merely contains the text does not match (model.md §7.3).
func TestInconsistency03_TriageLabelLikeIsQuoted(t *testing.T) {
	town := newTestTown(t)
	mkBead(t, town, CreateBeadInput{Labels: []string{"x-gt:triage-request"}})
	mkBead(t, town, CreateBeadInput{Labels: []string{"gt:triage-request-old"}})
	n, err := town.PendingTriageCount()
	must(t, err)
	eq(t, "no match", n, 0)
	mkBead(t, town, CreateBeadInput{Labels: []string{"a", "gt:triage-request"}})
	n, err = town.PendingTriageCount()
	must(t, err)
	eq(t, "exact label", n, 1)
}
