package sweep

import (
	"context"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/reports/dashboard"
	"github.com/townsim/townsim/reports/record"
	"github.com/townsim/townsim/sim"
)

// RunResult is what one run of one point and seed gave.
type RunResult struct {
	Point Point `json:"-"`
	Seed  uint64
	// Err is the run's error, if it failed.
	Err error `json:"-"`
	// Status is how the run ended: StatusDone (also ""), StatusAbandoned
	// (Options.Stop stopped it while it ran; its figures are not kept) or
	// StatusNotStarted (Options.Stop came first).
	Status string `json:",omitempty"`
	// Ticks is the number of ticks.
	Ticks int
	// ComputeMs, Statements and Rows are the per-tick distributions.
	ComputeMs, Statements, Rows reports.Quantiles
	// MeanComputeMs and MeanStatements are the per-tick means (what the
	// scaling model is fitted to).
	MeanComputeMs, MeanStatements float64
	// IssuesCreated, Closed, Failed and Open count the users' issues.
	IssuesCreated, Closed, Failed, Open int
	// ClosedPerHour is closed issues per simulated hour.
	ClosedPerHour float64
	// ArrivedLate and DoneLate are the issue beads created and the issue
	// beads that turned terminal in the run's second half; KeepsUp is
	// DoneLate ≥ 0.9 × ArrivedLate.
	ArrivedLate, DoneLate int
	KeepsUp               bool
	// Parts sums each tick part's statements over the run (CostByPart).
	Parts map[string]int64
	// NotifyMayor counts notify_mayor actions (the dispatch breaker's).
	NotifyMayor int
	// Compared and Differed count the reconcile passes compared with
	// another reconcile and those that differed (Options.Compare).
	Compared, Differed int
	// Wall is the run's real time; TraceHash its trace hash.
	Wall time.Duration
	// CPU is the CPU time the worker process spent on the run (runs made
	// by an Executor only; 0 in this process).
	CPU       time.Duration `json:",omitempty"`
	TraceHash string
	// Timeline is the run over time and Dashboard its Reconciler
	// dashboard, kept for the first seed only.
	Timeline  *Timeline
	Dashboard *dashboard.Builder
}

// Options steer a sweep.
type Options struct {
	// Jobs is the number of runs at once (default GOMAXPROCS); each run is
	// single-threaded and deterministic whatever Jobs is.
	Jobs int
	// Progress, when set, is called (from one goroutine at a time) after
	// each run with the number done (Previous runs included) and the total.
	Progress func(done, total int, last *RunResult)
	// WallClock measures compute; nil = time.Now (measured, never fed back).
	WallClock func() time.Time
	// Compare, when set, starts a comparison for each run (differential
	// mode: another reconcile beside the port's on every pass); the run
	// reconciles through it and reports what it compared.
	Compare func() (Comparer, error)
	// Stop, when set, is polled before each run starts and before every
	// event of the runs going on: once it returns true no new run starts,
	// and the running ones are abandoned at their next event (their
	// partial figures would mislead; a resumed sweep runs them again).
	Stop func() bool
	// Finished, when set, is called (one goroutine at a time) with each
	// run that finished, in the order they finish: how a sweep saves its
	// work as it goes (Journal.Add).
	Finished func(*RunResult)
	// Previous holds runs finished by an earlier, interrupted sweep of the
	// same grid, by RunKey; they are taken as they are, not run again.
	Previous map[string]RunResult
	// Live, when set, follows the runs going on (simulated time reached),
	// for progress lines.
	Live *Live
	// Exec, when set, makes the runs (Jobs of them at once) elsewhere,
	// usually in worker processes: each run is handed over as a Task and
	// its result comes back as JSON. Compare is then not called (the
	// workers compare on their own, see Handler), Stop abandons a running
	// run at once (its worker is ended) and Live does not learn the
	// simulated time a run has reached (LiveRun.Remote).
	Exec Executor
}

// Run statuses (RunResult.Status).
const (
	StatusDone       = "done"
	StatusAbandoned  = "abandoned"
	StatusNotStarted = "not started"
)

// Done reports whether the run finished (with or without an error).
func (r *RunResult) Done() bool { return r.Status == "" || r.Status == StatusDone }

// Comparer runs another reconcile beside the port's during one run.
type Comparer interface {
	// Reconcile is the run's reconcile pass (an alarm.ReconcileFunc).
	Reconcile(t *model.Town, now time.Time, o reconciler.Options) ([]reconciler.Action, error)
	// Counts are the passes compared and those that differed so far.
	Counts() (compared, differed int)
	// Close ends it; its error is the comparison's failure, if any.
	Close() error
}

