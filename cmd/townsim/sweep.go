package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/procpool"
	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/reports/sweep"
)

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, " ") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// sweepFlags are the parsed flags of `townsim sweep`.
type sweepFlags struct {
	grid     sweep.Grid
	jobs     int
	out      string
	interval time.Duration
	gastown  string
	// resume is the folder of an interrupted sweep to continue.
	resume string
}

func parseSweepFlags(args []string, stderr io.Writer) (*sweepFlags, error) {
	def := sweep.DefaultGrid()
	fs := flag.NewFlagSet("townsim sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "read the grid from this YAML file (strict; flags other than -j, --out and --progress-every are then not allowed)")
	agents := fs.String("agents", "10,30,100,300", "fleet sizes to sweep, comma-separated")
	rigs := fs.String("rigs", strconv.Itoa(def.Rigs[0]), "rig counts to sweep, comma-separated")
	rates := fs.String("rate", "0", "issue arrival rates per hour to sweep, comma-separated (0 = the rate that keeps the fleet busy)")
	seeds := fs.Int("seeds", def.Seeds, "seeds per point")
	seed := fs.Uint64("seed", def.Seed, "first seed")
	duration := fs.Duration("duration", def.Duration, "simulated time of each run")
	budget := fs.Duration("budget", def.Budget, "p99 compute-per-tick budget (production's dashboard threshold: 500ms)")
	knobs := fs.String("knob", "", "what-if knobs for every point, name=value,...")
	var vary repeated
	fs.Var(&vary, "vary", "a knob to sweep, name=v1,v2,... (repeatable)")
	f := &sweepFlags{}
	fs.IntVar(&f.jobs, "j", runtime.GOMAXPROCS(0), "worker processes, one run at a time each (0 runs the runs in this process, one at a time; each run is deterministic either way)")
	fs.StringVar(&f.out, "out", "sweep-report", "report folder to create (must not exist)")
	fs.StringVar(&f.gastown, "gastown", "", "differential mode: run this gastown checkout's own reconcile beside the port's in every run (one Node host per run)")
	fs.DurationVar(&f.interval, "progress-every", 10*time.Second, "wall time between progress lines (finished runs, and the simulated time each running run has reached)")
	fs.StringVar(&f.resume, "resume", "", "continue the interrupted sweep of this report folder: its grid, its finished runs kept; the rest run into --out (default DIR-resumed)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	if f.jobs < 0 {
		return nil, fmt.Errorf("-j: must be 0 or more, got %d", f.jobs)
	}
	if f.interval <= 0 {
		return nil, fmt.Errorf("--progress-every: must be positive, got %s", f.interval)
	}
	outSet := false
	fs.Visit(func(fl *flag.Flag) { outSet = outSet || fl.Name == "out" })
	if f.resume != "" && !outSet {
		f.out = strings.TrimRight(f.resume, "/") + "-resumed"
	}
	if _, err := os.Stat(f.out); err == nil {
		return nil, fmt.Errorf("--out: %s already exists; townsim writes a new report folder and never overwrites one", f.out)
	}
	if f.resume != "" {
		var clash []string
		fs.Visit(func(fl *flag.Flag) {
			switch fl.Name {
			case "resume", "j", "out", "progress-every", "gastown":
			default:
				clash = append(clash, "--"+fl.Name)
			}
		})
		if len(clash) > 0 {
			return nil, fmt.Errorf("--resume: the grid comes from %s/%s (the interrupted sweep's own); drop %s", f.resume, sweep.StateFile, strings.Join(clash, ", "))
		}
		return f, nil
	}
	if *config != "" {
		var clash []string
		fs.Visit(func(fl *flag.Flag) {
			switch fl.Name {
			case "config", "j", "out", "progress-every", "gastown":
			default:
				clash = append(clash, "--"+fl.Name)
			}
		})
		if len(clash) > 0 {
			return nil, fmt.Errorf("--config: the grid comes from the file; drop %s", strings.Join(clash, ", "))
		}
		g, err := sweep.LoadGrid(*config)
		if err != nil {
			return nil, fmt.Errorf("--config: %v", err)
		}
		f.grid = g
		return f, nil
	}
	g := def
	var err error
	if g.Agents, err = sweep.ParseList("--agents", *agents, strconv.Atoi); err != nil {
		return nil, err
	}
	if g.Rigs, err = sweep.ParseList("--rigs", *rigs, strconv.Atoi); err != nil {
		return nil, err
	}
	if g.Rates, err = sweep.ParseList("--rate", *rates, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }); err != nil {
		return nil, err
	}
	g.Seeds, g.Seed, g.Duration, g.Budget = *seeds, *seed, *duration, *budget
	g.Fixed = map[string]string{}
	for _, item := range strings.Split(*knobs, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("--knob: %q: want name=value", item)
		}
		g.Fixed[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	g.Knobs = map[string][]string{}
	for _, v := range vary {
		name, values, ok := strings.Cut(v, "=")
		if !ok {
			return nil, fmt.Errorf("--vary: %q: want name=v1,v2,...", v)
		}
		name = strings.TrimSpace(name)
		if _, dup := g.Knobs[name]; dup {
			return nil, fmt.Errorf("--vary: knob %s given twice", name)
		}
		if g.Knobs[name], err = sweep.ParseList("--vary "+name, values, func(s string) (string, error) { return s, nil }); err != nil {
			return nil, err
		}
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("%v", flagNames(err))
	}
	f.grid = g
	return f, nil
}

// flagNames maps a grid key in a validation error to its flag.
func flagNames(err error) error {
	msg := err.Error()
	for key, fl := range map[string]string{"agents": "--agents", "rigs": "--rigs", "rates": "--rate", "seeds": "--seeds",
		"duration": "--duration", "budget": "--budget", "fixed_knobs.": "--knob ", "knobs.": "--vary "} {
		if strings.HasPrefix(msg, key) {
			return errors.New(fl + strings.TrimPrefix(msg, key))
		}
	}
	return err
}

func sweepCommand(args []string, stdout, stderr io.Writer) int {
	stderr = &lockedWriter{w: stderr} // the signal watcher and the progress lines write too
	f, err := parseSweepFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "townsim sweep: %v\n", err)
		return 2
	}
	var previous map[string]sweep.RunResult
	if f.resume != "" {
		if f.grid, previous, err = sweep.Resume(f.resume); err != nil {
			fmt.Fprintf(stderr, "townsim sweep: --resume: %v\n", err)
			return 2
		}
	}
	total := len(f.grid.Points()) * f.grid.Seeds
	if f.resume != "" {
		fmt.Fprintf(stderr, "townsim sweep: resuming %s: %d of %d runs finished there and are kept; running the other %d into %s\n",
			f.resume, len(previous), total, total-len(previous), f.out)
	}
	where := fmt.Sprintf("%d at once in worker processes", f.jobs)
	if f.jobs == 0 {
		where = "one at a time in this process"
	}
	fmt.Fprintf(stderr, "townsim sweep: %d points × %d seeds = %d runs, %s\n", len(f.grid.Points()), f.grid.Seeds, total, where)
	journal, err := sweep.CreateJournal(f.out, f.grid)
	if err != nil {
		fmt.Fprintf(stderr, "townsim sweep: --out: %v\n", err)
		return 2
	}
	// The resumed folder keeps the earlier runs too, so that it can be
	// resumed in its turn.
	for _, k := range sortedRunKeys(previous) {
		r := previous[k]
		journal.Add(&r)
	}
	live := &sweep.Live{}
	prog := newProgress(stderr, f.interval, live, total)
	prog.done = len(previous)
	start, cpu0 := time.Now(), procpool.ProcessCPU()
	var workerCPU time.Duration // the workers' CPU time for this sweep's runs
	finished := func(r *sweep.RunResult) { journal.Add(r); workerCPU += r.CPU }
	opts := sweep.Options{Jobs: max(f.jobs, 1), Progress: prog.update, Finished: finished, Previous: previous, Live: live}
	// The first Ctrl-C (or SIGTERM) starts no new run and abandons the
	// running ones at their next event; the report of the finished runs is
	// written, marked partial. A second one exits at once; the finished
	// runs are in the journal whatever happens.
	stop := watchInterruptsSaying(stderr,
		"townsim sweep: %v: starting no new runs and abandoning the running ones at their next event (--resume "+f.out+
			" runs them again); writing the report of the finished runs (press Ctrl-C again to quit at once)\n",
		"townsim sweep: %v again: quitting at once; no report (the finished runs are saved: --resume "+f.out+")\n")
	defer stop.close()
	opts.Stop = stop.requested
	diffRoot := f.out + "-gastown-diffs"
	if f.gastown != "" {
		h, err := differential.StartHost(differential.HostOptions{Gastown: f.gastown})
		if err != nil {
			fmt.Fprintf(stderr, "townsim sweep: --gastown: %v\n", err)
			return 2
		}
		h.Close()
		var n atomic.Int64
		opts.Compare = func() (sweep.Comparer, error) {
			h, err := differential.StartHost(differential.HostOptions{Gastown: f.gastown})
			if err != nil {
				return nil, err
			}
			dir := filepath.Join(diffRoot, strconv.FormatInt(n.Add(1), 10))
			return &sweepComparer{differential.Comparer{Host: h, Mode: differential.ModeCompare, DiffDir: dir}}, nil
		}
	}
	if f.jobs > 0 {
		args := []string{"sweep"}
		if f.gastown != "" {
			args = append(args, "--gastown", f.gastown, "--diffs", diffRoot)
		}
		pool, err := startWorkers(f.jobs, stderr, args...)
		if err != nil {
			fmt.Fprintf(stderr, "townsim sweep: %v\n", err)
			return 1
		}
		defer pool.Close()
		opts.Exec = pool
	}
	prog.run()
	runs := sweep.Run(f.grid, opts)
	wall := time.Since(start)
	prog.finish()
	if err := journal.Close(); err != nil {
		fmt.Fprintf(stderr, "townsim sweep: saving the finished runs: %v\n", err)
	}
	a := sweep.Analyze(f.grid, runs, wall, max(f.jobs, 1))
	a.CPU = procpool.ProcessCPU() - cpu0 + workerCPU
	interrupted := stop.requested()
	if interrupted {
		ab, ns := a.Unfinished()
		a.Partial = fmt.Sprintf("interrupted: %d of %d runs finished; %d running runs were abandoned and %d never started. "+
			"`townsim sweep --resume %s --out NEW` runs them and keeps the finished ones.", total-ab-ns, total, ab, ns, f.out)
		fmt.Fprintf(stderr, "townsim sweep: %s\n", strings.ReplaceAll(a.Partial, "`", ""))
	}
	if err := a.WriteReport(f.out); err != nil {
		fmt.Fprintf(stderr, "townsim sweep: writing the report: %v\n", err)
		return 1
	}
	var buf bytes.Buffer
	if err := a.WriteTables(&buf); err != nil {
		fmt.Fprintf(stderr, "townsim sweep: %v\n", err)
		return 1
	}
	stdout.Write(buf.Bytes())
	fmt.Fprintf(stdout, "sweep wall %s, runs' wall sum %s (overlap %.2fx with -j %d), CPU %s (%.2f cores busy on average); report in %s/\n",
		reports.ShortDuration(wall), reports.ShortDuration(a.RunWall), a.Speedup(), max(f.jobs, 1),
		reports.ShortDuration(a.CPU), a.CPU.Seconds()/wall.Seconds(), f.out)
	if f.gastown != "" {
		compared, differed := 0, 0
		for _, r := range runs {
			compared += r.Compared
			differed += r.Differed
		}
		fmt.Fprintf(stdout, "gastown %s: %d reconcile passes compared, %d differed (saved under %s-gastown-diffs/)\n",
			f.gastown, compared, differed, f.out)
	}
	if interrupted {
		return 130
	}
	for _, r := range runs {
		if r.Err != nil {
			fmt.Fprintf(stderr, "townsim sweep: run %s seed %d failed: %v\n", r.Point, r.Seed, r.Err)
			return 1
		}
	}
	return 0
}

func sortedRunKeys(m map[string]sweep.RunResult) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sweepWorkerCompare is a sweep worker's comparison of each run with the
// gastown checkout's reconcile (townsim sweep --gastown with workers): one
// host per run, its differences under diffRoot/N for the grid's N-th run.
func sweepWorkerCompare(gastown, diffRoot string) func(sweep.Task) (sweep.Comparer, error) {
	return func(t sweep.Task) (sweep.Comparer, error) {
		h, err := differential.StartHost(differential.HostOptions{Gastown: gastown})
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(diffRoot, strconv.Itoa(t.Run+1))
		return &sweepComparer{differential.Comparer{Host: h, Mode: differential.ModeCompare, DiffDir: dir}}, nil
	}
}

// sweepComparer is a differential comparer as a sweep run's Comparer.
type sweepComparer struct{ differential.Comparer }

func (c *sweepComparer) Counts() (compared, differed int) {
	return c.Stats.Compared, c.Stats.Differed
}

func (c *sweepComparer) Close() error {
	c.Host.Close()
	return c.Err()
}
