package scenarios

import (
	"strings"
	"testing"
)

// Users move issues and open merge requests out of their rig; landing
// MRs are still created, each on a rig; no merge request moved out of its
// rig while open is popped for review afterwards (RQ-5 reads only rigs of
// open MRs that have one).
func checkRiglessBeads(t *testing.T, r *run) {
	moved := map[string]bool{}
	var order []traceLine
	for _, l := range r.grep("rpc", "op=update_bead", "rig=null") {
		moved[traceField(l.text, "bead")] = true
		order = append(order, l)
	}
	mrs := 0
	for _, l := range order {
		if traceField(l.text, "type") != "merge_request" {
			continue
		}
		mrs++
		bead := traceField(l.text, "bead")
		for _, p := range r.grep("action", "bead="+bead, "popped for review") {
			if p.at.After(l.at) {
				t.Errorf("merge request %s popped for review at %v, after a user moved it out of its rig at %v", bead, p.at, l.at)
			}
		}
	}
	landings := r.grep("action", "create_landing_mr")
	for _, l := range landings {
		if !strings.Contains(l.text, "rig=") {
			t.Errorf("a landing MR without a rig: %s", l.text)
		}
	}
	if len(moved) < 5 || mrs == 0 || len(landings) == 0 {
		t.Errorf("%d beads moved out of their rig (%d merge requests), %d landing MRs; want at least 5, 1 and 1",
			len(moved), mrs, len(landings))
	}
}
