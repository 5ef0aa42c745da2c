package mutate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Outcomes of a mutant.
const (
	// Killed: the judge failed on the mutant (a property, or the run
	// erred or crashed).
	Killed = "killed"
	// Survived: the judge passed on the mutant.
	Survived = "survived"
	// Timeout: the judge did not finish within the timeout (counted as
	// killed in the score, reported apart).
	Timeout = "timeout"
	// DidNotBuild: the mutant does not compile (not in the score).
	DidNotBuild = "did-not-build"
	// Equivalent: listed in the equivalent-mutants file (not run, not in
	// the score).
	Equivalent = "equivalent"
	// NotRun: the budget ran out before it started.
	NotRun = "not-run"
)

// NotReachedBy is the KilledBy text of a survivor that was not judged
// because the unmutated suite never runs its code (Runner.Coverage).
const NotReachedBy = "not reached: the unmutated suite never runs this code (a missing scenario)"

// NotReached reports whether the result is a survivor that was not judged
// because the unmutated suite never runs its code.
func (r Result) NotReached() bool { return r.Outcome == Survived && r.KilledBy == NotReachedBy }

// Result is what happened to one mutant.
type Result struct {
	Mutant
	// Outcome is one of Killed, Survived, Timeout, DidNotBuild,
	// Equivalent, NotRun.
	Outcome string `json:"outcome"`
	// KilledBy names the case and property that failed first
	// ("case: property"), or the crash, or the build error's first line.
	KilledBy string `json:"killed_by,omitempty"`
	// Reason is the equivalent-list reason for Equivalent.
	Reason string `json:"reason,omitempty"`
	// BuildSeconds and RunSeconds are the wall-clock times of its build
	// and its judge run.
	BuildSeconds float64 `json:"build_seconds"`
	RunSeconds   float64 `json:"run_seconds"`
}

// Runner builds mutants and judges them.
type Runner struct {
	// Root is the module root; Main the package to build ("./cmd/townsim").
	Root, Main string
	// Judge are the arguments of the built binary that judge it, e.g.
	// ["check", "--fail-fast", "--json"]. Its stdout must be JSON
	// {"passed": bool, "cases": [{"case", "passed", "property", "entity",
	// "rule", "error"}]}; exit 0 passes, any other status fails.
	Judge []string
	// Timeout bounds one judge run; BuildTimeout one build.
	Timeout, BuildTimeout time.Duration
	// Jobs is how many mutants are built and judged at once (processes).
	Jobs int
	// Budget, when positive, stops starting mutants after it has passed.
	Budget time.Duration
	// Sources holds each file's original content (from Generate).
	Sources map[string][]byte
	// Progress, when set, is called with each result as it is known.
	Progress func(done, total int, r Result)
	// Coverage, when set, makes Baseline build the unmutated binary with
	// coverage and record which code its judge ran; Run then marks a
	// mutant whose code that run never reached Survived (NotReached)
	// after building it, without judging it.
	Coverage bool
	// Module is the module path of Root (go.mod's module line), which
	// the cover profile's file names start with; needed with Coverage.
	Module string

	reached *Coverage
}

// judged is the part of the judge's JSON the runner reads.
type judged struct {
	Passed *bool `json:"passed"`
	Cases  []struct {
		Case     string `json:"case"`
		Passed   bool   `json:"passed"`
		Property string `json:"property"`
		Entity   string `json:"entity"`
		Rule     string `json:"rule"`
		Error    string `json:"error"`
	} `json:"cases"`
}

