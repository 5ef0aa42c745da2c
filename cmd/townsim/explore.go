package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/procpool"
	"github.com/townsim/townsim/reports/explore"
	"github.com/townsim/townsim/reports/sweep"
	"github.com/townsim/townsim/scenarios"
)

// workerCommand is the hidden subcommand a worker process runs: the
// townsim binary re-executed by the pool (procpool.Self).
const workerCommand = "_worker"

// exploreFlags are `townsim explore`'s flags.
type exploreFlags struct {
	budget     time.Duration
	cases      int
	scenarios  string
	generate   bool
	swarm      bool
	jobs       int
	seed       uint64
	out        string
	shard      string
	mutant     string
	shrinkRuns int
	gastown    string
	mode       string
	diffs      string
	compare    string
	// asJSON, failFast and known make the campaign a judge (mutate
	// --judge explore); outSet says --out was given.
	asJSON, failFast, outSet bool
	known                    string
}

func parseExploreFlags(args []string, stderr io.Writer, getenv func(string) string) (*exploreFlags, explore.Options, error) {
	f := &exploreFlags{}
	fs := flag.NewFlagSet("townsim explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&f.budget, "budget", 0, "run cases until this real time has passed (default 30m when --cases is not given)")
	fs.IntVar(&f.cases, "cases", 0, "run this many cases of the campaign (indices 0..N-1; a shard runs its slice)")
	fs.StringVar(&f.scenarios, "scenarios", "", "draw named scenarios with new seeds: a comma-separated list, or all")
	fs.BoolVar(&f.generate, "generate", false, "draw generated towns (the property run's generator; the default without --scenarios)")
	fs.BoolVar(&f.swarm, "swarm", false, "turn the fault swarm on in every case")
	fs.IntVar(&f.jobs, "j", runtime.NumCPU(), "worker processes (0 runs the cases in this process, one at a time)")
	fs.Uint64Var(&f.seed, "seed", 1, "campaign seed: every case is a pure function of (seed, case index)")
	fs.StringVar(&f.out, "out", "", "report folder to create (must not exist; default explore-SEED, or explore-SEED-shard-I-of-N)")
	fs.StringVar(&f.shard, "shard", "", "run shard I of N (I/N, 0 ≤ I < N): the case indices i with i mod N = I; default from JOB_COMPLETION_INDEX and JOB_COMPLETIONS")
	fs.StringVar(&f.mutant, "mutant", "", "open every case's Town with a deliberate bug (measures what the campaign catches): "+strings.Join(model.MutantNames(), ", "))
	fs.IntVar(&f.shrinkRuns, "shrink-runs", explore.DefaultShrinkRuns, "at most this many runs to shrink one failure")
	fs.StringVar(&f.gastown, "gastown", "", "run every case beside this gastown checkout's own reconcile (one Node host per run)")
	fs.StringVar(&f.mode, "gastown-mode", string(differential.ModeCompare), "with --gastown: compare (the port drives; a differing pass fails the case) or drive (the original drives; the properties judge the run, differences are counted)")
	fs.BoolVar(&f.asJSON, "json", false, "print a verdict as JSON (passed, and the failing cases; the form of townsim check --json) instead of the summary; the report folder is written only with --out")
	fs.BoolVar(&f.failFast, "fail-fast", false, "stop at the first case that fails (in a way --known does not show) or cannot run; shrink nothing")
	fs.StringVar(&f.known, "known", "", "an earlier report (report.json or its folder) of the same campaign: a failure it shows for the same case is known, not counted by --json, --fail-fast or the exit status")
	fs.StringVar(&f.diffs, "diffs", "", "with --gastown: folder for the cases' differences (default OUT-gastown-diffs; must be new or hold no differences)")
	fs.StringVar(&f.compare, "compare", strings.Join(compareKinds, ","), "with --gastown: what compare mode compares, a list of reconcile, events (each event applied) and actions (each action executed)")
	if err := fs.Parse(args); err != nil {
		return nil, explore.Options{}, err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	f.outSet = set["out"]
	o := explore.Options{Cases: f.cases, Budget: f.budget, Jobs: f.jobs, ShrinkRuns: f.shrinkRuns, Shards: 1}
	switch {
	case fs.NArg() > 0:
		return nil, o, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	case set["budget"] && set["cases"]:
		return nil, o, fmt.Errorf("--budget and --cases: give one (a time budget or a number of cases)")
	case f.cases < 0 || (set["cases"] && f.cases == 0):
		return nil, o, fmt.Errorf("--cases: must be at least 1, got %d", f.cases)
	case f.budget < 0 || (set["budget"] && f.budget == 0):
		return nil, o, fmt.Errorf("--budget: must be a positive duration such as 30m, got %s", f.budget)
	case f.jobs < 0:
		return nil, o, fmt.Errorf("-j: must be 0 or more, got %d", f.jobs)
	case f.shrinkRuns < 1:
		return nil, o, fmt.Errorf("--shrink-runs: must be at least 1, got %d", f.shrinkRuns)
	}
	if !set["cases"] && !set["budget"] {
		o.Budget = 30 * time.Minute
	}
	c := scenarios.Campaign{Seed: f.seed, Generate: f.generate || f.scenarios == "", Swarm: f.swarm, Mutant: f.mutant}
	if f.scenarios != "" {
		list, err := scenarios.ParseScenarioList(f.scenarios)
		if err != nil {
			return nil, o, fmt.Errorf("--scenarios: %w", err)
		}
		c.Scenarios = list
	}
	if err := c.Validate(); err != nil {
		return nil, o, fmt.Errorf("--mutant: %w", err)
	}
	o.Campaign = c
	shard, from := f.shard, "--shard"
	if shard == "" {
		if i, n := getenv("JOB_COMPLETION_INDEX"), getenv("JOB_COMPLETIONS"); i != "" || n != "" {
			shard, from = i+"/"+n, "JOB_COMPLETION_INDEX/JOB_COMPLETIONS"
		}
	}
	if shard != "" {
		i, n, err := parseShard(shard)
		if err != nil {
			return nil, o, fmt.Errorf("%s: %w", from, err)
		}
		o.Shard, o.Shards = i, n
	}
	if f.out == "" {
		f.out = fmt.Sprintf("explore-%d", f.seed)
		if o.Shards > 1 {
			f.out += fmt.Sprintf("-shard-%d-of-%d", o.Shard, o.Shards)
		}
	}
	g, err := exploreGastown(f, set)
	if err != nil {
		return nil, o, err
	}
	o.Gastown = g
	return f, o, nil
}

// exploreGastown checks --gastown, --gastown-mode and --diffs and returns
// the campaign's checkout (nil without --gastown). Paths are made
// absolute: the worker processes read and write them.
func exploreGastown(f *exploreFlags, set map[string]bool) (*explore.Gastown, error) {
	if f.gastown == "" {
		for _, name := range []string{"gastown-mode", "diffs", "compare"} {
			if set[name] {
				return nil, fmt.Errorf("--%s: needs --gastown", name)
			}
		}
		return nil, nil
	}
	mode, err := differential.ParseMode(f.mode)
	if err != nil {
		return nil, fmt.Errorf("--gastown-mode: %v", err)
	}
	compare, err := exploreCompare(f.compare, set["compare"], mode)
	if err != nil {
		return nil, err
	}
	if _, err := differential.GastownRoot(f.gastown); err != nil {
		return nil, fmt.Errorf("--gastown: %v", err)
	}
	dir, err := filepath.Abs(f.gastown)
	if err != nil {
		return nil, fmt.Errorf("--gastown: %v", err)
	}
	if f.diffs == "" {
		f.diffs = f.out + "-gastown-diffs"
	}
	for _, prefix := range []string{"diff", "event", "action"} {
		if err := differential.CheckNewDir(f.diffs, prefix); err != nil {
			return nil, fmt.Errorf("--diffs: %v", err)
		}
	}
	diffs, err := filepath.Abs(f.diffs)
	if err != nil {
		return nil, fmt.Errorf("--diffs: %v", err)
	}
	return &explore.Gastown{Dir: dir, Mode: string(mode), Compare: compare, DiffDir: diffs}, nil
}

// parseShard reads "I/N".
func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("%q is not a shard I/N with 0 ≤ I < N (e.g. 0/4)", s)
	}
	return i, n, nil
}

