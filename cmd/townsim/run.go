package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
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
	faults   map[string]float64
	swarm    bool
	heal     time.Duration
	// record is the per-tick record file, recordFormat its format.
	record       string
	recordFormat record.Format
	knobs        model.Knobs
	// plots is the folder for the run's charts.
	plots string
	// rate is the issue arrival rate per hour (0 = keep the fleet busy).
	rate     float64
	scenario string
	// set holds the flags given explicitly; they override the scenario.
	set map[string]bool

	gastown     string
	gastownMode string
	diffs       string
	saveStates  string
	// compare is --compare; compareKinds its parsed set (drive mode: reconcile).
	compare      string
	compareKinds map[string]bool
	token        sim.TokenSource
	// cpuprofile is the file for a CPU profile of the run.
	cpuprofile string
}

// tokenFlags maps --github-token values to token sources.
var tokenFlags = map[string]sim.TokenSource{
	"none": sim.TokenNone, "stored": sim.TokenStored, "cli_pat": sim.TokenCLIPAT,
	"town_integration": sim.TokenTownIntegration, "rig_integration": sim.TokenRigIntegration,
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
	fs.StringVar(&f.scenario, "scenario", "", "run this named scenario (see 'townsim scenarios') or scenario YAML file; "+
		"given explicitly, --seed, --duration, --rigs, --agents, --rate, --faults, --heal, --knob and --github-token override its values "+
		"and --swarm turns swarming on; the other flags keep the scenario's")
	faults := fs.String("faults", "", "fault kinds and rates, KIND=RATE,... ('townsim faults' lists the kinds)")
	fs.BoolVar(&f.swarm, "swarm", false, "let the seed draw which other fault kinds are on and at what rates")
	fs.DurationVar(&f.heal, "heal", 0, "stop every fault this long after the start (0: never), so recovery can be judged")
	fs.StringVar(&f.record, "record", "", "write one row per tick to this new file (.csv, .jsonl, or .ae.jsonl for production's analytics rows)")
	format := fs.String("record-format", "", "format of --record: csv, jsonl or analytics (default: from the file's extension)")
	fs.Float64Var(&f.rate, "rate", 0, "issues users create per hour (0: the rate that keeps the agents busy)")
	fs.StringVar(&f.plots, "plots", "", "write the run's charts (PNG and SVG) and its Reconciler dashboard to this new folder")
	knobs := fs.String("knob", "", "what-if knobs off production, name=value,... (durations as 90s, 30m):"+knobHelp())
	fs.StringVar(&f.gastown, "gastown", "", "differential mode: run this gastown checkout's own reconcile beside the port's (needs Node.js 20)")
	fs.StringVar(&f.gastownMode, "gastown-mode", "compare", "with --gastown: compare (the port drives) or drive (the original drives)")
	fs.StringVar(&f.diffs, "diffs", "", "with --gastown: folder for the differences (default: a new ./gastown-diffs, -2, ...)")
	fs.StringVar(&f.compare, "compare", "reconcile,events,actions", "with --gastown: what to compare, a list of reconcile, events (each event applied) and actions (each action executed)")
	fs.StringVar(&f.saveStates, "save-states", "", "save the state every reconcile pass reads to this folder (for townsim diff)")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the run (go tool pprof) to this new file")
	token := fs.String("github-token", "stored", "where the town's GitHub token comes from: none (a fresh town), stored, cli_pat, town_integration, rig_integration")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if *faults != "" {
		rates, err := sim.ParseFaultRates(*faults)
		if err != nil {
			return nil, fmt.Errorf("--faults: %v", err)
		}
		f.faults = rates
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
	if err := checkDifferentialFlags(fs, f); err != nil {
		return nil, err
	}
	src, ok := tokenFlags[*token]
	if !ok {
		return nil, fmt.Errorf("--github-token: %q is not none, stored, cli_pat, town_integration or rig_integration", *token)
	}
	f.token = src
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
	case f.heal < 0:
		return nil, fmt.Errorf("--heal: must not be negative, got %s", f.heal)
	}
	for _, p := range []struct{ flag, path string }{{"--db", f.db}, {"--trace", f.trace}, {"--record", f.record}, {"--cpuprofile", f.cpuprofile}} {
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
	if err := checkFleet(f.agents, f.duration, stderr); err != nil {
		return nil, err
	}
	return f, nil
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	stderr = &lockedWriter{w: stderr} // the signal handler writes too
	f, err := parseRunFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "townsim run: %v\n", err)
		return 2
	}
	sc, err := loadScenario(f.scenario)
	if err != nil {
		fmt.Fprintf(stderr, "townsim run: --scenario: %v\n", err)
		return 2
	}
	cfg := sc.Config
	if f.set["seed"] {
		cfg.Seed = f.seed
	}
	if f.set["duration"] {
		cfg.Duration = f.duration
	}
	if f.set["rigs"] {
		cfg.Rigs = f.rigs
	}
	if f.set["agents"] {
		cfg.Agents = f.agents
	}
	if f.faults != nil {
		cfg.Faults.Rates = f.faults
	}
	cfg.Faults.Swarm = cfg.Faults.Swarm || f.swarm
	if f.heal > 0 {
		cfg.Faults.Heal = f.heal
	}
	if f.set["knob"] {
		cfg.Knobs = f.knobs
	}
	if f.set["github-token"] {
		cfg.Town.GitHubToken = f.token
	}
	if f.set["rate"] {
		cfg.Workload.IssuesPerHour = f.rate
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "townsim run: scenario %s with the flags given: %v\n", sc.Name, err)
		return 2
	}

	opts := sim.RunOptions{DBPath: f.db, WallClock: time.Now, ProgressEvery: f.progress, DropTickRecords: true}
	if err := applyTestExtraWork(&opts); err != nil {
		fmt.Fprintf(stderr, "townsim run: %v\n", err)
		return 2
	}
	// The summary's per-tick figures are streamed, so memory does not grow
	// with the run's length; so are the --record rows.
	stats := &reports.TickStats{}
	rec := &record.Recorder{Knobs: cfg.Knobs.Label(), NoStatus: f.record == "",
		TickSinks: []func(*sim.TickRecord){func(t *sim.TickRecord) { stats.Add(record.ComputeMs(t), t.Cost.Statements, t.Cost.Rows) }}}
	// A run that may have faults keeps its backlog per tick, to judge its
	// recovery against the same seed's fault-free run afterwards.
	var faulty []reports.Backlog
	if cfg.MayFault() {
		rec.NoStatus = false
		rec.Sinks = append(rec.Sinks, func(r record.Row) { faulty = append(faulty, backlogOf(r)) })
	}
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
	// The first Ctrl-C (or SIGTERM) stops the run at the next event; the
	// trace written so far is flushed and the partial summary printed. A
	// second one exits at once (exitNow with 130).
	stop := watchInterrupts(stderr)
	defer stop.close()
	opts.Interrupted = stop.requested
	diff, err := startDifferential(f, &opts, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "townsim run: %v\n", err)
		if traceFile != nil {
			traceFile.Close()
		}
		return 2
	}
	defer diff.close()
	prof, err := startCPUProfile(f.cpuprofile)
	if err != nil {
		fmt.Fprintf(stderr, "townsim run: %v\n", err)
		if traceFile != nil {
			traceFile.Close()
		}
		return 2
	}
	res, runErr := sim.Run(cfg, opts)
	if err := prof.stop(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil {
		runErr = diff.err()
	}
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
	if len(res.Faults.Mix.Kinds()) > 0 && !res.Interrupted {
		fmt.Fprintf(stderr, "townsim run: judging recovery: running the same seed's fault-free town for %s\n", reports.ShortDuration(cfg.Duration))
		base, bres, err := runBaseline(cfg, stop.requested)
		switch {
		case err != nil:
			fmt.Fprintf(stderr, "townsim run: the fault-free run: %v\n", err)
			return 1
		case bres.Interrupted:
			res.Interrupted = true // no recovery figures; the summary says interrupted
			s.Interrupted = true
		default:
			s.FaultsRecovery = reports.JudgeRecovery(faulty, base, res.Faults.Firings)
			open := bres.Beads.Open
			s.BaselineOpenAtEnd = &open
		}
	}
	s.Scenario = sc.Name
	if diff != nil && diff.comparer != nil {
		s.ComputeNote = fmt.Sprintf("includes the Node host's time: the original's reconcile runs inside every tick (%.3fs in all)", diff.comparer.HostTime.Seconds())
	}
	if f.json {
		err = diff.writeJSON(stdout, s)
	} else if err = s.WriteTable(stdout); err == nil {
		err = diff.writeTable(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "townsim run: writing the summary: %v\n", err)
		return 1
	}
	if res.Interrupted {
		fmt.Fprintf(stderr, "townsim run: interrupted after %s of simulated time\n", reports.ShortDuration(res.SimulatedTime))
		return 130
	}
	return 0
}

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

// knobHelp lists the what-if knobs, one per line, for --knob's help.
func knobHelp() string {
	var b strings.Builder
	for _, k := range model.KnobNames() {
		fmt.Fprintf(&b, "\n    %s: %s", k[0], k[1])
	}
	return b.String()
}
