package record

import (
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// Recorder turns every tick of a run into a Row and hands it to its
// writers and sinks; plug its OnTick into sim.RunOptions.OnTick. It keeps
// no rows: memory does not grow with the run.
type Recorder struct {
	// Knobs is the run's knob label (model.Knobs.Label).
	Knobs string
	// Writers receive every row; the first error stops writing and is
	// kept (Err).
	Writers []Writer
	// Sinks receive every row too (summaries, timelines, dashboards).
	Sinks []func(Row)
	// TickSinks receive every tick as it is, before any row is built: a
	// summary that needs only a tick's own figures (ComputeMs, Cost) uses
	// one, and a Recorder with no Writers and no Sinks builds no rows.
	TickSinks []func(*sim.TickRecord)
	// NoStatus skips the status snapshot after each tick (its grouped
	// counts take real time in a large town); the rows' issue and agent
	// counts are then zero.
	NoStatus bool

	n   int
	err error
}

// OnTick records one tick; it has sim.RunOptions.OnTick's signature.
func (r *Recorder) OnTick(rec *sim.TickRecord, res *alarm.TickResult, w *sim.World) {
	r.n++
	for _, f := range r.TickSinks {
		f(rec)
	}
	if len(r.Writers) == 0 && len(r.Sinks) == 0 {
		return
	}
	var st sim.StatusCounts
	if !r.NoStatus {
		var err error
		if st, err = w.StatusCounts(); err != nil && r.err == nil {
			r.err = err
		}
	}
	row := FromTick(r.n, rec, res, st, r.Knobs)
	for _, s := range r.Sinks {
		s(row)
	}
	if r.err != nil {
		return
	}
	for _, wr := range r.Writers {
		if err := wr.Write(row); err != nil {
			r.err = err
			return
		}
	}
}

// Ticks returns the number of ticks recorded.
func (r *Recorder) Ticks() int { return r.n }

// Close flushes the writers and returns the first error of the recording.
func (r *Recorder) Close() error {
	for _, wr := range r.Writers {
		if err := wr.Flush(); err != nil && r.err == nil {
			r.err = err
		}
	}
	return r.err
}