// Baseline builds the unmutated binary and judges it. It returns the
// judge's wall-clock time, or an error when the build fails or the judge
// does not pass: mutants cannot be judged by a suite that fails.
func (r *Runner) Baseline(ctx context.Context) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "townsim-mutate-base-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "townsim")
	var flags, env []string
	covDir := filepath.Join(dir, "cover")
	if r.Coverage {
		if err := os.Mkdir(covDir, 0o755); err != nil {
			return 0, err
		}
		flags, env = []string{"-cover"}, []string{"GOCOVERDIR=" + covDir}
	}
	if out, err := r.build(ctx, bin, "", flags...); err != nil {
		return 0, fmt.Errorf("the unmutated tree does not build: %v\n%s", err, out)
	}
	start := time.Now()
	verdict, by, err := r.judge(ctx, bin, 0, env...)
	took := time.Since(start)
	if err != nil {
		return took, err
	}
	if verdict != Survived {
		return took, fmt.Errorf("the unmutated suite does not pass (%s: %s); fix it before measuring mutants", verdict, by)
	}
	if r.Coverage {
		if r.reached, err = r.readCoverage(ctx, covDir); err != nil {
			return took, fmt.Errorf("the unmutated suite's coverage: %v", err)
		}
	}
	return took, nil
}

// readCoverage converts the counters the judge wrote into covDir to a
// text profile and parses it.
func (r *Runner) readCoverage(ctx context.Context, covDir string) (*Coverage, error) {
	prof := filepath.Join(covDir, "profile.txt")
	cmd := exec.CommandContext(ctx, "go", "tool", "covdata", "textfmt", "-i", covDir, "-o", prof)
	cmd.Dir = r.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go tool covdata: %v: %s", err, bytes.TrimSpace(out))
	}
	f, err := os.Open(prof)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := ParseCoverProfile(f, r.Module)
	if err == nil && len(c.blocks) == 0 {
		err = fmt.Errorf("the profile names no file of module %q", r.Module)
	}
	return c, err
}

