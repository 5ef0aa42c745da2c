package sim

import (
	"io"
	"maps"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
)

// RunOptions are how a run is observed; none of them changes what happens,
// except a Reconcile whose actions differ from the port's.
type RunOptions struct {
	// DBPath is the Town's database file; "" = in memory.
	DBPath string
	// Trace receives the trace lines; nil = hash only.
	Trace io.Writer
	// WallClock reads the real clock to measure compute around model
	// calls; nil = not measured. It is never fed back into the simulation.
	WallClock func() time.Time
	// Progress is called every ProgressEvery of simulated time (both must
	// be set); a point inside a tick waits for the tick's end.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// OnTick, when set, sees every finished tick (retries and throwing
	// ticks included) in order, with the tick's result (nil when the tick
	// returned none) and the world, which it may read (World.StatusCounts)
	// but must not drive. It is how a recorder streams per-tick rows.
	OnTick func(rec *TickRecord, res *alarm.TickResult, w *World)
	// OnCall, when set, sees every external call of the Town when it is
	// answered, with the world, which it may read but must not drive.
	OnCall func(c model.Call, r model.Result, w *World)
	// OnAnalytics, when set, sees every analytics data point the Town
	// writes (the Analytics Engine sink), when it is written, with the
	// world, which it may read but must not drive.
	OnAnalytics func(e model.AnalyticsEvent, w *World)
	// DropTickRecords leaves Result.TickRecords empty, so that a long run's
	// memory does not grow with its ticks; stream them with OnTick instead.
	DropTickRecords bool
	// Interrupted is polled before every engine event, the first one of
	// the initial fill included (nil = never); when it returns true the
	// run stops there and its Result says so. It cannot change what
	// happens before the stop: a run that is never interrupted gives the
	// same trace hash as one without the option. An event in progress (a
	// tick's compute between two awaits) is not cut short.
	Interrupted func() bool
	// Reconcile, when set, is the reconcile pass every alarm tick runs in
	// place of the port's reconciler.Reconcile (differential mode). One
	// that returns the port's actions (compare mode) leaves the run as it
	// is; one that returns another reconciler's actions drives the run.
	Reconcile alarm.ReconcileFunc
	// Apply and Events, when set, run beside the port's action executor
	// and event drain (differential mode, alarm.Hooks); like Reconcile in
	// compare mode they must leave the run as it is.
	Apply  alarm.ApplyFunc
	Events model.EventObserver
	// RPC, when set, sees each RPC the world makes into the Town, right
	// before and right after its synchronous part (an observer: it must
	// read the Town unmetered and leave the run as it is).
	RPC RPCObserver
	// WrapTick, when set, wraps the alarm handler (alarm.Tick). It is for
	// tests that make the tick slower or chattier on purpose, such as the
	// regression gate's own tests; unlike the other options it changes
	// what a run does, and townsim's commands never set it.
	WrapTick func(TickFunc) TickFunc
}

// Progress is a run's state at a progress point.
type Progress struct {
	// SimTime is the virtual time of the point.
	SimTime time.Time
	// Ticks is the number of ticks run so far.
	Ticks int
	// PendingEvents is the number of unprocessed town events.
	PendingEvents int
	// Beads counts the users' issues so far.
	Beads BeadCounts
}

// BeadCounts counts the issues users created and how they stand.
type BeadCounts struct {
	// Created is the number of issues the Town accepted.
	Created int
	// Closed and Failed are those in a terminal status.
	Closed, Failed int
	// Open is the rest (open, in_progress, in_review).
	Open int
	// Deleted are those a user deleted (not in Closed, Failed or Open).
	Deleted int
}

