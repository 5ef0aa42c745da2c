package scenarios

import (
	"strings"
	"testing"
)

// Users move issues to the empty-string rig as well as to NULL, and no
// rule dispatches an issue after its move to ”.
func checkEmptyRigBeads(t *testing.T, r *run) {
	moved := map[string]traceLine{}
	nulls := 0
	for _, l := range r.grep("rpc", "op=update_bead", "type=issue") {
		switch traceField(l.text, "rig") {
		case "''":
			moved[traceField(l.text, "bead")] = l
		case "null":
			nulls++
		}
	}
	if len(moved) < 3 || nulls < 3 {
		t.Errorf("%d issues moved to rig '' and %d to NULL; want at least 3 of each", len(moved), nulls)
	}
	for _, l := range r.grep("action", "dispatch_agent") {
		for id, m := range moved {
			if strings.Contains(l.text, id) && l.at.After(m.at) {
				t.Errorf("issue %s dispatched at %v after its move to rig '' at %v", id, l.at, m.at)
			}
		}
	}
}

// Users delete issues in review whose PRs a human then closes unmerged:
// the completion of a merge request whose source is gone.
func checkDeletedInReview(t *testing.T, r *run) {
	deleted := map[string]bool{}
	for _, l := range r.grep("rpc", "op=delete_bead", `err=""`) {
		if id := traceField(l.text, "bead"); len(id) >= 8 {
			deleted[id[:8]] = true
		}
	}
	branch := map[string]string{}
	for _, l := range r.grep("pr", "event=opened") {
		branch[traceField(l.text, "url")] = traceField(l.text, "branch")
	}
	orphans := 0
	for _, l := range r.grep("pr", "event=closed") {
		b := branch[traceField(l.text, "url")]
		if i := strings.LastIndex(b, "/"); i >= 0 && deleted[b[i+1:]] {
			orphans++
		}
	}
	if len(deleted) < 5 || orphans == 0 {
		t.Errorf("%d issues deleted, %d of their PRs closed unmerged; want at least 5 and 1", len(deleted), orphans)
	}
}

// The mayor's bulk-delete tool sends one-id lists through the issue's own
// rig, and they delete the issue.
func checkMayorBulkDeletes(t *testing.T, r *run) {
	single := len(r.grep("rpc", "op=delete_beads", "stale=0", "by=mayor", `err=""`))
	if single < 2 || r.res.World.Deletions < 3 {
		t.Errorf("%d one-id mayor lists, %d deletions; want at least 2 and 3", single, r.res.World.Deletions)
	}
}
