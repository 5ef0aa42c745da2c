package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/sim"
)

// The property suite's own queries never take the model's exact-plan path
// (model.DB.ExactPlans), and never change the run they judge (its trace
// hash). A query that binds a 0 or 1 where SQLite's planner may look at it
// turns the planner's stability guarantee off and on around itself, and
// every statement of the Town — the port's and the properties' — compiles
// again on its next run. One such query per tick made `go test
// ./scenarios/` over twice as slow (a review-off property bound the town's
// code_review setting as an argument). A checked run must take exactly the
// exact plans the port's own run takes, and give its trace hash.
func TestPropertiesTakeNoExactPlans(t *testing.T) {
	for _, name := range []string{"default", "town-review-off", "review-feedback-loops", "rework-loops", "convoy-review-then-land", "blocked-while-working", "held-and-blocked", "triage-agent-crashes", "pr-forks", "delete-parents"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := ByName(name)
			if err != nil {
				t.Fatal(err)
			}
			cfg := s.Config
			cfg.Duration = 40 * time.Minute
			w, err := sim.NewWorld(cfg, sim.RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			w.RunUntil(cfg.Start.Add(cfg.Duration))
			port := w.Town().DB().ExactPlans()
			hash := w.Result().TraceHash
			w.Close()
			var checked int64
			rep, err := Check(cfg, Bounds{}, CheckOptions{AtStop: func(w *sim.World) {
				checked = w.Town().DB().ExactPlans()
			}})
			if err != nil {
				t.Fatal(err)
			}
			if checked != port {
				t.Errorf("a checked run took %d exact plans, the port's own run %d", checked, port)
			}
			// Every read a property makes inside the tick (between the
			// reconcile and the apply, around an apply or an RPC) must be
			// an observer's read (DB.ObserveRows): a metered read adds to
			// the tick's cost, which the trace records.
			if rep.Result.TraceHash != hash {
				t.Errorf("a checked run's trace hash is %s, the port's own run's %s: a property read the Town metered inside a tick",
					rep.Result.TraceHash, hash)
			}
		})
	}
}
