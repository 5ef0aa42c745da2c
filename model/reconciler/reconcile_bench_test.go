package reconciler

import (
	"fmt"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// buildFleet fills the fixture with a town of n polecats and, in
// proportion, rigs with refineries (n/10), issues (3 per polecat), MRs
// (n/2) and convoys (n/10, five issues each), in a mix of states that
// reaches every rule's per-row lookups.
func buildFleet(f *fixture, n int) {
	rigs := max(1, n/10)
	for r := 0; r < rigs; r++ {
		f.rig(fmt.Sprintf("r%d", r), "", "")
		f.agent(A{ID: fmt.Sprintf("ref%d", r), Role: model.RoleRefinery, Rig: fmt.Sprintf("r%d", r)})
	}
	old := f.ago(2 * time.Hour)
	for i := 0; i < n; i++ {
		rig := fmt.Sprintf("r%d", i%rigs)
		a, hooked := fmt.Sprintf("p%d", i), fmt.Sprintf("h%d", i)
		switch i % 4 {
		case 0: // healthy worker
			f.bead(B{ID: hooked, Status: model.StatusInProgress, Rig: rig, Assignee: a, Attempts: 1, LastAttempt: old})
			f.agent(A{ID: a, Status: "working", Rig: rig, Hook: hooked, EventAt: f.ago(5 * time.Minute)})
		case 1: // quiet worker: GUPP warn, deduped for half of them
			f.bead(B{ID: hooked, Status: model.StatusInProgress, Rig: rig, Assignee: a, Attempts: 1, LastAttempt: old})
			f.agent(A{ID: a, Status: "working", Rig: rig, Hook: hooked, EventAt: f.ago(20 * time.Minute)})
			if i%8 == 1 {
				f.nudge("n"+a, a, "reconciler:warn", f.ago(10*time.Minute))
			}
		case 2: // idle, unhooked
			f.bead(B{ID: hooked, Status: model.StatusClosed, Rig: rig})
			f.agent(A{ID: a, Rig: rig, Activity: f.ago(time.Hour)})
		case 3: // idle, hooked, due for re-dispatch (BD-2's lookups)
			f.bead(B{ID: hooked, Rig: rig, Assignee: a, Attempts: 1, LastAttempt: f.ago(40 * time.Minute)})
			f.agent(A{ID: a, Rig: rig, Hook: hooked})
		}
		// Two more issues per polecat: one waiting (blocked by its
		// predecessor), one done.
		f.bead(B{ID: fmt.Sprintf("o%d", i), Rig: rig})
		if i > 0 {
			f.dep(fmt.Sprintf("o%d", i), fmt.Sprintf("o%d", i-1), model.DepBlocks)
		}
		f.bead(B{ID: fmt.Sprintf("d%d", i), Status: model.StatusInReview, Rig: rig})
	}
	for m := 0; m < n/2; m++ {
		rig, id, src := fmt.Sprintf("r%d", m%rigs), fmt.Sprintf("m%d", m), fmt.Sprintf("d%d", m)
		switch m % 3 {
		case 0: // PR being polled
			f.mr(M{B: B{ID: id, Status: model.StatusInProgress, Rig: rig,
				Meta: `{"last_poll_at":"` + f.ago(10*time.Second) + `"}`}, PRURL: "https://x/pr/" + id})
		case 1: // waiting for the refinery
			f.mr(M{B: B{ID: id, Rig: rig, Created: f.ago(time.Duration(m) * time.Second)}})
		case 2: // merged
			f.mr(M{B: B{ID: id, Status: model.StatusClosed, Rig: rig}, PRURL: "https://x/pr/" + id})
		}
		f.dep(id, src, model.DepTracks)
	}
	for c := 0; c < max(1, n/10); c++ {
		id := fmt.Sprintf("c%d", c)
		f.convoy(C{B: B{ID: id}, Total: 5, FeatureBranch: "convoy/" + id + "/head", MergeMode: model.MergeModeReviewThenLand})
		for k := 0; k < 5; k++ {
			is := fmt.Sprintf("ct%d_%d", c, k)
			f.bead(B{ID: is, Status: model.StatusClosed, Rig: "r0"})
			f.dep(is, id, model.DepTracks)
		}
	}
}

func BenchmarkReconcile(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			f := newFixture(b)
			buildFleet(f, n)
			o := Options{Config: cfg()}
			as, err := Reconcile(f.town, f.now, o)
			if err != nil {
				b.Fatal(err)
			}
			before := f.town.DB().Cost()
			ops := 0
			for b.Loop() {
				ops++
				if _, err := Reconcile(f.town, f.now, o); err != nil {
					b.Fatal(err)
				}
			}
			c := f.town.DB().Cost().Sub(before)
			b.ReportMetric(float64(c.Statements)/float64(ops), "stmts/op")
			b.ReportMetric(float64(c.Rows)/float64(ops), "rows/op")
			b.ReportMetric(float64(len(as)), "actions/op")
		})
	}
}
