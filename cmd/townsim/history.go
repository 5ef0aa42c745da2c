package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/townsim/townsim/scenarios"
)

// historyFlags are the flags of `townsim history`.
type historyFlags struct {
	gitDir    string
	rng       string
	commits   string
	scenarios string
	cap       time.Duration
	jobs      int
	out       string
	asJSON    bool
	bisect    string
	strict    bool
	maxDiffs  int
}

// historyDefaultScenarios are the scenarios history runs without --scenarios.
const historyDefaultScenarios = "fresh-town,healthy-steady"

// historyReport is the whole history: its options and a row per commit.
type historyReport struct {
	GitDir    string          `json:"git_dir"`
	Range     string          `json:"range,omitempty"`
	Scenarios []string        `json:"scenarios"`
	Cap       string          `json:"duration_cap"`
	Strict    bool            `json:"strict"`
	Commits   []historyCommit `json:"commits"`
	Bisect    *bisectResult   `json:"bisect,omitempty"`
}

// historyCommand is `townsim history`: a gastown git history judged
// commit by commit, each commit's reconcile driving the named scenarios
// under every property.
func historyCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("townsim history", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f historyFlags
	fs.StringVar(&f.gitDir, "gastown-git", "", "a git repository of gastown (a clone of Kilo-Org/cloud or a fork; bare is fine)")
	fs.StringVar(&f.rng, "range", "", "the commits A..B (or one revision: its whole history) whose changes to the reconciler's sources are judged (default HEAD)")
	fs.StringVar(&f.commits, "commits", "", "judge these commits (comma-separated revisions) instead of a range")
	fs.StringVar(&f.scenarios, "scenarios", historyDefaultScenarios, "named scenarios to run at each commit (comma-separated, or all)")
	fs.DurationVar(&f.cap, "duration-cap", 30*time.Minute, "shorten every scenario to at most this much simulated time (0 = each scenario's own length)")
	fs.IntVar(&f.jobs, "j", 1, "commits judged at once, each in a worker process")
	fs.StringVar(&f.out, "out", "", "folder for the report and the differences (default: a new ./gastown-history, -2, ...); must not exist")
	fs.BoolVar(&f.asJSON, "json", false, "print the report as one JSON object instead of the table")
	fs.StringVar(&f.bisect, "bisect", "", "find the first commit where this property starts or stops failing (judges only the commits the search needs)")
	fs.BoolVar(&f.strict, "strict", false, "a difference from the port fails too (differential/same-actions-as-original)")
	fs.IntVar(&f.maxDiffs, "max-diffs", 20, "differences saved per commit and scenario (all are counted; 0 = save all)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "townsim history: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q (flags only)", fs.Arg(0))
	case f.gitDir == "":
		return bad("--gastown-git: required (a git repository of gastown)")
	case f.rng != "" && f.commits != "":
		return bad("--range and --commits: give one of them")
	case f.jobs < 1:
		return bad("-j: must be 1 or more, got %d", f.jobs)
	case f.cap < 0:
		return bad("--duration-cap: must be 0 or more, got %s", f.cap)
	case f.maxDiffs < 0:
		return bad("--max-diffs: must be 0 (save all) or more, got %d", f.maxDiffs)
	}
	if f.bisect != "" && !slices.Contains(scenarios.Properties(), f.bisect) && f.bisect != scenarios.PropOriginalUnusable {
		return bad("--bisect: unknown property %q (docs/properties.md lists them)", f.bisect)
	}
	names, err := scenarios.ParseScenarioList(f.scenarios)
	if err != nil {
		return bad("--scenarios: %v", err)
	}
	if _, err := git(f.gitDir, "rev-parse", "--git-dir"); err != nil {
		return bad("--gastown-git: %s is not a git repository: %v", f.gitDir, err)
	}
	var commits []string
	if f.commits != "" {
		if commits, err = resolveCommits(f.gitDir, strings.Split(f.commits, ",")); err != nil {
			return bad("--commits: %v", err)
		}
	} else {
		rng := f.rng
		if rng == "" {
			rng = "HEAD"
		}
		if commits, err = historyCommits(f.gitDir, rng); err != nil {
			return bad("--range: %v", err)
		}
		if len(commits) == 0 {
			return bad("--range: no commit in %s that holds a reconciler changes %s", rng, strings.Join(gastownLayouts, "/"+reconcilerSources+" or ")+"/"+reconcilerSources)
		}
	}
	if f.out == "" {
		f.out = freeDir("gastown-history")
	} else if _, err := os.Stat(f.out); err == nil {
		return bad("--out: %s already exists; give a new folder (a report is never overwritten)", f.out)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return bad("--out: %v", err)
	}
	gitAbs, _ := filepath.Abs(f.gitDir)
	rep := &historyReport{GitDir: gitAbs, Range: f.rng, Scenarios: names, Cap: f.cap.String(), Strict: f.strict}
	task := func(commit string) historyTask {
		return historyTask{GitDir: gitAbs, Commit: commit, Scenarios: names, Cap: f.cap, MaxDiffs: f.maxDiffs,
			Strict: f.strict, DiffDir: filepath.Join(f.out, "diffs", commit[:12])}
	}
	run, closeRun, err := historyRunner(f.jobs, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "townsim history: %v\n", err)
		return 1
	}
	defer closeRun()
	progress := func(c historyCommit) {
		status := "ok"
		switch {
		case c.Error != "":
			status = "error: " + historyFirstLine(c.Error)
		case c.failed():
			status = "properties fail"
		}
		fmt.Fprintf(stderr, "townsim history: %s %s %s (%.0fs)\n", c.Commit[:12], c.Date[:min(10, len(c.Date))], status, c.Seconds)
	}
	fmt.Fprintf(stderr, "townsim history: %d commits, scenarios %s, %d at once; report in %s\n", len(commits), strings.Join(names, ","), f.jobs, f.out)
	if f.bisect != "" {
		rep.Bisect, rep.Commits = bisect(commits, f.bisect, func(c string) historyCommit {
			r := run([]historyTask{task(c)})[0]
			progress(r)
			return r
		})
	} else {
		tasks := make([]historyTask, len(commits))
		for i, c := range commits {
			tasks[i] = task(c)
		}
		rep.Commits = run(tasks, progress)
	}
	if err := writeHistoryFiles(f.out, rep); err != nil {
		fmt.Fprintf(stderr, "townsim history: %v\n", err)
		return 1
	}
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = writeHistoryTable(stdout, rep)
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(f.out, "history.md"))
	}
	if err != nil {
		fmt.Fprintf(stderr, "townsim history: %v\n", err)
		return 1
	}
	for _, c := range rep.Commits {
		if c.failed() {
			return 1
		}
	}
	return 0
}

