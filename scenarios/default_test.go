package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/sim"
)

// The default scenario is valid, runs, and is reproducible from its seed.
func TestDefaultRuns(t *testing.T) {
	cfg := Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 30 * time.Minute
	a, err := sim.Run(cfg, sim.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := sim.Run(cfg, sim.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Ticks == 0 || a.Beads.Created < cfg.Agents || a.TickErrors != 0 {
		t.Errorf("ticks %d, issues %+v, tick errors %d", a.Ticks, a.Beads, a.TickErrors)
	}
	if a.TraceHash != b.TraceHash {
		t.Errorf("two runs of one seed differ: %s vs %s", a.TraceHash, b.TraceHash)
	}
}
