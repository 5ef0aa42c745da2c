package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// TestGUPPExcludesTheMayor restates production's integration test
// (test/integration/gupp-nudge.test.ts, "mayor exclusion from GUPP"): a
// mayor from ensureMayor, set working, whose last SDK event is 20 min old
// (past the 15 min warn tier) and 3 h old (past the force stop), gets no
// GUPP action, while a polecat in the same state does.
func TestGUPPExcludesTheMayor(t *testing.T) {
	for _, quiet := range []time.Duration{20 * time.Minute, 3 * time.Hour} {
		f := newFixture(t)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(f.town.AddRig(f.now, "rig-1", "main-rig", "https://github.com/test/repo.git", "main"))
		m, err := f.town.EnsureMayor(&model.InstantEnv{Clock: f.now})
		must(err)
		must(f.town.UpdateAgentStatus(f.now, m.ID, model.AgentWorking))
		stale := f.ago(quiet)
		_, err = f.town.DB().Exec(`UPDATE agent_metadata SET last_event_at = ?, last_activity_at = ? WHERE bead_id = ?`,
			stale, f.ago(0), m.ID)
		must(err)
		guppFor := func(agent string) int {
			as, err := Reconcile(f.town, f.now, Options{})
			must(err)
			n := 0
			for _, a := range as {
				if a.AgentID == agent && len(a.Rule) > 4 && a.Rule[:4] == "GUPP" {
					n++
				}
			}
			return n
		}
		if n := guppFor(m.ID); n != 0 {
			t.Errorf("quiet %v: %d GUPP actions for the mayor, want 0", quiet, n)
		}
		// The same staleness on a polecat is judged: the test can fail.
		f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "p1"})
		f.agent(A{ID: "p1", Status: model.AgentWorking, Hook: "i1", EventAt: stale, Activity: f.ago(0)})
		if n := guppFor("p1"); n == 0 {
			t.Errorf("quiet %v: no GUPP action for a polecat", quiet)
		}
	}
}
