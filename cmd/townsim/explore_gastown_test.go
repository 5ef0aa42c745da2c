package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/reports/explore"
	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// The comparer townsim explore --gastown gives its cases is the
// differential package's: beside the repository's fixture (which
// dispatches nothing) a short town's passes are compared and differ, and
// a mode that is not compare or drive is refused.
func TestExploreComparer(t *testing.T) {
	g := &explore.Gastown{Dir: filepath.Join("..", "..", "differential", "testdata", "minigastown"), Mode: explore.ModeCompare}
	c, err := startExploreComparer(g, filepath.Join(t.TempDir(), "diffs"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := scenarios.Default()
	cfg.Agents = 30
	cfg.Duration = 2 * time.Minute
	_, err = sim.Run(cfg, sim.RunOptions{Reconcile: c.Reconcile})
	c.Close()
	if err != nil || c.Err() != nil {
		t.Fatal(err, c.Err())
	}
	if compared, differed := c.Counts(); compared == 0 || differed == 0 {
		t.Errorf("compared %d, differed %d; want the fixture's differences", compared, differed)
	}
	g.Mode = "replay"
	if _, err := startExploreComparer(g, t.TempDir()); err == nil || !strings.Contains(err.Error(), "unknown mode") {
		t.Errorf("mode replay: %v", err)
	}
}
