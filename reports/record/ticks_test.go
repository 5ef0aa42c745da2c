package record

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// BenchmarkFromTick builds the row of a tick shaped like the default
// town's: 20 parts in CostByPart, two action types. townsim run builds
// one per tick for its summary, so it is part of the harness's time.
func BenchmarkFromTick(b *testing.B) {
	at := time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)
	rec := &sim.TickRecord{At: at, AlarmAt: at, End: at.Add(time.Second), CostByPart: map[string]model.Cost{}}
	for i := range 20 {
		rec.CostByPart["part "+strconv.Itoa(i)] = model.Cost{Statements: int64(i), Rows: int64(2 * i)}
	}
	rec.Metrics.ActionsByType = map[string]int{"poll_pr": 1, "dispatch_agent": 2}
	b.ReportAllocs()
	for b.Loop() {
		_ = FromTick(1, rec, nil, sim.StatusCounts{}, "production")
	}
}

// TestTickSinks: tick sinks see every tick; a Recorder with tick sinks
// only builds no row (so it takes no status snapshot: the nil world would
// fail it), and one with row sinks too hands both the same figures.
func TestTickSinks(t *testing.T) {
	ticks := []*sim.TickRecord{
		{Compute: 1500 * time.Microsecond, Cost: model.Cost{Statements: 80, Rows: 139}},
		{Compute: 2 * time.Millisecond, Cost: model.Cost{Statements: 90, Rows: 150}},
	}
	for _, withRows := range []bool{false, true} {
		var fromTicks, fromRows []float64
		rec := &Recorder{TickSinks: []func(*sim.TickRecord){func(tr *sim.TickRecord) {
			fromTicks = append(fromTicks, ComputeMs(tr), float64(tr.Cost.Statements), float64(tr.Cost.Rows))
		}}}
		if withRows {
			rec.NoStatus = true
			rec.Sinks = []func(Row){func(r Row) {
				fromRows = append(fromRows, r.ComputeMs, float64(r.Statements), float64(r.SQLRows))
			}}
		}
		for _, tr := range ticks {
			rec.OnTick(tr, nil, nil)
		}
		want := []float64{1.5, 80, 139, 2, 90, 150}
		if !slices.Equal(fromTicks, want) {
			t.Errorf("rows %v: tick sinks saw %v, want %v", withRows, fromTicks, want)
		}
		if withRows && !slices.Equal(fromRows, want) {
			t.Errorf("row sinks saw %v, want %v", fromRows, want)
		}
		if rec.Ticks() != len(ticks) {
			t.Errorf("rows %v: Ticks() = %d, want %d", withRows, rec.Ticks(), len(ticks))
		}
	}
}
