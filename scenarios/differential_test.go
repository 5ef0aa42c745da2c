package scenarios

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/sim"
)

// comparerFor starts a differential host on the gastown checkout dir and
// returns check options that run it beside the port and fail a run on
// every difference.
func comparerFor(t *testing.T, dir string) (CheckOptions, *differential.Comparer) {
	t.Helper()
	h, err := differential.StartHost(differential.HostOptions{Gastown: dir})
	if err != nil {
		t.Fatalf("differential host on %s: %v", dir, err)
	}
	t.Cleanup(func() { h.Close() })
	c := &differential.Comparer{Host: h, Mode: differential.ModeCompare, DiffDir: filepath.Join(t.TempDir(), "diffs")}
	return CheckOptions{Run: sim.RunOptions{Reconcile: c.Reconcile}, Differences: func() int { return c.Stats.Differed }}, c
}

// A difference between the port and another reconcile fails a property
// run: the test fixture (a small TypeScript reconcile of our own, which
// dispatches nothing) differs from the port wherever the port dispatches.
func TestDifferenceFailsAPropertyRun(t *testing.T) {
	opts, c := comparerFor(t, filepath.Join("..", "differential", "testdata", "minigastown"))
	cfg := sim.DefaultConfig()
	cfg.Agents = 30
	cfg.Duration = 2 * time.Minute
	rep, err := Check(cfg, Bounds{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
	n := 0
	for _, v := range rep.Failures {
		if v.Property == PropDifferential {
			n++
		}
	}
	if n == 0 || n > c.Stats.Differed || c.Stats.Differed == 0 {
		t.Errorf("%d differential failures for %d differing passes", n, c.Stats.Differed)
	}
}

// gastownOptions are the check options of TestProperties: with
// TOWNSIM_GASTOWN naming a gastown checkout, every drawn case is also
// compared pass by pass with that checkout's own reconcile, and a
// difference fails it.
func gastownOptions(t *testing.T) CheckOptions {
	dir := os.Getenv("TOWNSIM_GASTOWN")
	if dir == "" {
		return CheckOptions{}
	}
	opts, c := comparerFor(t, dir)
	x := &differential.ExecComparer{Host: c.Host, Events: c.Host.Exec.ApplyEvent, Actions: c.Host.Exec.ApplyAction, DiffDir: c.DiffDir}
	opts.Run.Events, opts.Run.Apply = x, x.Apply
	opts.Differences = func() int { return c.Stats.Differed + x.Differed() }
	return opts
}