// Run runs every point of the grid with every seed and returns the runs
// in grid order (points, then seeds).
func Run(g Grid, o Options) []RunResult {
	if o.Jobs < 1 {
		o.Jobs = runtime.GOMAXPROCS(0)
	}
	if o.WallClock == nil {
		o.WallClock = time.Now
	}
	type job struct {
		i, pi int
		p     Point
		seed  uint64
	}
	var jobs []job
	for pi, p := range g.Points() {
		for s := 0; s < g.Seeds; s++ {
			jobs = append(jobs, job{len(jobs), pi, p, g.Seed + uint64(s)})
		}
	}
	// Largest fleets first, so the slowest runs do not start last.
	order := append([]job(nil), jobs...)
	sort.SliceStable(order, func(a, b int) bool { return order[a].p.Agents > order[b].p.Agents })
	out := make([]RunResult, len(jobs))
	ch := make(chan job)
	var mu sync.Mutex
	done := 0
	finish := func(i int) {
		done++
		if o.Progress != nil {
			o.Progress(done, len(jobs), &out[i])
		}
	}
	stopped := func() bool { return o.Stop != nil && o.Stop() }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if o.Exec != nil && o.Stop != nil {
		go pollStop(ctx, o.Stop, cancel)
	}
	var wg sync.WaitGroup
	for w := 0; w < o.Jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				if stopped() {
					mu.Lock()
					out[j.i] = RunResult{Point: j.p, Seed: j.seed, Status: StatusNotStarted}
					mu.Unlock()
					continue
				}
				var r RunResult
				if o.Exec != nil {
					id := o.Live.StartRemote(j.p, j.seed, g.Duration)
					r = runRemote(ctx, o.Exec, Task{Grid: g, Point: j.pi, Seed: j.seed, KeepTimeline: j.seed == g.Seed, Run: j.i}, j.p)
					o.Live.End(id)
				} else {
					id := o.Live.Start(j.p, j.seed, g.Duration)
					r = runOne(g, j.p, j.seed, j.seed == g.Seed, o, id)
					o.Live.End(id)
				}
				mu.Lock()
				out[j.i] = r
				if r.Done() {
					if o.Finished != nil {
						o.Finished(&out[j.i])
					}
					finish(j.i)
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range order {
		if prev, ok := o.Previous[RunKey(j.p, j.seed)]; ok {
			mu.Lock()
			out[j.i] = prev
			out[j.i].Status = StatusDone
			done++ // counted, not reported: Progress is for runs of this sweep
			mu.Unlock()
			continue
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	return out
}

// pollStop cancels the runs of an executor once stop says so: the
// in-process runs poll Stop at every event, a worker process cannot.
func pollStop(ctx context.Context, stop func() bool, cancel func()) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if stop() {
				cancel()
				return
			}
		}
	}
}

// runOne runs one point with one seed, streaming its ticks.
func runOne(g Grid, p Point, seed uint64, keepTimeline bool, o Options, live int) (r RunResult) {
	clock := o.WallClock
	cfg := g.Config(p, seed)
	r = RunResult{Point: p, Seed: seed, Parts: map[string]int64{}, Status: StatusDone}
	ro := sim.RunOptions{WallClock: clock, DropTickRecords: true, Interrupted: o.Stop}
	if o.Compare != nil {
		c, err := o.Compare()
		if err != nil {
			r.Err = err
			return r
		}
		ro.Reconcile = c.Reconcile
		defer func() {
			r.Compared, r.Differed = c.Counts()
			if err := c.Close(); err != nil && r.Err == nil {
				r.Err = err
			}
		}()
	}
	var compute, stmts, rows reports.Sketch
	var tl *Timeline
	var dash *dashboard.Builder
	if keepTimeline {
		tl = NewTimeline(cfg.Start, time.Minute)
		dash = dashboard.NewBuilder(cfg.Start, DashboardBucket(g.Duration))
	}
	mid := cfg.Start.Add(cfg.Duration / 2)
	var midIssues, midDone int
	midSeen := false
	var lastIssues, lastDone int
	rec := &record.Recorder{Knobs: p.KnobLabel, Sinks: []func(record.Row){func(row record.Row) {
		o.Live.Reach(live, row.At.Sub(cfg.Start))
		compute.Add(row.ComputeMs)
		stmts.Add(float64(row.Statements))
		rows.Add(float64(row.SQLRows))
		for k, c := range row.CostByPart {
			r.Parts[k] += c.Statements
		}
		r.NotifyMayor += row.ActionsByType["notify_mayor"]
		total, term := 0, row.Issues["closed"]+row.Issues["failed"]
		for _, n := range row.Issues {
			total += n
		}
		if !midSeen && !row.At.Before(mid) {
			midSeen, midIssues, midDone = true, lastIssues, lastDone
		}
		lastIssues, lastDone = total, term
		if tl != nil {
			tl.Add(row)
			for _, a := range row.AnalyticsRows() {
				_ = dash.Add(a) // our own rows are well-formed and in order
			}
		}
	}}}
	start := clock()
	ro.OnTick = rec.OnTick
	res, err := sim.Run(cfg, ro)
	r.Wall = clock().Sub(start)
	if cerr := rec.Close(); err == nil {
		err = cerr
	}
	r.Err = err
	if res == nil {
		return r
	}
	if res.Interrupted {
		return RunResult{Point: p, Seed: seed, Status: StatusAbandoned, Wall: r.Wall}
	}
	r.Ticks = res.Ticks
	r.ComputeMs, r.Statements, r.Rows = compute.Quantiles(), stmts.Quantiles(), rows.Quantiles()
	r.MeanComputeMs, r.MeanStatements = compute.Mean(), stmts.Mean()
	b := res.Beads
	r.IssuesCreated, r.Closed, r.Failed, r.Open = b.Created, b.Closed, b.Failed, b.Open
	if h := res.SimulatedTime.Hours(); h > 0 {
		r.ClosedPerHour = float64(b.Closed) / h
	}
	r.ArrivedLate, r.DoneLate = lastIssues-midIssues, lastDone-midDone
	r.KeepsUp = float64(r.DoneLate) >= 0.9*float64(r.ArrivedLate)
	r.TraceHash = res.TraceHash
	r.Timeline = tl
	r.Dashboard = dash
	return r
}

// DashboardBucket is the dashboard's time bucket for a run of duration d:
// about sixty buckets, at least one minute.
func DashboardBucket(d time.Duration) time.Duration {
	return max(time.Minute, (d / 60).Truncate(time.Minute))
}
