package scenarios

import "testing"

// scmScenarioTests: pr-forks has the Town poll PRs opened in the
// organisation's fork and emit merge_pr for one (which merge_pr's
// repository check refuses); delete-parents edits issues into children
// and deletes through rig routes, one by one and as lists.
func scmScenarioTests() []scenarioTest {
	return []scenarioTest{
		{"pr-forks", 0, func(t *testing.T, r *run) {
			if len(r.grep("call", "kind=github.pr_status", "-fork/")) == 0 {
				t.Errorf("no PR in a fork was polled")
			}
			if len(r.grep("action", "merge_pr{", "-fork/")) == 0 {
				t.Errorf("merge_pr was never emitted for a PR in a fork")
			}
		}},
		{"delete-parents", 0, func(t *testing.T, r *run) {
			if len(r.grep("rpc", "op=update_bead", "edit=")) == 0 {
				t.Errorf("no user edited an issue")
			}
			if len(r.grep("rpc", "op=delete_bead", "rig=")) == 0 {
				t.Errorf("no delete through a rig's route")
			}
			if len(r.grep("rpc", "op=delete_beads", "rig=")) == 0 {
				t.Errorf("no list delete through a rig's route")
			}
		}},
	}
}
