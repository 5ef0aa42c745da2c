package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/reports/dashboard"
	"github.com/townsim/townsim/reports/record"
	"github.com/townsim/townsim/reports/sweep"
	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// runFlags are the flags of `townsim run`.
type runFlags struct {
	seed     uint64
	duration time.Duration
	rigs     int
	agents   int
	db       string
	trace    string
	json     bool
	progress time.Duration
	// record is the per-tick record file, recordFormat its format.
	record       string
	recordFormat record.Format
	knobs        model.Knobs
	// plots is the folder for the run's charts.
	plots string
	// rate is the issue arrival rate per hour (0 = keep the fleet busy).
	rate float64
}

func parseRunFlags(args []string, stderr io.Writer) (*runFlags, error) {
	def := scenarios.Default()
	f := &runFlags{}
	fs := flag.NewFlagSet("townsim run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Uint64Var(&f.seed, "seed", def.Seed, "random seed: the same seed and flags give the same run and trace hash")
	fs.DurationVar(&f.duration, "duration", def.Duration, "simulated time to run, e.g. 1h, 90m, 24h")
	fs.IntVar(&f.rigs, "rigs", def.Rigs, "number of rigs in the town")
	fs.IntVar(&f.agents, "agents", def.Agents, "target number of polecat agents in the town")
	fs.StringVar(&f.db, "db", "", "write the Town's SQLite database to this new file (default: in memory)")
	fs.StringVar(&f.trace, "trace", "", "stream the trace of everything that happened to this new file")
	fs.BoolVar(&f.json, "json", false, "print the summary as one JSON object instead of tables")
	fs.DurationVar(&f.progress, "progress", 10*time.Minute, "print a progress line every this much simulated time (0: never)")
	fs.StringVar(&f.record, "record", "", "write one row per tick to this new file (.csv, .jsonl, or .ae.jsonl for production's analytics rows)")
	format := fs.String("record-format", "", "format of --record: csv, jsonl or analytics (default: from the file's extension)")
	fs.Float64Var(&f.rate, "rate", 0, "issues users create per hour (0: the rate that keeps the agents busy)")
	fs.StringVar(&f.plots, "plots", "", "write the run's charts (PNG and SVG) and its Reconciler dashboard to this new folder")
	knobs := fs.String("knob", "", "what-if knobs off production, name=value,... (see README: breaker_threshold, breaker_window, ...)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := f.knobs.Parse(*knobs); err != nil {
		return nil, fmt.Errorf("--knob: %v", err)
	}
	if *format != "" && f.record == "" {
		return nil, fmt.Errorf("--record-format: given without --record")
	}
	if f.record != "" {
		var err error
		if *format != "" {
			f.recordFormat, err = record.ParseFormat(*format)
		} else {
			f.recordFormat, err = record.FormatFor(f.record)
		}
		if err != nil {
			return nil, fmt.Errorf("--record: %v", err)
		}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	switch {
	case f.duration <= 0:
		return nil, fmt.Errorf("--duration: must be positive, got %s", f.duration)
	case f.rigs < 1:
		return nil, fmt.Errorf("--rigs: must be at least 1, got %d", f.rigs)
	case f.agents < 1:
		return nil, fmt.Errorf("--agents: must be at least 1, got %d", f.agents)
	case f.rate < 0 || math.IsNaN(f.rate) || math.IsInf(f.rate, 0):
		return nil, fmt.Errorf("--rate: must be a non-negative number, got %v", f.rate)
	case f.progress < 0:
		return nil, fmt.Errorf("--progress: must not be negative, got %s", f.progress)
	}
	for _, p := range []struct{ flag, path string }{{"--db", f.db}, {"--trace", f.trace}, {"--record", f.record}} {
		if p.path == "" {
			continue
		}
		if _, err := os.Stat(p.path); err == nil {
			return nil, fmt.Errorf("%s: %s already exists; townsim writes a new file and never overwrites one", p.flag, p.path)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %v", p.flag, err)
		}
	}
	if f.db != "" && f.trace != "" && f.db == f.trace {
		return nil, fmt.Errorf("--db and --trace name the same file %s", f.db)
	}
	if f.plots != "" {
		if _, err := os.Stat(f.plots); err == nil {
			return nil, fmt.Errorf("--plots: %s already exists; townsim writes a new folder and never overwrites one", f.plots)
		}
	}
	if f.record != "" && (f.record == f.db || f.record == f.trace) {
		return nil, fmt.Errorf("--record names the same file as --db or --trace: %s", f.record)
	}
	return f, nil
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	f, err := parseRunFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "townsim run: %v\n", err)
		return 2
	}
	cfg := scenarios.Default()
	cfg.Seed = f.seed
	cfg.Duration = f.duration
	cfg.Rigs = f.rigs
	cfg.Agents = f.agents
	cfg.Knobs = f.knobs
	cfg.Workload.IssuesPerHour = f.rate
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "townsim run: %v\n", err)
		return 2
	}

	opts := sim.RunOptions{DBPath: f.db, WallClock: time.Now, ProgressEvery: f.progress, DropTickRecords: true}
	// The summary's per-tick figures are streamed, so memory does not grow
	// with the run's length; so are the --record rows.
	stats := &reports.TickStats{}
	rec := &record.Recorder{Knobs: cfg.Knobs.Label(), NoStatus: f.record == "",
		Sinks: []func(record.Row){func(r record.Row) { stats.Add(r.ComputeMs, r.Statements, r.SQLRows) }}}
	var tl *sweep.Timeline
	var dash *dashboard.Builder
	if f.plots != "" {
		rec.NoStatus = false // the issues chart needs the snapshot
		tl = sweep.NewTimeline(cfg.Start, time.Minute)
		dash = dashboard.NewBuilder(cfg.Start, sweep.DashboardBucket(cfg.Duration))
		rec.Sinks = append(rec.Sinks, func(r record.Row) {
			tl.Add(r)
			for _, a := range r.AnalyticsRows() {
				_ = dash.Add(a) // the run's own rows are well-formed and in order
			}
		})
	}
	opts.OnTick = rec.OnTick
	var recordFile *os.File
	if f.record != "" {
		recordFile, err = os.OpenFile(f.record, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "townsim run: --record: %v\n", err)
			return 2
		}
		wr, err := record.NewWriter(recordFile, f.recordFormat)
		if err != nil {
			recordFile.Close()
			fmt.Fprintf(stderr, "townsim run: --record: %v\n", err)
			return 2
		}
		rec.Writers = append(rec.Writers, wr)
	}
	if f.progress > 0 {
		opts.Progress = func(p sim.Progress) {
			fmt.Fprintf(stderr, "sim %s  ticks %d  pending events %d  issues %d created, %d closed, %d failed\n",
				p.SimTime.Sub(cfg.Start).Truncate(time.Second), p.Ticks, p.PendingEvents,
				p.Beads.Created, p.Beads.Closed, p.Beads.Failed)
		}
	}
	var traceFile *os.File
	if f.trace != "" {
		traceFile, err = os.OpenFile(f.trace, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "townsim run: --trace: %v\n", err)
			return 2
		}
		opts.Trace = traceFile
	}
	// Ctrl-C (or SIGTERM) stops the run at the next simulated minute; the
	// trace written so far is flushed and the partial summary printed.
	var interrupted atomic.Bool
	sigs := make(chan os.Signal, 1)
	notifyInterrupt(sigs)
	defer func() {
		signal.Stop(sigs)
		close(sigs) // ends the goroutine below
	}()
	go func() {
		if _, ok := <-sigs; ok {
			interrupted.Store(true)
		}
	}()
	opts.Interrupted = interrupted.Load
	res, runErr := sim.Run(cfg, opts)
	if traceFile != nil {
		if err := traceFile.Close(); err != nil && runErr == nil {
			runErr = fmt.Errorf("--trace: %w", err)
		}
	}
	if err := rec.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("--record: %w", err)
	}
	if recordFile != nil {
		if err := recordFile.Close(); err != nil && runErr == nil {
			runErr = fmt.Errorf("--record: %w", err)
		}
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "townsim run: %v\n", runErr)
		return 1
	}
	if tl != nil {
		if err := writePlots(f.plots, tl, dash, cfg.Knobs.Label()); err != nil {
			fmt.Fprintf(stderr, "townsim run: --plots: %v\n", err)
			return 1
		}
	}
	s := reports.SummarizeStream(res, stats)
	if f.json {
		err = s.WriteJSON(stdout)
	} else {
		err = s.WriteTable(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "townsim run: writing the summary: %v\n", err)
		return 1
	}
	if res.Interrupted {
		fmt.Fprintf(stderr, "townsim run: interrupted after %s of simulated time\n", res.SimulatedTime)
		return 130
	}
	return 0
}

// notifyInterrupt relays the signals that stop a run; tests replace it.
var notifyInterrupt = func(c chan<- os.Signal) { signal.Notify(c, os.Interrupt, syscall.SIGTERM) }

// writePlots writes a run's charts into a new folder.
func writePlots(dir string, tl *sweep.Timeline, dash *dashboard.Builder, knobs string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	what := "knobs " + knobs
	if knobs != "production" {
		what = "WHAT-IF " + knobs
	}
	for _, c := range sweep.RunCharts(tl, dash, what) {
		if _, err := c.Chart.WriteFiles(dir, c.Name); err != nil {
			return err
		}
	}
	return nil
}
