package dashboard

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/reports/record"
	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// TestPanelsMatchRunCounts exports a run's analytics rows, reads them
// back, computes every panel of the Reconciler row and compares each
// figure with the run's own counts.
func TestPanelsMatchRunCounts(t *testing.T) {
	cfg := scenarios.Default()
	cfg.Agents = 30 // the breaker opens: notify_mayor, violations
	cfg.Duration = 25 * time.Minute
	var buf bytes.Buffer
	wr, err := record.NewWriter(&buf, record.Analytics)
	if err != nil {
		t.Fatal(err)
	}
	var wallSum float64
	var last sim.TickRecord
	threw := 0
	rec := &record.Recorder{Writers: []record.Writer{wr}, NoStatus: true}
	res, err := sim.Run(cfg, sim.RunOptions{DropTickRecords: true, OnTick: func(tr *sim.TickRecord, r *alarm.TickResult, w *sim.World) {
		rec.OnTick(tr, r, w)
		wallSum += tr.Metrics.WallClockMs
		last = *tr
		if tr.Threw {
			threw++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if threw > 0 {
		t.Fatalf("%d ticks threw; a thrown tick writes no reconciler_tick row and the comparison needs none", threw)
	}
	b := NewBuilder(cfg.Start, 5*time.Minute)
	if err := record.ReadAnalytics(&buf, "export", b.Add); err != nil {
		t.Fatal(err)
	}
	if b.Rows() != res.Ticks {
		t.Fatalf("%d reconciler_tick rows for %d ticks", b.Rows(), res.Ticks)
	}
	n := float64(b.Rows())
	fig := map[int]Figures{}
	for _, p := range Reconciler {
		fig[p.ID] = b.Compute(p)
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: panel says %v, run says %v", name, got, want)
		}
	}
	near("201 events drained (mean × ticks)", fig[201].Totals["events drained"]*n, float64(res.EventsDrained))
	if len(res.ActionsByType) == 0 || res.ActionsByType["notify_mayor"] == 0 {
		t.Fatalf("the run should emit actions and open the breaker: %v", res.ActionsByType)
	}
	for typ, c := range res.ActionsByType {
		near("202 actions "+typ, fig[202].Totals[typ], float64(c))
	}
	if len(fig[202].Totals) != len(res.ActionsByType) {
		t.Errorf("202 has %d series, the run %d action types", len(fig[202].Totals), len(res.ActionsByType))
	}
	near("203 attempted", fig[203].Totals["attempted"]*n, float64(res.SideEffectsAttempted))
	near("203 succeeded", fig[203].Totals["succeeded"]*n, float64(res.SideEffectsSucceeded))
	near("203 failed", fig[203].Totals["failed"]*n, float64(res.SideEffectsFailed))
	near("204 violations", fig[204].Value, float64(res.InvariantViolations))
	near("205 mean wall clock", fig[205].Value, wallSum/n)
	near("206 newest pending", fig[206].Value, float64(last.Metrics.PendingEventCount))
	// Per bucket, the 204 series sums to the stat's figure.
	var s float64
	for _, v := range fig[204].Series["violations"] {
		s += v
	}
	near("204 buckets", s, fig[204].Value)
	// The averaged gauge of the first version shows the window's mean, a
	// different figure whenever the queue moved.
	avg := b.Compute(AveragedGauge206).Value
	var sum float64
	for _, v := range fig[206].Series["pending events"] {
		sum += v
	}
	if avg == fig[206].Value && sum != fig[206].Value*float64(len(fig[206].Times)) {
		t.Errorf("averaged gauge %v equals the newest sample %v although the queue moved", avg, fig[206].Value)
	}
	for _, p := range Reconciler {
		c := fig[p.ID].Chart(cfg.Start)
		if _, err := c.Render("png"); err != nil {
			t.Errorf("panel %d: %v", p.ID, err)
		}
	}
}

func TestCheckGauge(t *testing.T) {
	cases := []struct {
		name    string
		p       Panel
		flagged string
	}{
		{"production 206 (newest row)", Reconciler[5], ""},
		{"first 206 (window average)", AveragedGauge206, "aggregates (weighted_mean)"},
		{"production 204 (stat sum of a count)", Reconciler[3], ""},
		{"production 201 (bucketed mean)", Reconciler[0], ""},
		{"stat averaging the queue", Panel{ID: 1, Kind: "stat", Reduce: "last",
			Queries: []Query{{Column: "double8", Agg: WeightedMean}}}, "is a level"},
		{"stat summing the newest queue samples", Panel{ID: 2, Kind: "stat", Reduce: "sum",
			Queries: []Query{{Column: "double8", Agg: Latest}}}, `reduced with "sum"`},
		{"timeseries of the queue per bucket", Panel{ID: 3, Kind: "timeseries",
			Queries: []Query{{Column: "double8", Agg: WeightedMean}}}, ""},
		{"timeseries row over the range", Panel{ID: 4, Kind: "timeseries",
			Queries: []Query{{Column: "double8", Agg: Sum, Window: true}}}, "is a level"},
		{"gauge of a count summed", Panel{ID: 5, Kind: "gauge",
			Queries: []Query{{Column: "double7", Agg: Sum, Window: true}}}, "gauge query"},
	}
	for _, c := range cases {
		err := CheckGauge(c.p)
		switch {
		case c.flagged == "" && err != nil:
			t.Errorf("%s: flagged: %v", c.name, err)
		case c.flagged != "" && (err == nil || !strings.Contains(err.Error(), c.flagged)):
			t.Errorf("%s: got %v, want a flag containing %q", c.name, err, c.flagged)
		}
	}
	for _, p := range Reconciler {
		if err := CheckGauge(p); err != nil {
			t.Errorf("production panel flagged: %v", err)
		}
	}
}
