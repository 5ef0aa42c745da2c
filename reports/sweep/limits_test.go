package sweep

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/reports"
)

// groupOf analyses a one-group sweep whose runs have mean compute
// coeff·n^exp and p99 three times that.
func groupOf(t *testing.T, agents []int, coeff, exp float64) *Group {
	t.Helper()
	g := DefaultGrid()
	g.Agents = agents
	var runs []RunResult
	for _, n := range agents {
		for s := 0; s < 2; s++ {
			mean := coeff * math.Pow(float64(n), exp) * (1 + 0.01*float64(s))
			runs = append(runs, RunResult{Point: Point{Agents: n, Rigs: 3, KnobLabel: "production"}, Seed: uint64(1 + s),
				MeanComputeMs: mean, ComputeMs: reports.Quantiles{P99: 3 * mean}, MeanStatements: float64(n)})
		}
	}
	return Analyze(g, runs, time.Minute, 1).Groups[0]
}

// The limits never state an extrapolation past 2× the largest fleet, and
// say "≥ N" when every size tested was under budget.
func TestBudgetLimitsStayWithinTheData(t *testing.T) {
	cases := []struct {
		name         string
		agents       []int
		coeff, exp   float64
		limit, reach string
		notInReach   string
	}{
		// 5–20 agents at 1 ms·n^1: the fit reaches 500 ms at 500 agents, 25× past the data.
		{"far past the data", []int{5, 10, 20}, 1, 1, "≥ 20 agents (every size tested was under budget)",
			"not reached within the measured range (largest: 20); next sweep: --agents 40,80,160,320", "≈"},
		// 0.01·n^1.5 up to 1000: mean reaches 500 ms at ≈1357 (< 2000), p99 passes 500 ms before 1000.
		{"within 2x", []int{10, 100, 1000}, 0.01, 1.5, "100 agents", "agents (extrapolated, within 2× the largest measured)", "not reached"},
		// Reached inside the data.
		{"interpolated", []int{10, 100, 1000}, 0.1, 1.5, "100 agents", "(interpolated)", "not reached"},
		{"none under budget", []int{10, 100}, 200, 1, "none", "", ""},
	}
	for _, c := range cases {
		gr := groupOf(t, c.agents, c.coeff, c.exp)
		if got := gr.budgetLimitText(); !strings.HasPrefix(got, c.limit) {
			t.Errorf("%s: limit %q, want %q", c.name, got, c.limit)
		}
		got := gr.budgetReachText()
		if !strings.Contains(got, c.reach) || (c.notInReach != "" && strings.Contains(got, c.notInReach)) {
			t.Errorf("%s: reach %q, want it to contain %q and not %q", c.name, got, c.reach, c.notInReach)
		}
	}
}

func TestNextSizes(t *testing.T) {
	cases := []struct {
		largest int
		at      float64
		want    []int
	}{
		{20, math.Inf(1), []int{40, 80, 160, 320}},
		{20, 100, []int{40, 80, 160}},
		{300, 700, []int{600, 1200}},
		{8000, math.Inf(1), []int{8000}},
	}
	for _, c := range cases {
		if got := NextSizes(c.largest, c.at); !slices.Equal(got, c.want) {
			t.Errorf("NextSizes(%d, %v) = %v, want %v", c.largest, c.at, got, c.want)
		}
	}
}

// The compute chart plots each run's p99 against the p99 budget, with the
// mean as a second series.
func TestComputeChartPlotsP99AgainstTheBudget(t *testing.T) {
	g := DefaultGrid()
	g.Agents = []int{10, 100}
	var runs []RunResult
	for _, n := range g.Agents {
		runs = append(runs, RunResult{Point: Point{Agents: n, Rigs: 3, KnobLabel: "production"}, Seed: 1,
			MeanComputeMs: float64(n), ComputeMs: reports.Quantiles{P99: 7 * float64(n)}, MeanStatements: float64(n)})
	}
	a := Analyze(g, runs, time.Minute, 1)
	c := a.charts()[0]
	if c.Name != "compute-vs-fleet" {
		t.Fatalf("first chart %s", c.Name)
	}
	s := c.Chart.Series
	if !strings.HasPrefix(s[0].Name, "p99") || !slices.Equal(s[0].Y, []float64{70, 700}) {
		t.Errorf("first series %q %v, want the runs' p99 70, 700", s[0].Name, s[0].Y)
	}
	if !strings.HasPrefix(s[1].Name, "mean") || !slices.Equal(s[1].Y, []float64{10, 100}) {
		t.Errorf("second series %q %v, want the means", s[1].Name, s[1].Y)
	}
	if th := c.Chart.Thresholds; len(th) != 1 || th[0].Value != 500 || !strings.Contains(th[0].Name, "p99") {
		t.Errorf("thresholds %+v, want the p99 budget at 500", th)
	}
}
