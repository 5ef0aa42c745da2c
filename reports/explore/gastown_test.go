package explore

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// minigastown is the repository's own TypeScript fixture: a reconcile
// that dispatches nothing, so it differs from the port wherever the port
// dispatches.
var minigastown = filepath.Join("..", "..", "differential", "testdata", "minigastown")

func startTestHost(g *Gastown) (*differential.Host, error) {
	return differential.StartHost(differential.HostOptions{Gastown: g.Dir})
}

// A case beside a gastown checkout: in compare mode the port drives, its
// events and actions are compared too (the property runs' wiring), and a
// differing pass fails the case; in drive mode the original drives, the
// differences are counted and are no failure, the properties judge the
// driven run (nothing is dispatched, so no process ever works), and the
// determinism property runs it again, driven again, with the same hash.
func TestGastownCheck(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.Agents = 30
	cfg.Duration = 2 * time.Minute
	port, err := scenarios.Check(cfg, scenarios.Bounds{}, scenarios.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{ModeCompare, ModeDrive} {
		t.Run(mode, func(t *testing.T) {
			root := t.TempDir()
			g := &Gastown{Dir: minigastown, Mode: mode, DiffDir: root, start: startTestHost}
			rep, counts, err := g.check(cfg, scenarios.Bounds{}, true, g.caseDiffDir(3))
			if err != nil {
				t.Fatal(err)
			}
			if counts == nil || counts.Compared == 0 || counts.Differed == 0 {
				t.Fatalf("counts %+v: want the fixture's differences counted", counts)
			}
			saved, _ := filepath.Glob(filepath.Join(root, "case-3", "diff-*.json"))
			if len(saved) != counts.Differed {
				t.Errorf("%d differences saved under case-3, %d counted", len(saved), counts.Differed)
			}
			var differed, determinism int
			for _, v := range rep.Failures {
				switch v.Property {
				case scenarios.PropDifferential:
					differed++
				case scenarios.PropDeterminism:
					determinism++
				}
			}
			if determinism > 0 {
				t.Errorf("a determinism failure: %v", rep.Failures)
			}
			switch mode {
			case ModeCompare:
				if counts.Steps == 0 {
					t.Errorf("compare mode: no event or action compared (%+v): the run is not wired as the property runs are", counts)
				}
				if differed == 0 {
					t.Errorf("compare mode: no differential failure for %d differing passes", counts.Differed)
				}
				if rep.Result.TraceHash != port.Result.TraceHash {
					t.Errorf("compare mode: hash %s, the port alone %s (the port drives)", rep.Result.TraceHash, port.Result.TraceHash)
				}
			case ModeDrive:
				if counts.Steps != 0 {
					t.Errorf("drive mode: %d events and action steps compared; drive mode is reconcile-only", counts.Steps)
				}
				if differed > 0 {
					t.Errorf("drive mode: %d differential failures; differences are counted, not failures", differed)
				}
				if rep.Result.TraceHash == port.Result.TraceHash {
					t.Errorf("drive mode: the port's own hash %s; the original's actions should drive", port.Result.TraceHash)
				}
			}
		})
	}
}

// A gastown folder that is not a checkout fails the case with an error
// naming it, and the replay flags say how to run a failure as the
// campaign ran it.
func TestGastownErrorsAndReplayFlags(t *testing.T) {
	bad := &Gastown{Dir: t.TempDir(), Mode: ModeCompare, DiffDir: t.TempDir(), start: startTestHost}
	cfg := sim.DefaultConfig()
	cfg.Duration = time.Minute
	if _, _, err := bad.check(cfg, scenarios.Bounds{}, false, ""); err == nil || !strings.Contains(err.Error(), bad.Dir) {
		t.Errorf("not a checkout: %v", err)
	}
	if got := (*Gastown)(nil).ReplayFlags(); got != "" {
		t.Errorf("no checkout: %q", got)
	}
	if _, _, err := (&Gastown{Dir: minigastown, Mode: ModeCompare}).check(cfg, scenarios.Bounds{}, false, ""); err == nil ||
		!strings.Contains(err.Error(), "without a host") {
		t.Errorf("no host: %v", err)
	}
	g := &Gastown{Dir: "/src/cloud", Mode: ModeDrive}
	if got := g.ReplayFlags(); got != " --gastown /src/cloud --gastown-mode drive" {
		t.Errorf("drive: %q", got)
	}
	g.Mode = ModeCompare
	if got := g.ReplayFlags(); got != " --gastown /src/cloud" {
		t.Errorf("compare: %q", got)
	}
}
