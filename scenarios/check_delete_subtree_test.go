package scenarios

import (
	"testing"

	"github.com/townsim/townsim/sim"
)

// delete-removes-owned-subtree fires when a delete removes a bead it
// should not (another rig's, a parent of the named one), misses a
// descendant, or answers a count other than what it removed; a delete
// that removes the rig's named beads with their descendants, or nothing
// through another rig's route, keeps it quiet.
func TestDeleteSubtreeFires(t *testing.T) {
	tree := []sim.BeadNode{{ID: "a", Rig: "r1"}, {ID: "b", Parent: "a", Rig: "r1"}, {ID: "c", Parent: "b", Rig: "r1"},
		{ID: "d", Rig: "r2"}, {ID: "e", Rig: "r1"}}
	left := func(ids ...string) map[string]bool {
		m := map[string]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		req   sim.DeleteRequest
		fires bool
	}{
		{"single with its descendants", sim.DeleteRequest{Bead: "a", Rig: "r1", Reported: 1, Left: left("d", "e")}, false},
		{"single missing a grandchild", sim.DeleteRequest{Bead: "a", Rig: "r1", Reported: 1, Left: left("c", "d", "e")}, true},
		{"single taking its parent", sim.DeleteRequest{Bead: "b", Rig: "r1", Reported: 1, Left: left("d", "e")}, true},
		{"wrong rig removes nothing", sim.DeleteRequest{Bead: "a", Rig: "r2", Left: left("a", "b", "c", "d", "e")}, false},
		{"wrong rig removes the bead", sim.DeleteRequest{Bead: "e", Rig: "r2", Left: left("a", "b", "c", "d")}, true},
		{"bulk counts descendants", sim.DeleteRequest{Bead: "b", Stale: []string{"x", "d"}, Bulk: true, Rig: "r1", Reported: 2,
			Left: left("a", "d", "e")}, false},
		{"bulk counts one per named id", sim.DeleteRequest{Bead: "b", Stale: []string{"x", "d"}, Bulk: true, Rig: "r1", Reported: 1,
			Left: left("a", "d", "e")}, true},
		{"bulk of no owned id answers 1", sim.DeleteRequest{Bead: "d", Stale: []string{"x"}, Bulk: true, Rig: "r1", Reported: 1,
			Left: left("a", "b", "c", "d", "e")}, true},
		{"single answers 0 for a removed bead", sim.DeleteRequest{Bead: "e", Rig: "r1", Left: left("a", "b", "c", "d")}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fired := firedOn(t, PropDeleteSubtree, func(c *checker) {
				r := tc.req
				r.Tree = tree
				(&deleteSubtreeProp{}).judge(c, r)
			})
			if fired != tc.fires {
				t.Fatalf("fired %v, want %v", fired, tc.fires)
			}
		})
	}
}
