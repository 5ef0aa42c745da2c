package scenarios

import (
	"strings"
	"testing"
)

// safety/issue-closed-only-when-merged fires on a real run's closed issue
// whose merge requests are made to have failed, not on the real rows nor on
// a closed rework bead without a merge request.
func TestClosedAfterMergeFires(t *testing.T) {
	c, db := passedRun(t, "default", 0)
	exec, one := rowsOf(t, db)
	issue := one(`SELECT b.bead_id FROM beads b WHERE b.type = 'issue' AND b.status = 'closed'
		AND EXISTS (SELECT 1 FROM bead_dependencies d WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks')
		ORDER BY b.bead_id LIMIT 1`)
	tests := []struct {
		name  string
		setup string // run with ? = issue, then undone by the test's restore
		undo  string
		fires bool
	}{
		{"the real rows pass", "", "", false},
		{"its merge requests failed, their PRs not merged", `UPDATE beads SET status = 'failed',
			metadata = json_set(metadata, '$.pr_url', 'https://example.invalid/' || bead_id) WHERE bead_id IN
			(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks');
			UPDATE review_metadata SET pr_url = 'https://example.invalid/' || bead_id || '#' || pr_url WHERE bead_id IN
			(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks')`,
			`UPDATE review_metadata SET pr_url = substr(pr_url, instr(pr_url, '#') + 1) WHERE bead_id IN
			(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks');
			UPDATE beads SET status = 'closed', metadata = json_set(metadata, '$.pr_url',
			  (SELECT pr_url FROM review_metadata r WHERE r.bead_id = beads.bead_id)) WHERE bead_id IN
			(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks')`, true},
		{"its merge requests failed, their PRs merged", `UPDATE beads SET status = 'failed' WHERE bead_id IN
			(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks')`,
			`UPDATE beads SET status = 'closed' WHERE bead_id IN
			(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks')`, false},
		{"its tracks edges gone, a rework bead", `UPDATE bead_dependencies SET dependency_type = 'x' WHERE depends_on_bead_id = ?;
			UPDATE beads SET labels = '["gt:rework"]' WHERE bead_id = ?`,
			`UPDATE bead_dependencies SET dependency_type = 'tracks' WHERE depends_on_bead_id = ?;
			UPDATE beads SET labels = '[]' WHERE bead_id = ?`, false},
		{"its tracks edges gone", `UPDATE bead_dependencies SET dependency_type = 'blocks' WHERE depends_on_bead_id = ?`,
			`UPDATE bead_dependencies SET dependency_type = 'tracks' WHERE depends_on_bead_id = ?`, true},
	}
	run := func(q string) {
		if q == "" {
			return
		}
		for _, s := range strings.Split(q, ";") {
			args := make([]any, strings.Count(s, "?"))
			for i := range args {
				args[i] = issue
			}
			exec(s, args...)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run(tt.setup)
			defer run(tt.undo)
			c.failures, c.seen = nil, map[string]bool{}
			var p *closedAfterMergeProp // the run's own, which saw the world's PRs merge
			for _, q := range c.props {
				if q, ok := q.(*closedAfterMergeProp); ok {
					p = q
				}
			}
			if len(p.mergedAt) == 0 {
				t.Fatal("the run saw no PR merge")
			}
			p.end(c, c.world, db)
			fired := len(c.failures) > 0
			for _, v := range c.failures {
				if v.Property != PropClosedAfterMerge || v.Entity != issue {
					t.Errorf("unexpected violation %s on %s: %s", v.Property, v.Entity, v.Detail)
				}
			}
			if fired != tt.fires {
				t.Errorf("fired %v, want %v (%v)", fired, tt.fires, c.failures)
			}
		})
	}
}
