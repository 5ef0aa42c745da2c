package explore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// Gastown runs a campaign's cases beside a gastown checkout through the
// wiring of the property runs (scenarios.Gastown.Wire): one Node host per
// run, which cmd/townsim supplies as a StartHost.
//
// In compare mode the port drives every run; its reconcile passes, and
// (unless Compare leaves them out) every event applied and every action
// executed, are compared with the original's, and any difference fails
// the case (differential/same-actions-as-original). In drive mode the
// original's actions drive every run: the properties judge that run, and
// the differences are counted (CaseResult.Gastown), not failures; the
// determinism property runs the case a second time, driven again.
type Gastown struct {
	// Dir is the checkout; Mode ModeCompare or ModeDrive.
	Dir  string `json:"dir"`
	Mode string `json:"mode"`
	// Compare names what compare mode compares: reconcile, events,
	// actions (none: all three). Drive mode compares reconcile only.
	Compare []string `json:"compare,omitempty"`
	// DiffDir receives each case's differences, under case-N (a shrink's
	// runs keep none).
	DiffDir string `json:"diff_dir"`

	// start starts a run's host (set by Handler and InProcess).
	start StartHost
}

// Gastown modes (the values of --gastown-mode).
const (
	ModeCompare = "compare"
	ModeDrive   = "drive"
)

// StartHost starts the differential host of one run on g's checkout
// (differential.StartHost; the caller closes it).
type StartHost func(g *Gastown) (*differential.Host, error)

// GastownCounts are what a case compared with the original: its
// reconcile passes, and its events and action steps (compare mode), with
// those that differed.
type GastownCounts struct {
	Compared int `json:"compared"`
	Differed int `json:"differed"`
	// Steps and StepsDiffered count the events applied and the action
	// steps (synchronous parts and side effects) compared.
	Steps         int `json:"steps,omitempty"`
	StepsDiffered int `json:"steps_differed,omitempty"`
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
// checkout when g is set, wired as the property runs wire it
// (scenarios.Gastown.Wire). diffDir receives the differences ("" = a
// temporary folder, removed). It returns the counts of the comparison
// (nil without a checkout).
func (g *Gastown) check(cfg sim.Config, b scenarios.Bounds, det bool, diffDir string) (*scenarios.Report, *GastownCounts, error) {
	if g == nil {
		rep, err := scenarios.Check(cfg, b, scenarios.CheckOptions{Determinism: det})
		return rep, nil, err
	}
	h, dir, done, err := g.host(diffDir)
	if err != nil {
		return nil, nil, err
	}
	sg := scenarios.Gastown{Host: h, Mode: differential.Mode(g.Mode), DiffDir: dir, Compare: g.Compare}
	// In compare mode the second run is the port's alone; in drive mode
	// Wire leaves it out and it is run below, driven again.
	opts, j, err := sg.Wire(scenarios.CheckOptions{Determinism: det})
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("gastown %s: %w", g.Dir, err)
	}
	opts.Run.Interrupted = func() bool { return judgeErr(j) != nil } // a dead host ends the run
	rep, err := scenarios.Check(cfg, b, opts)
	done()
	if err == nil && judgeErr(j) != nil {
		err = fmt.Errorf("gastown %s: %w", g.Dir, judgeErr(j))
	}
	if err != nil {
		return nil, nil, err
	}
	counts := &GastownCounts{Compared: j.Stats.Compared, Differed: j.Stats.Differed}
	if x := j.Exec; x != nil {
		counts.Steps = x.EventStats.Compared + x.ActionStats.Compared
		counts.StepsDiffered = x.Differed()
	}
	if det && g.Mode == ModeDrive {
		h2, dir2, done2, err := g.host("")
		if err != nil {
			return nil, nil, err
		}
		j2 := differential.NewJudge(h2, differential.ModeDrive, dir2)
		again, err := sim.Run(cfg, sim.RunOptions{Reconcile: j2.Reconcile, Interrupted: func() bool { return j2.Err() != nil }})
		done2()
		if err == nil && j2.Err() != nil {
			err = fmt.Errorf("gastown %s: %w", g.Dir, j2.Err())
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

// judgeErr is the failure that made a run's comparison invalid (the host
// died, a difference could not be saved), if any.
func judgeErr(j *differential.Judge) error {
	if err := j.Err(); err != nil {
		return err
	}
	if j.Exec != nil {
		return j.Exec.Err()
	}
	return nil
}

// host starts a run's host, its differences going to dir (a temporary
// folder when dir is ""); done closes it and removes a temporary folder.
func (g *Gastown) host(dir string) (*differential.Host, string, func(), error) {
	if g.start == nil {
		return nil, "", nil, errors.New("--gastown: this process was started without a host (explore.Handler or InProcess.Start)")
	}
	cleanup := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "townsim-explore-diffs-")
		if err != nil {
			return nil, "", nil, err
		}
		dir, cleanup = filepath.Join(tmp, "diffs"), func() { os.RemoveAll(tmp) }
	}
	h, err := g.start(g)
	if err != nil {
		cleanup()
		return nil, "", nil, fmt.Errorf("gastown %s: %w", g.Dir, err)
	}
	return h, dir, func() { h.Close(); cleanup() }, nil
}

// caseDiffDir is where case i's differences go.
func (g *Gastown) caseDiffDir(i int) string {
	return filepath.Join(g.DiffDir, fmt.Sprintf("case-%d", i))
}
