package explore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/townsim/townsim/scenarios"
)

// Options steer a campaign run.
type Options struct {
	Campaign scenarios.Campaign
	// Cases is the number of cases of the whole campaign (indices 0 to
	// Cases-1; this shard runs its slice of them); 0 runs until Budget.
	Cases int
	// Budget is the real time after which no case starts (0 = none).
	Budget time.Duration
	// Shard and Shards: this run is shard Shard of Shards (0 ≤ Shard <
	// Shards) and runs the indices i with i mod Shards = Shard.
	Shard, Shards int
	// Jobs is the number of tasks at once (the executor's workers).
	Jobs int
	// ShrinkRuns bounds each shrink (0 = DefaultShrinkRuns).
	ShrinkRuns int
	// Exec runs the tasks.
	Exec Executor
	// Gastown, when set, runs every case (and shrink) beside a gastown
	// checkout's reconcile.
	Gastown *Gastown
	// Progress, when set, is called after each case (from one goroutine
	// at a time).
	Progress func(r *Report, last CaseResult)
	// NoShrink leaves every failure unshrunk (a judge needs only the
	// verdict, see `townsim explore --json`).
	NoShrink bool
	// StopWhen, when set, sees each case that ended (from one goroutine at
	// a time); once it returns true no case or shrink starts, the running
	// ones end, and the report holds what ended (fail fast).
	StopWhen func(CaseResult) bool
}

// Run runs the campaign until its cases or its budget end, or ctx ends
// (Ctrl-C): then no task starts, the running ones are abandoned, and the
// report holds the cases that ended (Interrupted set). Each failure
// signature is shrunk from the lowest case index that shows it, so that
// the report does not depend on the order in which workers finish.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.Campaign.Validate(); err != nil {
		return nil, err
	}
	if o.Shards < 1 {
		o.Shards = 1
	}
	if o.Shard < 0 || o.Shard >= o.Shards {
		return nil, fmt.Errorf("shard %d of %d: want 0 ≤ shard < shards", o.Shard, o.Shards)
	}
	if o.Cases <= 0 && o.Budget <= 0 {
		return nil, fmt.Errorf("the campaign has neither a number of cases nor a budget")
	}
	if o.Jobs < 1 {
		o.Jobs = 1
	}
	start := time.Now()
	r := &Report{Version: ReportVersion, Campaign: o.Campaign, Cases: o.Cases, Budget: o.Budget,
		Shard: o.Shard, Shards: o.Shards, Jobs: o.Jobs, Gastown: o.Gastown, shrunk: map[string]*Shrunk{}}
	d := &driver{o: o, r: r, start: start, next: o.Shard}
	d.cond = sync.NewCond(&d.mu)
	stop := context.AfterFunc(ctx, func() { d.mu.Lock(); d.cond.Broadcast(); d.mu.Unlock() })
	defer stop()
	var wg sync.WaitGroup
	for range o.Jobs {
		wg.Go(func() { d.work(ctx) })
	}
	wg.Wait()
	r.Wall = time.Since(start)
	r.Interrupted = ctx.Err() != nil
	r.Stopped = d.stopped
	r.finish()
	if d.err != nil {
		return r, d.err
	}
	return r, nil
}

// driver hands out tasks: shrinks first, then the next case index.
type driver struct {
	o       Options
	r       *Report
	start   time.Time
	mu      sync.Mutex
	cond    *sync.Cond
	next    int    // the next case index to start
	shrinks []Task // shrinks waiting
	running int    // tasks running
	err     error  // why the campaign ended early
	failed  int    // tasks failed in a row
	stopped bool   // StopWhen said so
}

// casesLeft reports whether another case may start.
func (d *driver) casesLeft() bool {
	if d.err != nil || d.stopped {
		return false
	}
	if d.o.Cases > 0 && d.next >= d.o.Cases {
		return false
	}
	return d.o.Budget <= 0 || time.Since(d.start) < d.o.Budget
}

// take returns the next task, waiting while others run and may yet add
// shrinks; ok is false when the campaign is over.
func (d *driver) take(ctx context.Context) (Task, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		if ctx.Err() != nil {
			return Task{}, false
		}
		if len(d.shrinks) > 0 && !d.stopped {
			t := d.shrinks[0]
			d.shrinks = d.shrinks[1:]
			d.running++
			return t, true
		}
		if d.casesLeft() {
			t := Task{Op: OpCase, Campaign: d.o.Campaign, Index: d.next, Gastown: d.o.Gastown}
			d.next += d.o.Shards
			d.running++
			return t, true
		}
		if d.running == 0 {
			return Task{}, false
		}
		d.cond.Wait()
	}
}

func (d *driver) work(ctx context.Context) {
	for {
		t, ok := d.take(ctx)
		if !ok {
			return
		}
		var err error
		var cpu time.Duration
		switch t.Op {
		case OpCase:
			var cr CaseResult
			cpu, err = d.o.Exec.Do(ctx, t, &cr)
			if ctx.Err() == nil {
				if err != nil { // the case could not run, or its worker died
					cr = CaseResult{Index: t.Index, Error: err.Error()}
				}
				cr.CPU = cpu
				cr.FoundAt = time.Since(d.start)
				d.caseDone(cr)
			}
		case OpShrink:
			var s Shrunk
			cpu, err = d.o.Exec.Do(ctx, t, &s)
			if ctx.Err() == nil {
				d.shrinkDone(t, s, cpu, err)
			}
		}
		d.mu.Lock()
		d.running--
		if err == nil {
			d.failed = 0
		} else if d.failed++; d.failed >= maxFailedInARow && d.err == nil {
			d.err = fmt.Errorf("%d tasks in a row failed; the last: %w", d.failed, err)
		}
		d.cond.Broadcast()
		d.mu.Unlock()
	}
}

// maxFailedInARow ends a campaign whose tasks keep failing (workers that
// cannot start, a broken binary).
const maxFailedInARow = 10

// caseDone records a case and queues the shrinks it calls for: a
// signature not seen yet, or seen only at a higher index.
func (d *driver) caseDone(cr CaseResult) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.r.CaseResults = append(d.r.CaseResults, cr)
	if d.o.StopWhen != nil && d.o.StopWhen(cr) {
		d.stopped = true
	}
	for _, sig := range cr.signatures() {
		first, seen := d.r.firstCase(sig)
		if seen && first < cr.Index {
			continue
		}
		d.r.setFirst(sig, cr.Index)
		if d.o.NoShrink {
			continue
		}
		d.shrinks = append(d.shrinks, Task{Op: OpShrink, Campaign: d.o.Campaign, Index: cr.Index,
			Signature: sig, ShrinkRuns: d.o.ShrinkRuns, Gastown: d.o.Gastown})
	}
	if d.o.Progress != nil {
		d.o.Progress(d.r, cr)
	}
}

// shrinkDone keeps a shrink's result when its case is still the
// signature's first.
func (d *driver) shrinkDone(t Task, s Shrunk, cpu time.Duration, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.r.ShrinkCPU += cpu
	if first, _ := d.r.firstCase(t.Signature); first != t.Index {
		return
	}
	if err != nil {
		s = Shrunk{Signature: t.Signature, Index: t.Index, Violation: "shrink failed: " + err.Error()}
	}
	d.r.shrunk[t.Signature] = &s
}

// sortCases orders case results by index.
func sortCases(cs []CaseResult) {
	slices.SortFunc(cs, func(a, b CaseResult) int { return a.Index - b.Index })
}
