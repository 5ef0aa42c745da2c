package sim

import (
	"testing"
	"time"

	"github.com/townsim/townsim/des"
)

// chaosConfig is a small town with every fault of the world switched on:
// container stages and start answers, agent failures, review outcomes,
// every GitHub outcome and API error, and every kind of user action.
func chaosConfig(seed uint64) Config {
	c := DefaultConfig()
	c.Seed = seed
	c.Rigs, c.Agents = 2, 6
	c.Duration = 3 * time.Hour
	k := &c.Containers
	k.Start = StartWeights{OK: 8, Error: 1, AlreadyRunning: 1, Timeout: 1}
	k.Healthy = 4
	for _, s := range []*Stage{&k.Exited, &k.Crashed, &k.OOMKilled, &k.Unresponsive, &k.Evicted, &k.Stuck} {
		s.Weight = 1
		s.After = des.Exp(10 * time.Minute)
	}
	w := &c.Work
	w.Done, w.Failed = 5, 1
	w.Approve, w.RequestChanges, w.ReviewFail = 4, 1, 1
	g := &c.GitHub
	g.Merge, g.Close, g.Comments, g.FailingChecks, g.Approval, g.Conflict = 4, 1, 1, 1, 1, 1
	g.Errors = APIErrorWeights{OK: 20, ServerError: 1, RateLimited: 1, NotFound: 1, Invalid: 1, Network: 1}
	g.MergeFail = 0.1
	l := &c.Workload
	l.Unassigned, l.ConvoysPerHour, l.ConvoyDepends, l.ReviewAndMerge, l.Staged = 0.3, 1, 0.5, 0.5, 0.5
	l.HeldPerHour, l.Cancel, l.CancelFailed = 1, 0.1, 0.5
	l.BurstEvery, l.BurstSize = des.Exp(time.Hour), 3
	return c
}

// Under every fault at once the Town never makes a run fail, a tick never
// throws (no fault here reaches production's unguarded steps), the world's
// calls into the Town return no Go-level errors other than production's
// own refusals, and the run replays to the same trace hash.
func TestChaosRunsAndReplays(t *testing.T) {
	if testing.Short() {
		t.Skip("three simulated hours per seed")
	}
	for _, seed := range []uint64{1, 2, 3} {
		cfg := chaosConfig(seed)
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		a, err := Run(cfg, RunOptions{})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		b, err := Run(cfg, RunOptions{})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if a.TraceHash != b.TraceHash {
			t.Errorf("seed %d: two runs differ: %s vs %s", seed, a.TraceHash, b.TraceHash)
		}
		if a.TickErrors != 0 {
			t.Errorf("seed %d: %d ticks threw", seed, a.TickErrors)
		}
		if a.World.RPCErrors != 0 {
			t.Errorf("seed %d: %d Town RPCs returned an error", seed, a.World.RPCErrors)
		}
		for _, stage := range []string{"exited", "crashed", "oom_killed", "unresponsive", "evicted", "stuck"} {
			if a.World.Faults[stage] == 0 {
				t.Errorf("seed %d: fault stage %q never struck: %v", seed, stage, a.World.Faults)
			}
		}
		if a.Ticks < 1000 {
			t.Errorf("seed %d: only %d ticks in 3 h", seed, a.Ticks)
		}
		t.Logf("seed %d: ticks %d, issues %+v, violations %v, actions %v, pending %d",
			seed, a.Ticks, a.Beads, a.ViolationsByNumber, a.ActionsByType, a.PendingEventsAtEnd)
	}
}