// historyRunner returns the function that judges tasks, in the order
// given whatever the order they finish in: in this process with -j 1,
// else in j worker processes.
func historyRunner(jobs int, stderr io.Writer) (func([]historyTask, ...func(historyCommit)) []historyCommit, func(), error) {
	if jobs == 1 {
		return func(ts []historyTask, progress ...func(historyCommit)) []historyCommit {
			out := make([]historyCommit, len(ts))
			for i, t := range ts {
				out[i] = runHistoryTask(t)
				for _, p := range progress {
					p(out[i])
				}
			}
			return out
		}, func() {}, nil
	}
	pool, err := startWorkers(jobs, stderr, "history")
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	return func(ts []historyTask, progress ...func(historyCommit)) []historyCommit {
		out := make([]historyCommit, len(ts))
		next := 0
		var wg sync.WaitGroup
		for range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= len(ts) {
						return
					}
					var r historyCommit
					if _, err := pool.Do(context.Background(), ts[i], &r); err != nil {
						r = historyCommit{Commit: ts[i].Commit, Error: "worker: " + err.Error(), Cases: []historyCase{}}
					}
					mu.Lock()
					out[i] = r
					for _, p := range progress {
						p(r)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return out
	}, func() { pool.Close() }, nil
}

// bisectResult is what --bisect found.
type bisectResult struct {
	Property string `json:"property"`
	// First is the first commit whose status differs from the range's
	// first commit ("" when both ends agree); Starts says whether the
	// property starts (true) or stops (false) failing there.
	First  string `json:"first,omitempty"`
	Starts bool   `json:"starts,omitempty"`
	// Message says it in a sentence.
	Message string `json:"message"`
}

// fails reports whether a commit fails property in any case; ok is false
// when the commit could not be judged.
func fails(c historyCommit, property string) (failing, ok bool) {
	if c.Error != "" {
		return false, false
	}
	for _, k := range c.Cases {
		if slices.Contains(k.Failing, property) {
			return true, true
		}
	}
	return false, true
}

// bisect finds the first commit whose status for property differs from
// the first commit's, judging only the commits a binary search needs (a
// commit that cannot be judged is skipped, as git bisect skip does). It
// returns the result and the commits judged, in history order.
func bisect(commits []string, property string, judge func(string) historyCommit) (*bisectResult, []historyCommit) {
	judged := map[int]historyCommit{}
	get := func(i int) historyCommit {
		if c, ok := judged[i]; ok {
			return c
		}
		judged[i] = judge(commits[i])
		return judged[i]
	}
	rows := func() []historyCommit {
		var out []historyCommit
		for i := range commits {
			if c, ok := judged[i]; ok {
				out = append(out, c)
			}
		}
		return out
	}
	res := &bisectResult{Property: property}
	// The first and last judgeable commits.
	lo, hi := 0, len(commits)-1
	var s0, sN bool
	for ; lo <= hi; lo++ {
		if st, ok := fails(get(lo), property); ok {
			s0 = st
			break
		}
	}
	for ; hi > lo; hi-- {
		if st, ok := fails(get(hi), property); ok {
			sN = st
			break
		}
	}
	word := map[bool]string{true: "fails", false: "passes"}
	if lo > hi || hi == lo || s0 == sN {
		res.Message = fmt.Sprintf("%s %s at both ends of the range: no change to bisect", property, word[s0])
		if lo > hi {
			res.Message = "no commit of the range could be judged"
		}
		return res, rows()
	}
	// Invariant: lo has s0, hi has sN; find the first with sN.
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		m := mid
		st, ok := fails(get(m), property)
		for !ok && m+1 < hi {
			m++
			st, ok = fails(get(m), property)
		}
		if !ok { // every commit between mid and hi is unjudgeable: look below mid
			for m = mid - 1; m > lo; m-- {
				if st, ok = fails(get(m), property); ok {
					break
				}
			}
			if !ok {
				break
			}
		}
		if st == s0 {
			lo = m
		} else {
			hi = m
		}
	}
	c := get(hi)
	res.First, res.Starts = c.Commit, sN
	starts := map[bool]string{true: "starts failing", false: "stops failing"}
	res.Message = fmt.Sprintf("%s %s at %s (%s %s)", property, starts[sN], c.Commit[:12], c.Date[:min(10, len(c.Date))], c.Subject)
	if hi-lo > 1 {
		res.Message += fmt.Sprintf("; the %d commits before it could not be judged", hi-lo-1)
	}
	return res, rows()
}
