package sweep

import (
	"time"

	"github.com/townsim/townsim/reports/record"
)

// Timeline is a run over time in fixed buckets, so that its plots need
// memory in proportion to the simulated time over the bucket width, not
// to the number of ticks.
type Timeline struct {
	Start  time.Time
	Width  time.Duration
	Bucket []Bucket
}

// Bucket is one interval of a Timeline.
type Bucket struct {
	// Ticks is the number of ticks in the bucket.
	Ticks int
	// ComputeMs is the total and MaxComputeMs the largest compute per tick.
	ComputeMs, MaxComputeMs float64
	// Statements is the total statements.
	Statements int64
	// Pending is the last tick's pending event count (the newest sample).
	Pending int
	// Actions sums the actions by type.
	Actions map[string]int
	// Issues is the last tick's issues by status.
	Issues map[string]int
}

// NewTimeline starts a timeline at start with buckets of width.
func NewTimeline(start time.Time, width time.Duration) *Timeline {
	return &Timeline{Start: start, Width: width}
}

// Add adds a tick's row to its bucket.
func (t *Timeline) Add(r record.Row) {
	i := int(r.At.Sub(t.Start) / t.Width)
	if i < 0 {
		i = 0
	}
	for len(t.Bucket) <= i {
		t.Bucket = append(t.Bucket, Bucket{Actions: map[string]int{}})
	}
	b := &t.Bucket[i]
	b.Ticks++
	b.ComputeMs += r.ComputeMs
	b.MaxComputeMs = max(b.MaxComputeMs, r.ComputeMs)
	b.Statements += r.Statements
	b.Pending = r.PendingEventCount
	for k, v := range r.ActionsByType {
		b.Actions[k] += v
	}
	b.Issues = r.Issues
}

// Minutes returns the bucket's start as minutes since the timeline's start.
func (t *Timeline) Minutes(i int) float64 {
	return (time.Duration(i) * t.Width).Minutes()
}
