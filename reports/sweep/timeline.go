package sweep

import (
	"fmt"
	"time"

	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/reports/dashboard"
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

// NamedChart is a chart and the file name (without extension) it is
// written under.
type NamedChart struct {
	Name  string
	Chart reports.Chart
}

// RunCharts are the charts of one run: compute per tick and the pending
// queue over time, actions by type and issue beads by status over time,
// and the six Reconciler dashboard panels (when dash is not nil). what
// names the run in the titles.
func RunCharts(tl *Timeline, dash *dashboard.Builder, what string) []NamedChart {
	line := func(title, ylabel string, count bool, y func(b Bucket) float64) reports.Chart {
		c := reports.Chart{Title: title + " (" + what + ")", XLabel: "simulated time (minutes)", YLabel: ylabel, YCount: count}
		var xs, ys []float64
		for i, b := range tl.Bucket {
			if b.Ticks > 0 {
				xs = append(xs, tl.Minutes(i))
				ys = append(ys, y(b))
			}
		}
		c.Series = []reports.Series{{Name: ylabel, X: xs, Y: ys}}
		return c
	}
	out := []NamedChart{
		{"compute-over-time", line("Compute per tick over time, mean per minute", "compute per tick (ms)", false,
			func(b Bucket) float64 { return b.ComputeMs / float64(b.Ticks) })},
		{"pending-over-time", line("Pending event queue over time, newest sample per minute", "pending events (count)", true,
			func(b Bucket) float64 { return float64(b.Pending) })},
		{"actions-over-time", actionsChart(tl, what)},
		{"issues-over-time", issuesChart(tl, what)},
	}
	if dash != nil {
		for _, p := range dashboard.Reconciler {
			c := dash.Compute(p).Chart(tl.Start)
			c.Title += " (" + what + ")"
			out = append(out, NamedChart{fmt.Sprintf("dashboard-%d-%s", p.ID, reports.Slug(p.Title)), limitSeries(c, 8)})
		}
	}
	return out
}
