package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// merge-only-in-rig-repository fires on a merge call for a PR the world
// opened in the fork, and on a merge_pr for such a PR that leaves the
// merge request's auto_merge_pending set; a merge call for a PR in the
// rig's repository, or a refusal that cleared the flag, keep it quiet.
// Over the rows and world of a short real pr-forks run.
func TestForeignMergeFires(t *testing.T) {
	c, db := passedRun(t, "pr-forks", 45*time.Minute)
	exec, one := rowsOf(t, db)
	foreign, own := "", ""
	for _, pr := range c.world.PRs() {
		switch {
		case pr.Foreign && foreign == "":
			foreign = pr.URL
		case !pr.Foreign && own == "":
			own = pr.URL
		}
	}
	if foreign == "" || own == "" {
		t.Fatalf("no PR in the fork (%q) or in a rig's repository (%q)", foreign, own)
	}
	mr := one(`SELECT bead_id FROM beads WHERE type = 'merge_request' ORDER BY bead_id LIMIT 1`)
	for _, tc := range []struct {
		name    string
		call    string // URL of a merge call ("" = none)
		action  string // URL of a merge_pr action ("" = none)
		pending bool   // the MR carries auto_merge_pending at the tick's end
		fires   bool
	}{
		{"merge call for a fork PR", foreign, "", false, true},
		{"merge call for a rig PR", own, "", false, false},
		{"refusal that left the flag", "", foreign, true, true},
		{"refusal that cleared the flag", "", foreign, false, false},
		{"merge_pr for a rig PR with the flag", "", own, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT forkmerge`)
			defer db.Exec(`ROLLBACK TO forkmerge`)
			if tc.pending {
				exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.auto_merge_pending', json('true')) WHERE bead_id = ?`, mr)
			} else {
				exec(`UPDATE beads SET metadata = json_remove(COALESCE(metadata, '{}'), '$.auto_merge_pending') WHERE bead_id = ?`, mr)
			}
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropForeignMerge).(*foreignMergeProp)
			if tc.call != "" {
				p.call(c, model.Call{Kind: model.CallMergePR, URL: tc.call}, model.Result{OK: true}, c.now)
			}
			if tc.action != "" {
				p.action(c, reconciler.Action{Type: reconciler.MergePR, BeadID: mr, PRURL: tc.action},
					&tickView{rec: &sim.TickRecord{At: c.now.Add(time.Hour)}, w: c.world, db: db})
			}
			wantFired(t, c, PropForeignMerge, tc.fires)
		})
	}
}
