package scenarios

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/sim"
)

// miniGastown is the differential tests' own small gastown.
var miniGastown = filepath.Join("..", "differential", "testdata", "minigastown")

// startHost starts a differential host on the gastown checkout dir for
// the test.
func startHost(t *testing.T, dir string) *differential.Host {
	t.Helper()
	h, err := differential.StartHost(differential.HostOptions{Gastown: dir})
	if err != nil {
		t.Fatalf("differential host on %s: %v", dir, err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// A difference between the port and another reconcile fails a property
// run: the test fixture (a small TypeScript reconcile of our own, which
// dispatches nothing) differs from the port wherever the port dispatches,
// and its event application and action executor are compared too.
func TestDifferenceFailsAPropertyRun(t *testing.T) {
	g := Gastown{Host: startHost(t, miniGastown), DiffDir: filepath.Join(t.TempDir(), "diffs")}
	cfg := sim.DefaultConfig()
	cfg.Agents = 30
	cfg.Duration = 2 * time.Minute
	rep, gr, err := CheckGastown(cfg, Bounds{}, CheckOptions{}, g)
	if err != nil {
		t.Fatal(err)
	}
	if gr.Verdict != "" {
		t.Fatal(gr.Verdict)
	}
	n := 0
	for _, v := range rep.Failures {
		if v.Property == PropDifferential {
			n++
		}
	}
	if gr.Events == nil || gr.Actions == nil || gr.Events.Compared == 0 || gr.Actions.Compared == 0 {
		t.Fatalf("compare mode compared no events or actions: %+v %+v", gr.Events, gr.Actions)
	}
	exec := gr.Events.Differed + gr.Actions.Differed
	if n == 0 || n > gr.Stats.Differed+exec || gr.Stats.Differed == 0 || gr.Mode != "compare" {
		t.Errorf("%d differential failures for %d differing passes and %d differing event/action steps (%s mode)", n, gr.Stats.Differed, exec, gr.Mode)
	}
}

// gastownFromEnv is the gastown of TestProperties: with TOWNSIM_GASTOWN
// naming a gastown checkout, every drawn case runs that checkout's own
// reconcile too, in the mode TOWNSIM_GASTOWN_MODE names (compare, the
// default: a difference fails; drive: the original's actions drive the
// run and the properties judge it), strictly when TOWNSIM_GASTOWN_STRICT=1.
func gastownFromEnv(t *testing.T) *Gastown {
	dir := os.Getenv("TOWNSIM_GASTOWN")
	if dir == "" {
		return nil
	}
	mode := differential.ModeCompare
	if m := os.Getenv("TOWNSIM_GASTOWN_MODE"); m != "" {
		var err error
		if mode, err = differential.ParseMode(m); err != nil {
			t.Fatalf("TOWNSIM_GASTOWN_MODE: %v", err)
		}
	}
	strict := false
	switch s := os.Getenv("TOWNSIM_GASTOWN_STRICT"); s {
	case "", "0":
	case "1":
		strict = true
	default:
		t.Fatalf("TOWNSIM_GASTOWN_STRICT: want 1 or 0, got %q", s)
	}
	return &Gastown{Host: startHost(t, dir), Mode: mode, DiffDir: t.TempDir(), Strict: strict}
}
