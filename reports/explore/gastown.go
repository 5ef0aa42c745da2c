package explore

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// Gastown runs a campaign's cases beside a gastown checkout's own
// reconcile (differential mode, the same comparer as `townsim run
// --gastown --gastown-mode MODE`): one Node host per run.
//
// In compare mode the port's actions drive every run and a reconcile
// pass whose actions differ from the original's fails the case
// (differential/same-actions-as-original). In drive mode the original's
// actions drive every run: the properties judge that run, and the
// differences are counted (CaseResult.Gastown), not failures; the
// determinism property runs the case a second time, driven again.
type Gastown struct {
	// Dir is the checkout; Mode compare or drive.
	Dir  string            `json:"dir"`
	Mode differential.Mode `json:"mode"`
	// DiffDir receives each case's differences, under case-N (a shrink's
	// runs keep none).
	DiffDir string `json:"diff_dir"`
}

// GastownCounts are a case's reconcile passes compared with the original
// and those that differed.
type GastownCounts struct {
	Compared int `json:"compared"`
	Differed int `json:"differed"`
}

// ReplayFlags are the flags that make `townsim replay` run a failure's
// scenario as the campaign ran it ("" without a checkout).
func (g *Gastown) ReplayFlags() string {
	if g == nil {
		return ""
	}
	s := " --gastown " + g.Dir
	if g.Mode == differential.ModeDrive {
		s += " --gastown-mode drive"
	}
	return s
}

// check runs cfg under every property (scenarios.Check), beside the
// checkout when g is set. diffDir receives the differences ("" = a
// temporary folder, removed). It returns the counts of the comparison
// (nil without a checkout).
func (g *Gastown) check(cfg sim.Config, b scenarios.Bounds, det bool, diffDir string) (*scenarios.Report, *GastownCounts, error) {
	if g == nil {
		rep, err := scenarios.Check(cfg, b, scenarios.CheckOptions{Determinism: det})
		return rep, nil, err
	}
	c, done, err := g.comparer(diffDir)
	if err != nil {
		return nil, nil, err
	}
	opts := scenarios.CheckOptions{Run: sim.RunOptions{Reconcile: c.Reconcile,
		Interrupted: func() bool { return c.Err() != nil }}} // a dead host ends the run
	if g.Mode == differential.ModeCompare {
		opts.Determinism = det // the second run is the port's alone, as in compare mode
		opts.Differences = func() int { return c.Stats.Differed }
	}
	rep, err := scenarios.Check(cfg, b, opts)
	done()
	if err == nil && c.Err() != nil {
		err = fmt.Errorf("gastown %s: %w", g.Dir, c.Err())
	}
	if err != nil {
		return nil, nil, err
	}
	counts := &GastownCounts{Compared: c.Stats.Compared, Differed: c.Stats.Differed}
	if det && g.Mode == differential.ModeDrive {
		c2, done2, err := g.comparer("")
		if err != nil {
			return nil, nil, err
		}
		again, err := sim.Run(cfg, sim.RunOptions{Reconcile: c2.Reconcile, Interrupted: func() bool { return c2.Err() != nil }})
		done2()
		if err == nil && c2.Err() != nil {
			err = fmt.Errorf("gastown %s: %w", g.Dir, c2.Err())
		}
		if err != nil {
			return nil, nil, err
		}
		if again.TraceHash != rep.Result.TraceHash {
			end := cfg.Start.Add(cfg.Duration)
			rep.Failures = append(rep.Failures, scenarios.Violation{Property: scenarios.PropDeterminism, At: end, Tick: rep.Result.Ticks,
				Detail: fmt.Sprintf("a second run driven by the original gave hash %s, the first %s", again.TraceHash, rep.Result.TraceHash)})
		}
	}
	return rep, counts, nil
}

// comparer starts a host and its comparer saving differences to dir (a
// temporary folder when dir is ""); done closes both.
func (g *Gastown) comparer(dir string) (*differential.Comparer, func(), error) {
	cleanup := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "townsim-explore-diffs-")
		if err != nil {
			return nil, nil, err
		}
		dir, cleanup = filepath.Join(tmp, "diffs"), func() { os.RemoveAll(tmp) }
	}
	h, err := differential.StartHost(differential.HostOptions{Gastown: g.Dir})
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("gastown %s: %w", g.Dir, err)
	}
	c := &differential.Comparer{Host: h, Mode: g.Mode, DiffDir: dir, WallClock: time.Now}
	return c, func() { h.Close(); cleanup() }, nil
}

// caseDiffDir is where case i's differences go.
func (g *Gastown) caseDiffDir(i int) string {
	return filepath.Join(g.DiffDir, fmt.Sprintf("case-%d", i))
}
