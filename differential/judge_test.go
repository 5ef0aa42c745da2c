package differential

import (
	"reflect"
	"testing"
)

// SchemaDrift names every table and column the host adapts, both ways.
func TestSchemaDrift(t *testing.T) {
	port := map[string][]string{"beads": {"bead_id", "status", "dispatch_attempts"}, "rigs": {"id", "config"}}
	for _, tc := range []struct {
		name     string
		checkout map[string][]string
		want     Drift
	}{
		{"same", map[string][]string{"beads": {"bead_id", "status", "dispatch_attempts"}, "rigs": {"id", "config"}}, Drift{}},
		{"older", map[string][]string{"beads": {"bead_id", "status"}, "rigs": {"id", "config"}},
			Drift{MissingColumns: []string{"beads.dispatch_attempts"}}},
		{"newer", map[string][]string{"beads": {"bead_id", "status", "dispatch_attempts", "priority"}, "rigs": {"id", "config"}, "wasteland": {"id"}},
			Drift{ExtraTables: []string{"wasteland"}, ExtraColumns: []string{"beads.priority"}}},
		{"no rigs", map[string][]string{"beads": {"bead_id", "status", "dispatch_attempts"}},
			Drift{MissingTables: []string{"rigs"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := SchemaDrift(tc.checkout, port)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("drift %+v, want %+v", got, tc.want)
			}
			if got.None() != (tc.name == "same") || (got.String() == "none") != got.None() {
				t.Errorf("None %v, String %q", got.None(), got.String())
			}
		})
	}
}

// The port's schema is read from an empty Town: its tables, no rowid.
func TestPortSchema(t *testing.T) {
	s, err := PortSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"beads", "agent_metadata", "rigs", "town_events"} {
		if len(s[table]) == 0 {
			t.Errorf("no columns for %s in %v", table, s)
		}
		for _, c := range s[table] {
			if c == "rowid" {
				t.Errorf("%s lists rowid", table)
			}
		}
	}
}