// Run judges every mutant, Jobs at a time, and returns their results in
// the mutants' order. A mutant not started when the budget has passed
// (or ctx is done) is NotRun.
func (r *Runner) Run(ctx context.Context, ms []Mutant) []Result {
	res := make([]Result, len(ms))
	start := time.Now()
	var mu sync.Mutex
	next, done := 0, 0
	// take returns the next mutant to start, marking those the budget
	// leaves out.
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		for next < len(ms) {
			i := next
			next++
			if ctx.Err() != nil || (r.Budget > 0 && time.Since(start) > r.Budget) {
				res[i] = Result{Mutant: ms[i], Outcome: NotRun}
				continue
			}
			return i, true
		}
		return 0, false
	}
	var wg sync.WaitGroup
	for range max(r.Jobs, 1) {
		wg.Go(func() {
			for i, ok := take(); ok; i, ok = take() {
				out := r.one(ctx, ms[i])
				mu.Lock()
				res[i] = out
				done++
				if r.Progress != nil {
					r.Progress(done, len(ms), out)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return res
}

// one builds and judges one mutant.
func (r *Runner) one(ctx context.Context, m Mutant) Result {
	res := Result{Mutant: m}
	dir, err := os.MkdirTemp("", "townsim-mutant-")
	if err != nil {
		res.Outcome, res.KilledBy = DidNotBuild, err.Error()
		return res
	}
	defer os.RemoveAll(dir)
	files, err := m.Files(r.Sources)
	if err != nil {
		res.Outcome, res.KilledBy = DidNotBuild, err.Error()
		return res
	}
	overlay, err := writeOverlay(dir, r.Root, files)
	if err != nil {
		res.Outcome, res.KilledBy = DidNotBuild, err.Error()
		return res
	}
	bin := filepath.Join(dir, "townsim")
	t0 := time.Now()
	out, err := r.build(ctx, bin, overlay)
	res.BuildSeconds = time.Since(t0).Seconds()
	if ctx.Err() != nil {
		res.Outcome = NotRun // interrupted: no verdict, not a build failure
		return res
	}
	if err != nil {
		res.Outcome, res.KilledBy = DidNotBuild, firstErrorLine(out, err)
		if ctx.Err() != nil { // interrupted, not a verdict on the mutant
			res.Outcome, res.KilledBy = NotRun, "interrupted during its build"
		}
		return res
	}
	if r.reached != nil && m.Line > 0 {
		if reached, known := r.reached.Reached(m.File, m.Line, m.Col); known && !reached {
			res.Outcome, res.KilledBy = Survived, NotReachedBy
			return res
		}
	}
	t1 := time.Now()
	verdict, by, err := r.judge(ctx, bin, r.Timeout)
	res.RunSeconds = time.Since(t1).Seconds()
	if ctx.Err() != nil {
		res.Outcome = NotRun // interrupted (--budget's Ctrl-C): no verdict, not a kill
		return res
	}
	if err != nil {
		verdict, by = Killed, err.Error()
		if ctx.Err() != nil { // interrupted, not a verdict on the mutant
			verdict, by = NotRun, "interrupted during its judge"
		}
	}
	res.Outcome, res.KilledBy = verdict, by
	return res
}

// writeOverlay writes each changed file (path relative to root → new
// content) into dir, one subdirectory per file so that equal base names do
// not collide, and the overlay.json that makes the build read them in
// place of the originals; it returns the overlay's path.
func writeOverlay(dir, root string, files map[string][]byte) (string, error) {
	replace := map[string]string{}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var errs []error
	for i, p := range paths {
		sub := filepath.Join(dir, fmt.Sprintf("f%d", i))
		file := filepath.Join(sub, filepath.Base(p))
		errs = append(errs, os.MkdirAll(sub, 0o755), os.WriteFile(file, files[p], 0o644))
		replace[filepath.Join(root, filepath.FromSlash(p))] = file
	}
	overlay := filepath.Join(dir, "overlay.json")
	data, _ := json.Marshal(map[string]map[string]string{"Replace": replace})
	errs = append(errs, os.WriteFile(overlay, data, 0o644))
	return overlay, errors.Join(errs...)
}

// build runs `go build [flags] [-overlay FILE] -ldflags=-s -w -o bin Main`
// in Root.
func (r *Runner) build(ctx context.Context, bin, overlay string, flags ...string) ([]byte, error) {
	if r.BuildTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.BuildTimeout)
		defer cancel()
	}
	args := append([]string{"build"}, flags...)
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	// No symbol table or DWARF: the binary is only run, and linking
	// without them is faster.
	args = append(args, "-ldflags=-s -w", "-o", bin, r.Main)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = r.Root
	return cmd.CombinedOutput()
}

// judge runs the judge on bin and classifies it: Survived when it passed,
// Killed (with the first failing case and property) when it failed,
// Timeout when it ran past timeout (0: none). env is added to the judge's
// environment.
func (r *Runner) judge(ctx context.Context, bin string, timeout time.Duration, env ...string) (string, string, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bin, r.Judge...)
	cmd.Dir = r.Root
	cmd.WaitDelay = 5 * time.Second
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return Timeout, fmt.Sprintf("no verdict within %s", timeout.Round(time.Second)), nil
	}
	if ctx.Err() != nil {
		return "", "", ctx.Err()
	}
	var j judged
	jerr := json.Unmarshal(stdout.Bytes(), &j)
	if err == nil {
		if jerr != nil || j.Passed == nil || !*j.Passed {
			return "", "", fmt.Errorf("the judge exited 0 without a passing JSON verdict: %s", clip(strings.TrimSpace(stdout.String()), 200))
		}
		return Survived, "", nil
	}
	if jerr == nil {
		for _, c := range j.Cases {
			if !c.Passed {
				by := c.Case + ": " + c.Property
				if c.Entity != "" {
					by += " " + c.Entity
				}
				if c.Rule != "" {
					by += " (rule " + c.Rule + ")"
				}
				return Killed, by, nil
			}
		}
	}
	return Killed, "crash: " + firstErrorLine(stderr.Bytes(), err), nil
}

// firstErrorLine is the first line of out that says something, or err.
func firstErrorLine(out []byte, err error) string {
	for l := range strings.SplitSeq(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return clip(l, 160)
		}
	}
	return err.Error()
}
