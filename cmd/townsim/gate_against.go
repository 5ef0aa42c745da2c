package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/townsim/townsim/reports/gate"
)

// builds are the two townsim binaries of `townsim gate --against REV`:
// the baseline built from REV in a temporary worktree, and the current
// one built from the working tree.
type builds struct {
	rev, short    string // as given, and the short commit it resolved to
	base, current string // the binaries
	cleanup       func()
}

// errNoRevision says that the revision is not in this clone (a shallow
// clone has no parent commit): the gate falls back to the stored baseline.
type errNoRevision struct{ msg string }

func (e errNoRevision) Error() string { return e.msg }

// git runs git in dir and returns its trimmed output.
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// buildAgainst builds the baseline from rev in a temporary worktree of
// the repository holding the current directory (removed by cleanup),
// and the current code from the working tree. Each build writes its own
// binary; both share the Go build cache.
func buildAgainst(rev string, progress func(string)) (*builds, error) {
	top, err := git(".", "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, errNoRevision{fmt.Sprintf("not inside a git repository (%v)", err)}
	}
	commit, err := git(top, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil || commit == "" {
		shallow, _ := git(top, "rev-parse", "--is-shallow-repository")
		why := "it is not a commit of this clone"
		if shallow == "true" {
			why = "this is a shallow clone without it"
		}
		return nil, errNoRevision{fmt.Sprintf("revision %q cannot be built: %s", rev, why)}
	}
	tmp, err := os.MkdirTemp("", "townsim-gate-")
	if err != nil {
		return nil, err
	}
	b := &builds{rev: rev, short: commit[:min(12, len(commit))],
		base: filepath.Join(tmp, "townsim-base"), current: filepath.Join(tmp, "townsim-current")}
	wt := filepath.Join(tmp, "src")
	var once sync.Once
	clean := func() {
		once.Do(func() {
			if _, err := os.Stat(wt); err == nil {
				if _, err := git(top, "worktree", "remove", "--force", wt); err != nil {
					fmt.Fprintf(os.Stderr, "townsim gate: removing the temporary worktree: %v\n", err)
				}
			}
			os.RemoveAll(tmp)
			git(top, "worktree", "prune")
		})
	}
	// Ctrl-C or SIGTERM while the builds exist removes the worktree and
	// the binaries before exiting (130); the children get the signal too.
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	notifyInterrupt(sigs)
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(os.Stderr, "townsim gate: %v: removing the temporary worktree and builds, then quitting\n", s)
			clean()
			exitNow(130)
		case <-done:
		}
	}()
	b.cleanup = func() {
		stopSignals(sigs)
		close(done)
		clean()
	}
	fail := func(err error) (*builds, error) {
		b.cleanup()
		return nil, err
	}
	if _, err := git(top, "worktree", "add", "--detach", wt, commit); err != nil {
		return fail(err)
	}
	goBuild := func(dir, out, what string) error {
		start := time.Now()
		// -trimpath keeps the temporary worktree's path out of the build
		// cache's keys, so the baseline's packages are cached across runs.
		cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./cmd/townsim")
		cmd.Dir = dir
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", what, err, errb.String())
		}
		progress(fmt.Sprintf("built %s in %s", what, time.Since(start).Round(100*time.Millisecond)))
		return nil
	}
	if err := goBuild(wt, b.base, "the baseline ("+rev+" = "+b.short+")"); err != nil {
		return fail(err)
	}
	if err := goBuild(top, b.current, "the current code (the working tree)"); err != nil {
		return fail(err)
	}
	return b, nil
}

// runArgs are the arguments of `townsim run` for a budgets entry: its
// resolved seed, duration, rigs and agents, so that both builds run
// exactly the same scenario. A scenario file is passed by its absolute
// path (the baseline runs in another folder's worktree).
func runArgs(b *gate.Budgets, e *gate.Entry) []string {
	sc := e.Scenario
	if gate.IsScenarioFile(sc) {
		if p, err := filepath.Abs(gate.ScenarioPath(sc, filepath.Dir(b.Path))); err == nil {
			sc = p
		}
	}
	c := e.Config
	return []string{"run", "--json", "--progress", "0", "--scenario", sc,
		"--seed", strconv.FormatUint(c.Seed, 10), "--duration", c.Duration.String(),
		"--rigs", strconv.Itoa(c.Rigs), "--agents", strconv.Itoa(c.Agents)}
}

// runChild runs one build once and measures it: the CPU time (user +
// system) of its process from the kernel's accounting, and its wall time.
func runChild(bin string, args, env []string) (gate.Sample, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return gate.Sample{}, fmt.Errorf("%s %s: %v: %s", filepath.Base(bin), strings.Join(args, " "), err, lastLines(errb.String(), 5))
	}
	st := cmd.ProcessState
	s := gate.Sample{CPU: st.UserTime() + st.SystemTime(), Wall: wall}
	var summary struct {
		TraceHash string `json:"trace_hash"`
	}
	if json.Unmarshal(out.Bytes(), &summary) == nil {
		s.TraceHash = summary.TraceHash
	}
	return s, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// gateAgainst times the against entries of b in pairs with the two
// builds and adds their judgement to the report.
func gateAgainst(f *gateFlags, b *gate.Budgets, bl *builds, report *gate.Report, stderr io.Writer) error {
	pairs := b.Against.Pairs
	if f.pairs > 0 {
		pairs = f.pairs
	}
	var env []string
	if f.testExtraWork > 0 {
		env = []string{testExtraWorkEnv + "=" + strconv.FormatFloat(f.testExtraWork, 'g', -1, 64)}
		fmt.Fprintf(stderr, "townsim gate: TEST ONLY: the current build's ticks do %g times their CPU work again (--test-extra-work)\n", f.testExtraWork)
	}
	for _, name := range b.Against.Scenarios {
		var e *gate.Entry
		for i := range b.Scenarios {
			if b.Scenarios[i].Name == name {
				e = &b.Scenarios[i]
			}
		}
		if e == nil {
			continue // left out by --scenarios
		}
		args := runArgs(b, e)
		fmt.Fprintf(stderr, "townsim gate: %s: %d pairs, %s (%s) then the current build, alternately: townsim %s\n",
			name, pairs, bl.rev, bl.short, strings.Join(args, " "))
		run := func(s gate.Side, _ int) (gate.Sample, error) {
			if s == gate.SideBase {
				return runChild(bl.base, args, nil)
			}
			return runChild(bl.current, args, env)
		}
		ps, err := gate.RunPairs(pairs, *b.Against.Warmup, run, func(s string) {
			fmt.Fprintf(stderr, "townsim gate: %s: %s\n", name, s)
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		report.Add(gate.JudgePaired(b, name, bl.rev, ps))
	}
	return nil
}
