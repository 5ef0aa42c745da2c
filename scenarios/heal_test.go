package scenarios

import (
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// healTown is the small town every fault family is healed in: 2 rigs, 4
// polecats, work for 40 minutes under the fault, then 80 minutes healed.
// The breaker counts only failed dispatches (the labelled what-if
// breaker_failures_only), so that liveness sees through production's
// breaker, which opens in busy towns on healthy work.
func healTown() sim.Config {
	c := sim.DefaultConfig()
	c.Rigs = 2
	c.Agents = 4
	c.Faults.Heal = 40 * time.Minute
	c.WorkloadStop = 40 * time.Minute
	c.Duration = 2 * time.Hour
	c.Knobs.BreakerFailuresOnly = true
	return c
}

// healBounds judge liveness after the heal with no loosening: every issue
// terminal an hour after the heal, nothing starved for an hour.
func healBounds() Bounds {
	return Bounds{Settle: time.Hour, Starvation: time.Hour}
}

// healFamilies are the fault families, each as it is set in its named
// scenario, at rates that hold for the whole fault phase.
var healFamilies = []struct {
	family string
	set    func(c *sim.Config)
}{
	{"process-crashes", func(c *sim.Config) { // crash-loops
		c.Containers.Healthy = 1
		c.Containers.Crashed = sim.Stage{Weight: 4, After: des.Exp(2 * time.Minute)}
	}},
	{"evictions", func(c *sim.Config) { // eviction-drain, long-drain
		c.Containers.Evicted = sim.Stage{Weight: 1, After: des.Exp(10 * time.Minute)}
		c.Containers.EvictionGrace = des.Uniform(2*time.Minute, 6*time.Minute)
	}},
	{"stuck-sessions", func(c *sim.Config) { // stuck-agents
		c.Containers.Stuck = sim.Stage{Weight: 2, After: des.Uniform(time.Minute, 5*time.Minute)}
		// A session stuck before the heal holds its bead until GUPP's
		// force stop, 2 h after its last progress: the run lasts that
		// long past the heal, and then settle, so that the metamorphic
		// relation is judged after production's own timeout.
		c.Duration = c.Faults.Heal + 3*time.Hour
	}},
	{"start-errors", func(c *sim.Config) {
		c.Containers.Start = sim.StartWeights{OK: 1, Error: 2, AlreadyRunning: 1, Timeout: 1}
	}},
	{"github-errors", func(c *sim.Config) { // github-outage
		c.GitHub.Errors = sim.APIErrorWeights{OK: 1, ServerError: 3, RateLimited: 2, Network: 2}
	}},
	{"merges-failing", func(c *sim.Config) { // merges-failing
		c.GitHub.MergeFail = 1
	}},
	{"lost-reports", func(c *sim.Config) { // late-exit-reports and the report faults
		c.Faults.Rates = map[string]float64{sim.FaultLateDone: 0.3, sim.FaultHeartbeatLost: 0.05,
			sim.FaultStatusUnknown: 0.05, sim.FaultDuplicateCompleted: 0.2}
	}},
	{"code-failpoints", func(c *sim.Config) { // the Town's own code throwing
		c.Faults.Rates = map[string]float64{model.FPRigList: 0.01, model.FPApplyAction: 0.02,
			model.FPSideEffect: 0.02, model.FPEventApply: 0.02}
	}},
}

// healLiveness are the properties every healed run must be able to judge.
var healLiveness = []string{PropSettle, PropQueueDrains, PropEventAge, PropStarvation}

// fault-free run of the heal town, shared by the metamorphic relations.
var faultFree = sync.OnceValues(func() (*Report, error) { return Check(healTown(), healBounds(), CheckOptions{}) })

// Every fault family heals: after the heal every issue settles, the queue
// drains and stays young, nothing starves, dispatch resumes — judged with
// no loosened bound, so a regression that leaves work stuck after a fault
// fails here. Metamorphic: the healed run converges to the fault-free
// run's envelope (no more issues left open at the end; the same seed).
func TestLivenessAfterHeal(t *testing.T) {
	for _, fam := range healFamilies {
		t.Run(fam.family, func(t *testing.T) {
			t.Parallel()
			cfg := healTown()
			fam.set(&cfg)
			b := healBounds()
			if tail := cfg.Duration - cfg.Faults.Heal; tail > 80*time.Minute {
				b.Settle = tail - 20*time.Minute
			}
			rep, err := Check(cfg, b, CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			suite.addNamed("heal/"+fam.family, rep)
			for _, v := range rep.Failures {
				t.Errorf("%s after the heal: %v", fam.family, v)
			}
			for _, p := range healLiveness {
				if why, ok := rep.Unjudged[p]; ok {
					t.Errorf("%s: %s not judged: %s", fam.family, p, why)
				}
			}
			if fired := totalFired(rep); fired == 0 {
				t.Errorf("%s: no fault fired before the heal: %v", fam.family, rep.Result.Faults.Fired)
			}
			free, err := faultFree()
			if err != nil {
				t.Fatal(err)
			}
			open := func(r *Report) int { return r.Result.Beads.Open }
			if open(rep) > open(free) {
				t.Errorf("%s: %d issues not terminal at the end, the fault-free run %d", fam.family, open(rep), open(free))
			}
			if rep.ConvergeTicks < 0 {
				t.Errorf("%s: the issues created before the heal never settled", fam.family)
			}
			t.Logf("%s: faults %v, converged %d ticks after the heal, absorbed %v, open %d (fault-free %d)",
				fam.family, slices.Sorted(maps.Keys(rep.Result.Faults.Fired)), rep.ConvergeTicks, rep.Accepted, open(rep), open(free))
		})
	}
}

// Metamorphic: the same workload with more agents closes no fewer issues
// (breaker what-if on, so that the production breaker's count of healthy
// work does not stall the larger fleet).
func TestMoreAgentsCloseNoFewer(t *testing.T) {
	closed := map[int]int{}
	for _, agents := range []int{2, 4} {
		cfg := healTown()
		cfg.Faults.Heal = 0
		cfg.Agents = agents
		cfg.Duration = 90 * time.Minute
		rep, err := Check(cfg, healBounds(), CheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		suite.add(rep)
		for _, v := range rep.Failures {
			t.Errorf("%d agents: %v", agents, v)
		}
		closed[agents] = rep.Result.Beads.Closed
	}
	if closed[4] < closed[2] {
		t.Errorf("4 agents closed %d issues, 2 agents %d", closed[4], closed[2])
	}
	t.Logf("closed by fleet size: %v", closed)
}
