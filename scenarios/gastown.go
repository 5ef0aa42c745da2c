package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/sim"
)

// PropOriginalUnusable names the verdict of a judged run whose gastown
// checkout could not run the town: in drive mode its reconcile emitted an
// action the port cannot apply, or threw on every pass, or the host
// failed. It is not a property of the Town, so Properties does not list
// it; a run with it fails.
const PropOriginalUnusable = "differential/original-unusable"

// Gastown is a gastown checkout's own reconcile in a judged run: beside
// the port's (compare mode: any difference fails PropDifferential) or in
// its place (drive mode: the properties judge the original's run, and
// the differences from the port are counted and saved, failing only when
// Strict). One Host serves any number of runs, one at a time.
type Gastown struct {
	// Host runs the checkout's reconcile (differential.StartHost).
	Host *differential.Host
	// Mode is compare or drive ("" = compare).
	Mode differential.Mode
	// DiffDir receives every difference (created at the first one); it
	// must be set, and a new folder per run keeps their files apart.
	DiffDir string
	// SaveLimit, when positive, saves only the first SaveLimit differences
	// of a run (all are counted and attributed to rules).
	SaveLimit int
	// Strict, in drive mode, makes a difference from the port fail
	// PropDifferential as in compare mode.
	Strict bool
	// Compare names what compare mode compares: "reconcile", "events"
	// (each event applied), "actions" (each action executed); none: all
	// three the checkout supports. Drive mode compares reconcile only.
	Compare []string
}

// compareKinds are the names Gastown.Compare takes.
var compareKinds = []string{"reconcile", "events", "actions"}

// GastownResult is what the checkout's reconcile did in one judged run.
type GastownResult struct {
	// Mode is the mode it ran in.
	Mode string `json:"mode"`
	// Stats count the passes compared with the port and the differences
	// by rule and action type.
	Stats differential.Stats `json:"stats"`
	// Events and Actions, in compare mode, count the events applied and
	// the action steps compared with the checkout's, by type.
	Events  *differential.ExecStats `json:"events,omitempty"`
	Actions *differential.ExecStats `json:"actions,omitempty"`
	// DiffDir holds the saved differences (none saved when nothing differed).
	DiffDir string `json:"diff_dir,omitempty"`
	// OriginalThrew counts the passes in which, in drive mode, the
	// original threw (the pass applied no action).
	OriginalThrew int `json:"original_threw,omitempty"`
	// Verdict, when set, says why the checkout could not run the town
	// (PropOriginalUnusable).
	Verdict string `json:"verdict,omitempty"`
	// Failing lists the distinct properties that failed, in the order
	// they first did (a CaseResult names only the first).
	Failing []string `json:"failing,omitempty"`
}

// Wire returns opts with the checkout's reconcile in the run (and, in
// compare mode or when Strict, the differences judged), and the Judge to
// read after the run. In drive mode the determinism run is left out: it
// re-runs the port alone, which is not the run that was judged.
func (g Gastown) Wire(opts CheckOptions) (CheckOptions, *differential.Judge, error) {
	if g.Host == nil {
		return opts, nil, errors.New("gastown: no host")
	}
	if g.DiffDir == "" {
		return opts, nil, errors.New("gastown: no folder for the differences")
	}
	mode := g.Mode
	if mode == "" {
		mode = differential.ModeCompare
	}
	if _, err := differential.ParseMode(string(mode)); err != nil {
		return opts, nil, fmt.Errorf("gastown: %v", err)
	}
	kinds := map[string]bool{}
	for _, k := range g.Compare {
		if !slices.Contains(compareKinds, k) {
			return opts, nil, fmt.Errorf("gastown: unknown comparison %q (a list of %s)", k, strings.Join(compareKinds, ", "))
		}
		kinds[k] = true
	}
	all := len(kinds) == 0
	j := differential.NewJudge(g.Host, mode, g.DiffDir)
	j.SaveLimit = g.SaveLimit
	if all || kinds["reconcile"] || mode == differential.ModeDrive {
		opts.Run.Reconcile = j.Reconcile
	}
	if mode == differential.ModeCompare && (all || kinds["events"] || kinds["actions"]) {
		// Drive mode stays reconcile-only (docs/differential.md).
		x := &differential.ExecComparer{Host: g.Host, Events: g.Host.Exec.ApplyEvent && (all || kinds["events"]),
			Actions: g.Host.Exec.ApplyAction && (all || kinds["actions"]), DiffDir: g.DiffDir}
		opts.Run.Events, opts.Run.Apply = x, x.Apply
		j.Exec = x
	}
	if mode == differential.ModeCompare || g.Strict {
		opts.Differences = func() int {
			n := j.Stats.Differed
			if j.Exec != nil {
				n += j.Exec.Differed()
			}
			return n
		}
	}
	if mode == differential.ModeDrive {
		opts.Determinism = false
	}
	return opts, j, nil
}

