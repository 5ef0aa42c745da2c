package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/townsim/townsim/reports"
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
	token    sim.TokenSource
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
	token := fs.String("github-token", "stored", "where the town's GitHub token comes from: none (a fresh town), stored, cli_pat, town_integration, rig_integration")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
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
	case f.progress < 0:
		return nil, fmt.Errorf("--progress: must not be negative, got %s", f.progress)
	}
	for _, p := range []struct{ flag, path string }{{"--db", f.db}, {"--trace", f.trace}} {
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
	cfg := scenarios.Default()
	cfg.Seed = f.seed
	cfg.Duration = f.duration
	cfg.Rigs = f.rigs
	cfg.Agents = f.agents
	cfg.Town.GitHubToken = f.token
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "townsim run: %v\n", err)
		return 2
	}

	opts := sim.RunOptions{DBPath: f.db, WallClock: time.Now, ProgressEvery: f.progress}
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
	res, runErr := sim.Run(cfg, opts)
	if traceFile != nil {
		if err := traceFile.Close(); err != nil && runErr == nil {
			runErr = fmt.Errorf("--trace: %w", err)
		}
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "townsim run: %v\n", runErr)
		return 1
	}
	s := reports.Summarize(res)
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