// exploreCommand is `townsim explore`: an exploration campaign.
func exploreCommand(args []string, stdout, stderr io.Writer) int {
	f, o, err := parseExploreFlags(args, stderr, os.Getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if !strings.HasPrefix(err.Error(), "flag provided") {
			fmt.Fprintf(stderr, "townsim explore: %v\n", err)
		}
		return 2
	}
	writeDir := !f.asJSON || f.outSet
	if _, err := os.Stat(f.out); err == nil && writeDir {
		fmt.Fprintf(stderr, "townsim explore: --out: %s already exists; give a new folder (a report is never overwritten)\n", f.out)
		return 2
	}
	var known *knownFailures
	if f.known != "" {
		var err error
		if known, err = loadKnown(f.known, o); err != nil {
			fmt.Fprintf(stderr, "townsim explore: --known: %v\n", err)
			return 2
		}
	}
	o.NoShrink = f.failFast || !writeDir
	if f.failFast {
		o.StopWhen = known.failsJudge
	}
	if g := o.Gastown; g != nil {
		h, err := differential.StartHost(differential.HostOptions{Gastown: g.Dir})
		if err != nil {
			fmt.Fprintf(stderr, "townsim explore: --gastown: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "townsim explore: every case beside gastown %s (stubbed: %v), %s mode; differences under %s\n", h.Root, h.Stubbed, g.Mode, g.DiffDir)
		h.Close()
	}
	if f.jobs == 0 {
		o.Exec, o.Jobs = explore.InProcess{Start: startExploreHost}, 1
	} else {
		pool, err := startWorkers(f.jobs, stderr, "explore")
		if err != nil {
			fmt.Fprintf(stderr, "townsim explore: %v\n", err)
			return 1
		}
		defer pool.Close()
		o.Exec = pool
	}
	errw := &lockedWriter{w: stderr}
	o.Progress = func(r *explore.Report, last explore.CaseResult) {
		k, _ := o.Campaign.Case(last.Index)
		status := "ok"
		switch {
		case last.Error != "":
			status = "error: " + last.Error
		case len(last.Failures) > 0:
			status = fmt.Sprintf("%d failures", len(last.Failures))
		}
		fmt.Fprintf(errw, "townsim explore: %d cases: %s %s (%s)\n", len(r.CaseResults), k, status, last.Wall.Round(time.Millisecond))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopWatch := watchExploreInterrupts(errw, cancel)
	defer stopWatch()
	fmt.Fprintf(errw, "townsim explore: shard %d of %d, %d workers, %s; report in %s\n", o.Shard, o.Shards, max(f.jobs, 1), limitText(o), f.out)
	r, runErr := explore.Run(ctx, o)
	if r == nil {
		fmt.Fprintf(stderr, "townsim explore: %v\n", runErr)
		return 2
	}
	if writeDir {
		if err := r.WriteDir(f.out); err != nil {
			fmt.Fprintf(stderr, "townsim explore: writing the report: %v\n", err)
			return 1
		}
	}
	v := verdict(r, known)
	if f.asJSON {
		if err := writeVerdict(stdout, v); err != nil {
			fmt.Fprintf(stderr, "townsim explore: %v\n", err)
			return 1
		}
	} else {
		writeExploreSummary(stdout, r, f.out)
	}
	switch {
	case runErr != nil:
		fmt.Fprintf(stderr, "townsim explore: the campaign ended early: %v\n", runErr)
		return 1
	case r.Interrupted:
		return 130
	case !v.Passed:
		return 1
	}
	return 0
}

func limitText(o explore.Options) string {
	if o.Cases > 0 {
		return fmt.Sprintf("cases 0..%d", o.Cases-1)
	}
	return "budget " + o.Budget.String()
}

// watchExploreInterrupts cancels the campaign at the first Ctrl-C or
// SIGTERM (no case starts; what ended is written) and exits at once with
// 130 at the second.
func watchExploreInterrupts(stderr io.Writer, cancel func()) (stop func()) {
	sigs := make(chan os.Signal, 2)
	done := make(chan struct{})
	notifyInterrupt(sigs)
	go func() {
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case s := <-sigs:
				if n == 1 {
					fmt.Fprintf(stderr, "townsim explore: %v: no more cases; writing the report of the cases that ended (press Ctrl-C again to quit at once)\n", s)
					cancel()
					continue
				}
				fmt.Fprintf(stderr, "townsim explore: %v again: quitting at once, without a report\n", s)
				exitNow(130)
				return
			}
		}
	}()
	return func() {
		stopSignals(sigs)
		close(done)
	}
}

// writeExploreSummary prints the campaign's figures and its failures.
func writeExploreSummary(w io.Writer, r *explore.Report, dir string) {
	t := r.Totals()
	fmt.Fprintf(w, "townsim explore: %d cases (%d failing, %d errors) in %s; CPU %s (%s per case); %d failure signatures (%.2f per CPU-hour)\n",
		t.Cases, t.Failing, t.Errors, r.Wall.Round(time.Second), t.CPU.Round(time.Second), t.PerCase.Round(time.Millisecond),
		len(r.Signatures), t.BugsPerCPUHour)
	if len(r.Signatures) > 0 {
		tw := tablewriter.NewWriter(w)
		tw.Header("signature", "first case", "cases", "replay")
		for _, s := range r.Signatures {
			tw.Append([]string{s.Signature, strconv.Itoa(s.FirstCase), strconv.Itoa(s.Cases), r.Replay(dir, s)})
		}
		tw.Render()
	}
	if r.Gastown != nil {
		fmt.Fprintf(w, "gastown %s (%s mode): %d reconcile passes compared, %d differed; %d events and action steps compared, %d differed; differences under %s\n",
			r.Gastown.Dir, r.Gastown.Mode, t.Compared, t.Differed, t.Steps, t.StepsDiffered, r.Gastown.DiffDir)
	}
	fmt.Fprintf(w, "report: %s\n", dir)
}

// startWorkers starts a pool of jobs worker processes, each this binary
// run again as `townsim _worker KIND ARGS...` (workerMain).
func startWorkers(jobs int, stderr io.Writer, kind ...string) (*procpool.Pool, error) {
	self, err := procpool.Self(append([]string{workerCommand}, kind...)...)
	if err != nil {
		return nil, err
	}
	return procpool.Start(procpool.Options{Workers: jobs, Command: self, Stderr: stderr})
}

// workerMain is the hidden `townsim _worker KIND`: it answers tasks on
// stdin and stdout until stdin ends. KIND is explore (an explore
// campaign's cases and shrinks), sweep (a sweep's runs; with
// --gastown DIR --diffs ROOT each run is compared with that checkout) or
// history (townsim history's commit × scenario runs).
func workerMain(args []string, stderr io.Writer) int {
	var handle procpool.Handler
	switch {
	case len(args) == 1 && args[0] == "explore":
		handle = explore.Handler(startExploreHost)
	case len(args) == 1 && args[0] == "history":
		handle = historyHandle
	case len(args) >= 1 && args[0] == "sweep":
		fs := flag.NewFlagSet("townsim _worker sweep", flag.ContinueOnError)
		fs.SetOutput(stderr)
		gastown := fs.String("gastown", "", "compare every run with this gastown checkout")
		diffs := fs.String("diffs", "", "with --gastown: the runs' differences go under this folder")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || (*gastown != "") != (*diffs != "") {
			fmt.Fprintf(stderr, "townsim %s sweep: want [--gastown DIR --diffs ROOT], got %q\n", workerCommand, args[1:])
			return 2
		}
		var compare func(sweep.Task) (sweep.Comparer, error)
		if *gastown != "" {
			compare = sweepWorkerCompare(*gastown, *diffs)
		}
		handle = sweep.Handler(compare)
	default:
		fmt.Fprintf(stderr, "townsim %s: want a worker kind (explore, sweep or history), got %q\n", workerCommand, args)
		return 2
	}
	if err := procpool.Serve(os.Stdin, os.Stdout, handle); err != nil {
		fmt.Fprintf(stderr, "townsim %s: %v\n", workerCommand, err)
		return 1
	}
	return 0
}