// gastownResult sums up what the judge saw.
func gastownResult(g Gastown, j *differential.Judge) GastownResult {
	r := GastownResult{Mode: string(j.Mode), Stats: j.Stats, OriginalThrew: j.OriginalThrew, Verdict: j.Verdict()}
	if j.Exec != nil {
		r.Events, r.Actions = &j.Exec.EventStats, &j.Exec.ActionStats
	}
	if j.Stats.Differed > 0 || (j.Exec != nil && j.Exec.Differed() > 0) {
		r.DiffDir = g.DiffDir
	}
	return r
}

// CheckGastown is Check with the checkout's reconcile in the run (Wire):
// the report, and what the checkout did. A verdict (the checkout could
// not run the town) is the report's first failure, PropOriginalUnusable,
// naming the action or the error; it is not an error of CheckGastown,
// which fails only when the run itself cannot be made.
func CheckGastown(cfg sim.Config, bounds Bounds, opts CheckOptions, g Gastown) (*Report, GastownResult, error) {
	opts, j, err := g.Wire(opts)
	if err != nil {
		return nil, GastownResult{}, err
	}
	rep, err := Check(cfg, bounds, opts)
	if err != nil {
		return nil, GastownResult{}, err
	}
	res := gastownResult(g, j)
	if res.Verdict != "" {
		end := cfg.Start.Add(cfg.Duration)
		v := Violation{Property: PropOriginalUnusable, At: end, Tick: rep.Result.Ticks, Detail: res.Verdict}
		rep.Failures = append([]Violation{v}, rep.Failures...)
	}
	return rep, res, nil
}

// RunCaseGastown runs one suite case as RunCase does, with the checkout's
// reconcile in the run; g.DiffDir gets a sub-folder per case (named after
// it). It is the call of `townsim history` and of the explore command's
// --gastown: one Host, any number of cases, each judged by every property.
func RunCaseGastown(c SuiteCase, opts SuiteOptions, g Gastown) (res CaseResult, gr GastownResult) {
	res.Case = c.Name
	defer func() {
		if r := recover(); r != nil {
			res = CaseResult{Case: c.Name, Property: PropRunError, Failures: 1, Error: fmt.Sprintf("panic: %v", r)}
			res.Detail = firstLine(res.Error)
		}
	}()
	cfg := c.Config
	if opts.DurationCap > 0 && cfg.Duration > opts.DurationCap {
		cfg.Duration = opts.DurationCap
	}
	g.DiffDir = filepath.Join(g.DiffDir, caseDir(c.Name))
	rep, gr, err := CheckGastown(cfg, c.Bounds, CheckOptions{StopOnFailure: opts.StopOnFailure,
		Determinism: c.Determinism && !opts.StopOnFailure}, g)
	if err != nil {
		return CaseResult{Case: c.Name, Property: PropRunError, Failures: 1, Error: err.Error(), Detail: firstLine(err.Error())}, gr
	}
	gr.Failing = failingProperties(rep)
	return caseResult(c.Name, rep), gr
}

// caseDir is a case's folder name: its name with path separators replaced.
func caseDir(name string) string {
	out := []rune(name)
	for i, r := range out {
		if r == '/' || r == os.PathSeparator || r == '#' {
			out[i] = '-'
		}
	}
	if len(out) == 0 {
		return "case"
	}
	return string(out)
}

// caseResult is a case's result from its report.
func caseResult(name string, rep *Report) CaseResult {
	res := CaseResult{Case: name, Passed: !rep.Failed(), Failures: len(rep.Failures),
		Ticks: rep.Result.Ticks, TraceHash: rep.Result.TraceHash}
	if len(rep.Accepted) > 0 {
		res.Accepted = rep.Accepted
	}
	if rep.Failed() {
		v := rep.Failures[0]
		res.Property, res.Entity, res.Rule, res.Tick, res.Detail = v.Property, v.Entity, v.Rule, v.Tick, v.Detail
	}
	return res
}

// failingProperties lists the distinct properties of a report's
// failures, in the order they first failed.
func failingProperties(rep *Report) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range rep.Failures {
		if !seen[v.Property] {
			seen[v.Property] = true
			out = append(out, v.Property)
		}
	}
	return out
}
