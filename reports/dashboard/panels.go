// Package dashboard reproduces the "Reconciler" row of production's
// Grafana dashboard (reconciler.md §5.4): six panels computed from a run's
// analytics rows (the reconciler_tick data points) with production's
// queries and thresholds, rendered as charts. It also checks panel
// definitions for a gauge that averages a level over a window, the
// mistake a reviewer found in the first version of the queue-depth gauge.
package dashboard

import (
	"fmt"
	"image/color"
	"strings"

	"github.com/townsim/townsim/reports"
)

// Agg is how a panel's query aggregates a column.
type Agg string

// The aggregations production's panels use.
const (
	// WeightedMean is Σ(col·si)/Σ(si): the mean per tick.
	WeightedMean Agg = "weighted_mean"
	// Sum is Σ(col·si): the total.
	Sum Agg = "sum"
	// ExplodeSum explodes a JSON object column into (key, value) pairs and
	// sums each key's values weighted by si: one series per key.
	ExplodeSum Agg = "explode_sum"
	// Latest is the column of the single newest row (no aggregation).
	Latest Agg = "latest"
)

// Query is one series of a panel: a column of the reconciler_tick rows
// and how it is aggregated.
type Query struct {
	// Name is the series name ("" for ExplodeSum: the keys name them).
	Name string
	// Column is "double1"…"double11" or "blob1"…"blob15".
	Column string
	Agg    Agg
	// Window is true when the aggregation runs over the whole time range
	// (one figure), false when it runs per time bucket.
	Window bool
	// Color is the series colour (nil = palette).
	Color color.Color
}

// Step is a threshold step: from Value on, the panel shows Color.
type Step struct {
	Value float64
	Color color.Color
	Name  string
}

// Panel is one panel's definition.
type Panel struct {
	ID    int
	Title string
	// Kind is "timeseries", "stat" or "gauge".
	Kind    string
	Queries []Query
	// Reduce is how a stat or gauge turns its series into one figure:
	// "sum" or "last".
	Reduce string
	// Steps are the thresholds (only those drawn are listed).
	Steps []Step
	// Unit labels the value axis, with its unit; Count marks an axis of
	// whole numbers.
	Unit  string
	Count bool
	// FigureUnit is the unit of the panel's figure as townsim dashboard
	// prints it ("ms per tick").
	FigureUnit string
}

// Levels lists the reconciler_tick columns that hold a level (a gauge:
// the state at the tick) rather than a count of what the tick did; only
// the newest sample of a level says where it stands now.
var Levels = map[string]string{"double8": "pendingEventCount"}

// Reconciler is production's Reconciler row (panels 201–206).
var Reconciler = []Panel{
	{ID: 201, Title: "Events Drained per Tick", Kind: "timeseries", Unit: "events drained per tick (mean)", FigureUnit: "events per tick",
		Queries: []Query{{Name: "events drained", Column: "double2", Agg: WeightedMean}}},
	{ID: 202, Title: "Actions Emitted by Type", Kind: "timeseries", Unit: "actions per bucket (count)", Count: true, FigureUnit: "actions",
		Queries: []Query{{Column: "blob10", Agg: ExplodeSum}}},
	{ID: 203, Title: "Side Effects (attempted / succeeded / failed)", Kind: "timeseries", Unit: "side effects per tick (mean)", FigureUnit: "side effects per tick",
		Queries: []Query{
			{Name: "attempted", Column: "double4", Agg: WeightedMean, Color: reports.Blue},
			{Name: "succeeded", Column: "double5", Agg: WeightedMean, Color: reports.Green},
			{Name: "failed", Column: "double6", Agg: WeightedMean, Color: reports.Red}}},
	{ID: 204, Title: "Invariant Violations", Kind: "stat", Reduce: "sum", Unit: "violations per bucket (count)", Count: true, FigureUnit: "violations",
		Queries: []Query{{Name: "violations", Column: "double7", Agg: Sum}},
		Steps:   []Step{{Value: 1, Color: reports.Red, Name: "red from 1"}}},
	{ID: 205, Title: "Reconciler Wall Clock Time", Kind: "timeseries", Unit: "wall clock per tick (ms)", FigureUnit: "ms per tick",
		Queries: []Query{{Name: "wall clock", Column: "double1", Agg: WeightedMean}},
		Steps:   []Step{{Value: 500, Color: reports.Red, Name: "500 ms"}}},
	{ID: 206, Title: "Pending Event Queue Depth", Kind: "gauge", Reduce: "last", Unit: "pending events (count)", Count: true, FigureUnit: "pending events",
		Queries: []Query{{Name: "pending events", Column: "double8", Agg: Latest, Window: true}},
		Steps:   []Step{{Value: 25, Color: reports.Yellow, Name: "yellow 25"}, {Value: 50, Color: reports.Red, Name: "red 50"}}},
}

// AveragedGauge206 is the first version of panel 206 (branch commit
// 57640e0d): Σ(double8·si)/Σ(si) over the whole range, the window average
// the review caught.
var AveragedGauge206 = Panel{ID: 206, Title: "Pending Event Queue Depth", Kind: "gauge", Reduce: "last", Unit: "pending events",
	Queries: []Query{{Name: "pending events", Column: "double8", Agg: WeightedMean, Window: true}},
	Steps:   []Step{{Value: 25, Color: reports.Yellow}, {Value: 50, Color: reports.Red}}}

// CheckGauge flags a panel that averages (or sums) a level over a window
// where it shows one current figure: a gauge or stat panel, or any query
// over the whole range, that aggregates a Levels column instead of taking
// its newest sample, and any gauge panel whose query aggregates at all.
// Such a panel hides the current backlog behind the window's history. It
// returns nil for a sound panel.
func CheckGauge(p Panel) error {
	var probs []string
	for _, q := range p.Queries {
		level, isLevel := Levels[q.Column]
		oneFigure := p.Kind == "gauge" || p.Kind == "stat" || q.Window
		switch {
		case p.Kind == "gauge" && q.Agg != Latest:
			probs = append(probs, fmt.Sprintf("gauge query on %s aggregates (%s) over the window instead of taking the newest row", q.Column, q.Agg))
		case isLevel && oneFigure && q.Agg != Latest:
			probs = append(probs, fmt.Sprintf("%s (%s) is a level; %s over the window hides its current value", q.Column, level, q.Agg))
		}
		if isLevel && p.Kind != "timeseries" && p.Reduce != "" && p.Reduce != "last" {
			probs = append(probs, fmt.Sprintf("%s (%s) is a level reduced with %q; only \"last\" shows the current value", q.Column, level, p.Reduce))
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("panel %d %q: %s", p.ID, p.Title, strings.Join(probs, "; "))
}