// Result is what a run did.
type Result struct {
	// Config is the scenario that ran.
	Config Config
	// Ticks is the number of tick runs (retries included); TickErrors the
	// runs that threw; Retries the runs that were platform retries.
	Ticks, TickErrors, Retries int
	// TickRecords has one record per tick run, in order (empty with
	// RunOptions.DropTickRecords).
	TickRecords []TickRecord
	// EventsDrained is the sum of the ticks' eventsDrained.
	EventsDrained int
	// ActionsByType counts the emitted actions by type.
	ActionsByType map[string]int
	// SideEffectsAttempted, SideEffectsSucceeded and SideEffectsFailed sum
	// the ticks' side-effect metrics.
	SideEffectsAttempted, SideEffectsSucceeded, SideEffectsFailed int
	// InvariantViolations sums the ticks' violations; ViolationsByNumber
	// splits them by invariant number.
	InvariantViolations int
	ViolationsByNumber  map[int]int
	// Beads counts the users' issues and how they ended.
	Beads BeadCounts
	// PendingEventsAtEnd is the number of unprocessed town events at the end.
	PendingEventsAtEnd int
	// SimulatedTime is the virtual time covered.
	SimulatedTime time.Duration
	// ModelCompute is the real time spent in model code (ticks and RPCs);
	// TotalWall the real time of the whole run. Both 0 without WallClock.
	ModelCompute, TotalWall time.Duration
	// TraceHash identifies the run: the same seed and config give the same hash.
	TraceHash    string
	TraceRecords uint64
	// World is what the synthetic world did.
	World WorldStats
	// Env is the coroutine machinery's work.
	Env EnvStats
	// Faults is what the fault layer did: the resolved mix, the faults
	// that fired by kind, the kinds that never fired, the heal time.
	Faults FaultReport
	// Interrupted reports that RunOptions.Interrupted stopped the run
	// before its horizon; SimulatedTime says how far it got.
	Interrupted bool
}

// Run simulates cfg from its start for its duration and returns the result.
func Run(cfg Config, opts RunOptions) (*Result, error) {
	w, err := NewWorld(cfg, opts)
	if err != nil {
		return nil, err
	}
	end := w.cfg.Start.Add(w.cfg.Duration)
	interrupted := false
	if opts.Interrupted == nil {
		w.RunUntil(end)
	} else {
		interrupted = w.runUntilInterrupted(end, opts.Interrupted)
	}
	res := w.Result()
	res.Interrupted = interrupted
	if err := w.Close(); err != nil {
		return res, err
	}
	return res, nil
}

// runUntilInterrupted is RunUntil(end) one event time at a time, asking
// stop before each; it reports whether stop ended the run early. Running
// to each event's time in turn runs the same events in the same order as
// one RunUntil(end).
func (w *World) runUntilInterrupted(end time.Time, stop func() bool) bool {
	for {
		at, ok := w.eng.NextAt()
		if !ok || at.After(end) {
			break
		}
		if stop() {
			return true
		}
		w.RunUntil(at)
	}
	w.RunUntil(end)
	return false
}

// Result summarises the run so far. It reads the Town's database (bead
// statuses, pending events).
func (w *World) Result() *Result {
	d := w.alarm
	r := &Result{
		Config:               w.cfg,
		Ticks:                d.ticks,
		TickErrors:           d.threw,
		Retries:              d.retryRuns,
		TickRecords:          append([]TickRecord(nil), d.records...),
		EventsDrained:        w.agg.eventsDrained,
		ActionsByType:        maps.Clone(w.agg.actionsByType),
		SideEffectsAttempted: w.agg.seAttempted,
		SideEffectsSucceeded: w.agg.seSucceeded,
		SideEffectsFailed:    w.agg.seFailed,
		InvariantViolations:  w.agg.violations,
		ViolationsByNumber:   maps.Clone(w.agg.violationsByNumber),
		Beads:                w.beadCounts(),
		SimulatedTime:        w.eng.Now().Sub(w.cfg.Start),
		ModelCompute:         w.rpcMeter.Compute,
		TraceHash:            w.trace.Hash(),
		TraceRecords:         w.trace.Count(),
		World:                w.stats,
		Env:                  w.env.Stats(),
	}
	r.World.Faults = maps.Clone(w.stats.Faults)
	r.Faults = w.faults.report()
	r.World.Analytics = maps.Clone(w.stats.Analytics)
	r.PendingEventsAtEnd, _ = w.town.PendingEventCount()
	r.ModelCompute += d.compute
	if w.opts.WallClock != nil {
		r.TotalWall = w.opts.WallClock().Sub(w.wallStart)
	}
	return r
}

// Close abandons the coroutines still waiting, flushes the trace and
// closes the Town. It returns the first trace write error.
func (w *World) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.env.Close()
	err := w.trace.Flush()
	if cerr := w.town.Close(); err == nil {
		err = cerr
	}
	return err
}

// RPCObserver watches the world's RPCs into the Town (RunOptions.RPC):
// BeforeRPC runs just before the RPC's synchronous part, AfterRPC just
// after it with its error. op is the RPC's trace name (sling_bead, ...).
type RPCObserver interface {
	BeforeRPC(t *model.Town, op string)
	AfterRPC(t *model.Town, op string, err error)
}
