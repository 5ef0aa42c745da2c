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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/townsim/townsim/differential"
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
	fs.IntVar(&f.jobs, "j", runtime.GOMAXPROCS(0), "runs at once (each run is single-threaded and deterministic)")
	fs.StringVar(&f.out, "out", "sweep-report", "report folder to create (must not exist)")
	fs.StringVar(&f.gastown, "gastown", "", "differential mode: run this gastown checkout's own reconcile beside the port's in every run (one Node host per run)")
	fs.DurationVar(&f.interval, "progress-every", 10*time.Second, "when stderr is not a terminal: wall time between progress lines")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	if f.jobs < 1 {
		return nil, fmt.Errorf("-j: must be at least 1, got %d", f.jobs)
	}
	if f.interval <= 0 {
		return nil, fmt.Errorf("--progress-every: must be positive, got %s", f.interval)
	}
	if _, err := os.Stat(f.out); err == nil {
		return nil, fmt.Errorf("--out: %s already exists; townsim writes a new report folder and never overwrites one", f.out)
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
	f, err := parseSweepFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "townsim sweep: %v\n", err)
		return 2
	}
	total := len(f.grid.Points()) * f.grid.Seeds
	fmt.Fprintf(stderr, "townsim sweep: %d points × %d seeds = %d runs, %d at once\n", len(f.grid.Points()), f.grid.Seeds, total, f.jobs)
	prog := newProgress(stderr, f.interval)
	start, cpu0 := time.Now(), processCPU()
	opts := sweep.Options{Jobs: f.jobs, Progress: prog.update}
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
			dir := filepath.Join(f.out+"-gastown-diffs", strconv.FormatInt(n.Add(1), 10))
			return &sweepComparer{differential.Comparer{Host: h, Mode: differential.ModeCompare, DiffDir: dir}}, nil
		}
	}
	runs := sweep.Run(f.grid, opts)
	wall := time.Since(start)
	prog.finish(total)
	a := sweep.Analyze(f.grid, runs, wall, f.jobs)
	a.CPU = processCPU() - cpu0
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
		wall.Round(time.Millisecond), a.RunWall.Round(time.Millisecond), a.Speedup(), f.jobs,
		a.CPU.Round(time.Millisecond), a.CPU.Seconds()/wall.Seconds(), f.out)
	if f.gastown != "" {
		compared, differed := 0, 0
		for _, r := range runs {
			compared += r.Compared
			differed += r.Differed
		}
		fmt.Fprintf(stdout, "gastown %s: %d reconcile passes compared, %d differed (saved under %s-gastown-diffs/)\n",
			f.gastown, compared, differed, f.out)
	}
	for _, r := range runs {
		if r.Err != nil {
			fmt.Fprintf(stderr, "townsim sweep: run %s seed %d failed: %v\n", r.Point, r.Seed, r.Err)
			return 1
		}
	}
	return 0
}

// progress shows how far a sweep is: one line redrawn in place on a
// terminal, plain lines at most every interval otherwise (a log file gets
// no carriage-return frames).
type progress struct {
	w        io.Writer
	tty      bool
	interval time.Duration
	start    time.Time
	last     time.Time
	mu       sync.Mutex
}

func newProgress(w io.Writer, interval time.Duration) *progress {
	return &progress{w: w, tty: isTerminal(w), interval: interval, start: time.Now(), last: time.Now()}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) update(done, total int, last *sweep.RunResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	el := now.Sub(p.start)
	eta := time.Duration(float64(el) / float64(done) * float64(total-done))
	msg := fmt.Sprintf("[%d/%d] %s elapsed, about %s left; last: %d agents seed %d in %s",
		done, total, el.Round(time.Second), eta.Round(time.Second), last.Point.Agents, last.Seed, last.Wall.Round(100*time.Millisecond))
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", msg)
		return
	}
	if now.Sub(p.last) >= p.interval || done == total {
		p.last = now
		fmt.Fprintln(p.w, msg)
	}
}

func (p *progress) finish(total int) {
	if p.tty {
		fmt.Fprintln(p.w)
	}
	fmt.Fprintf(p.w, "townsim sweep: %d runs done in %s\n", total, time.Since(p.start).Round(time.Millisecond))
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
