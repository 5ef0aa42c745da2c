package model

import (
	"database/sql"
	"testing"
	"time"
)

// testTownID is the town id of test towns.
const testTownID = "5f0c1e2a-9b7d-4c3e-8a1f-0123456789ab"

// t0 is the fixed base time of the tests.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// newTestTown opens an in-memory town with a fixed id and closes it when
// the test ends.
func newTestTown(t *testing.T) *Town {
	t.Helper()
	town, err := Open(Options{TownID: testTownID})
	if err != nil {
		t.Fatalf("open town: %v", err)
	}
	t.Cleanup(func() { town.Close() })
	return town
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// col reads one nullable text column: q must return one row.
func col(t *testing.T, town *Town, q string, args ...any) sql.NullString {
	t.Helper()
	var v sql.NullString
	if err := town.DB().QueryRow(q, args, &v); err != nil {
		t.Fatalf("query %q %v: %v", q, args, err)
	}
	return v
}

// str reads one column as text; NULL reads as "<NULL>".
func str(t *testing.T, town *Town, q string, args ...any) string {
	t.Helper()
	v := col(t, town, q, args...)
	if !v.Valid {
		return "<NULL>"
	}
	return v.String
}

// num reads one integer (a count).
func num(t *testing.T, town *Town, q string, args ...any) int {
	t.Helper()
	n, err := town.DB().Int(q, args...)
	if err != nil {
		t.Fatalf("query %q %v: %v", q, args, err)
	}
	return n
}

// beadCol reads column c of a bead.
func beadCol(t *testing.T, town *Town, id, c string) string {
	t.Helper()
	return str(t, town, `SELECT `+c+` FROM beads WHERE bead_id = ?`, id)
}

// agentCol reads column c of agent_metadata.
func agentCol(t *testing.T, town *Town, id, c string) string {
	t.Helper()
	return str(t, town, `SELECT `+c+` FROM agent_metadata WHERE bead_id = ?`, id)
}

// convoyCol reads column c of convoy_metadata.
func convoyCol(t *testing.T, town *Town, id, c string) string {
	t.Helper()
	return str(t, town, `SELECT `+c+` FROM convoy_metadata WHERE bead_id = ?`, id)
}

// events lists "type" of a bead's bead_events in insertion order.
func events(t *testing.T, town *Town, beadID string) []string {
	t.Helper()
	out, err := town.DB().Strings(`SELECT event_type FROM bead_events WHERE bead_id = ? ORDER BY rowid`, beadID)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lastEvent reads column c of the bead's newest bead event of type typ.
func lastEvent(t *testing.T, town *Town, beadID, typ, c string) string {
	t.Helper()
	return str(t, town, `SELECT `+c+` FROM bead_events WHERE bead_id = ? AND event_type = ? ORDER BY rowid DESC LIMIT 1`, beadID, typ)
}

// dump returns the whole database as text (to assert "nothing changed").
func dump(t *testing.T, town *Town) string {
	t.Helper()
	d, err := town.Dump()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// mkBead creates a bead with createBead at t0.
func mkBead(t *testing.T, town *Town, in CreateBeadInput) string {
	t.Helper()
	if in.Type == "" {
		in.Type = TypeIssue
	}
	if in.Title == "" {
		in.Title = "task"
	}
	b, err := town.CreateBead(t0, in)
	must(t, err)
	return b.ID
}

// mkAgent registers an agent at t0.
func mkAgent(t *testing.T, town *Town, role, name, rig string) string {
	t.Helper()
	a, err := town.RegisterAgent(t0, role, name, name+"-"+role+"-"+rig, rig)
	must(t, err)
	return a.ID
}

// setStatus writes a bead status directly (test setup).
func setStatus(t *testing.T, town *Town, id, status string) {
	t.Helper()
	_, err := town.DB().Exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, status, id)
	must(t, err)
}

// setAgent writes agent_metadata columns directly (test setup).
func setAgent(t *testing.T, town *Town, id, set string, args ...any) {
	t.Helper()
	_, err := town.DB().Exec(`UPDATE agent_metadata SET `+set+` WHERE bead_id = ?`, append(args, id)...)
	must(t, err)
}

// mkConvoy inserts a convoy bead and its convoy_metadata row directly.
func mkConvoy(t *testing.T, town *Town, total int, featureBranch, mode any) string {
	t.Helper()
	id := mkBead(t, town, CreateBeadInput{Type: TypeConvoy, Title: "convoy", Labels: []string{LabelConvoy}})
	_, err := town.DB().Exec(`INSERT INTO convoy_metadata (bead_id, total_beads, closed_beads, feature_branch, merge_mode, staged)
		VALUES (?, ?, 0, ?, ?, 0)`, id, total, featureBranch, mode)
	must(t, err)
	return id
}

// track inserts the edge a →tracks→ b.
func track(t *testing.T, town *Town, a, b string) {
	t.Helper()
	_, err := town.DB().Exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'tracks')`, a, b)
	must(t, err)
}

// iso is ISO(at(d)).
func iso(d time.Duration) string { return ISO(at(d)) }

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func eqSlice(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %q, want %q", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %q, want %q", what, got, want)
			return
		}
	}
}
