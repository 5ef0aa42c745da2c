package model

import (
	"database/sql"
	"testing"
	"time"
)

// UpdateBeadFields moves a bead to another rig, or out of every rig
// (rig_id NULL, production's updateBead with rig_id null), and leaves the
// rig alone when RigID is not given.
func TestUpdateBeadFieldsRig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rig   *sql.NullString
		want  string
		valid bool
	}{
		{"not given", nil, "r1", true},
		{"another rig", &sql.NullString{String: "r2", Valid: true}, "r2", true},
		{"no rig", &sql.NullString{}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			town := newTestTown(t)
			id := mkBead(t, town, CreateBeadInput{RigID: "r1"})
			title := "x"
			b, err := town.UpdateBeadFields(at(time.Minute), id, BeadFields{Title: &title, RigID: tc.rig}, "user")
			must(t, err)
			if b.RigID.String != tc.want || b.RigID.Valid != tc.valid {
				t.Errorf("rig %+v; want %q (valid %v)", b.RigID, tc.want, tc.valid)
			}
			var n int
			must(t, town.DB().QueryRow(`SELECT count(*) FROM beads WHERE bead_id = ? AND rig_id IS NULL`, []any{id}, &n))
			if (n == 1) == tc.valid {
				t.Errorf("rig_id IS NULL is %v; want %v", n == 1, !tc.valid)
			}
		})
	}
}
