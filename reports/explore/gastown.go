package explore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// Gastown runs a campaign's cases beside a gastown checkout's own
// reconcile (differential mode, the comparer of `townsim run --gastown
// --gastown-mode MODE`, which cmd/townsim supplies as a StartComparer):
// one Node host per run.
//
// In compare mode the port's actions drive every run and a reconcile
// pass whose actions differ from the original's fails the case
// (differential/same-actions-as-original). In drive mode the original's
// actions drive every run: the properties judge that run, and the
// differences are counted (CaseResult.Gastown), not failures; the
// determinism property runs the case a second time, driven again.
type Gastown struct {
	// Dir is the checkout; Mode ModeCompare or ModeDrive.
	Dir  string `json:"dir"`
	Mode string `json:"mode"`
	// DiffDir receives each case's differences, under case-N (a shrink's
	// runs keep none).
	DiffDir string `json:"diff_dir"`

	// start starts a run's comparer (set by Handler and InProcess).
	start StartComparer
}

// Gastown modes (the values of --gastown-mode).
const (
	ModeCompare = "compare"
	ModeDrive   = "drive"
)

// Comparer is another reconcile run beside the port's during one run:
// cmd/townsim's wraps differential.Comparer and its Node host.
type Comparer interface {
	// Reconcile is the run's reconcile pass (an alarm.ReconcileFunc):
	// the port's actions in compare mode, the original's in drive mode.
	Reconcile(t *model.Town, now time.Time, o reconciler.Options) ([]reconciler.Action, error)
	// Counts are the passes compared and those that differed so far.
	Counts() (compared, differed int)
	// Err is the failure that made the comparison invalid (the host
	// died), if any.
	Err() error
	// Close ends it (its host).
	Close()
}

// StartComparer starts the comparer of one run beside g's checkout in g's
// mode, saving its differences to diffDir.
type StartComparer func(g *Gastown, diffDir string) (Comparer, error)

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
	if g.Mode == ModeDrive {
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
	if g.Mode == ModeCompare {
		opts.Determinism = det // the second run is the port's alone, as in compare mode
		opts.Differences = func() int { _, d := c.Counts(); return d }
	}
	rep, err := scenarios.Check(cfg, b, opts)
	done()
	if err == nil && c.Err() != nil {
		err = fmt.Errorf("gastown %s: %w", g.Dir, c.Err())
	}
	if err != nil {
		return nil, nil, err
	}
	compared, differed := c.Counts()
	counts := &GastownCounts{Compared: compared, Differed: differed}
	if det && g.Mode == ModeDrive {
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

// comparer starts a run's comparer saving differences to dir (a
// temporary folder when dir is ""); done closes it.
func (g *Gastown) comparer(dir string) (Comparer, func(), error) {
	if g.start == nil {
		return nil, nil, errors.New("--gastown: this process was started without a comparer (explore.Handler or InProcess.Start)")
	}
	cleanup := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "townsim-explore-diffs-")
		if err != nil {
			return nil, nil, err
		}
		dir, cleanup = filepath.Join(tmp, "diffs"), func() { os.RemoveAll(tmp) }
	}
	c, err := g.start(g, dir)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("gastown %s: %w", g.Dir, err)
	}
	return c, func() { c.Close(); cleanup() }, nil
}

// caseDiffDir is where case i's differences go.
func (g *Gastown) caseDiffDir(i int) string {
	return filepath.Join(g.DiffDir, fmt.Sprintf("case-%d", i))
}
