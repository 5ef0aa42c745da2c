package sweep

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/townsim/townsim/reports"
)

// TestAnalyzeKnownAnswers feeds Analyze made-up runs with known limits:
// compute 0.01·n^1.5 ms (p99 three times that), budget 500 ms, throughput
// keeping up to 30 agents, reconcileBeads dominating from 100 agents.
func TestAnalyzeKnownAnswers(t *testing.T) {
	g := DefaultGrid()
	g.Agents = []int{10, 30, 100, 300, 1000}
	var runs []RunResult
	for _, n := range g.Agents {
		for s := 0; s < 2; s++ {
			mean := 0.01 * math.Pow(float64(n), 1.5) * (1 + 0.01*float64(s))
			parts := map[string]int64{"reconcileBeads": int64(n), "reconcileReviewQueue": 100}
			runs = append(runs, RunResult{
				Point: Point{Agents: n, Rigs: 3, KnobLabel: "production"}, Seed: uint64(1 + s),
				MeanComputeMs: mean, ComputeMs: reports.Quantiles{P99: 3 * mean},
				MeanStatements: 5 * float64(n), Statements: reports.Quantiles{P99: 9 * float64(n)},
				KeepsUp: n <= 30, ClosedPerHour: 100 - math.Abs(float64(n)-100)/10, Parts: parts,
			})
		}
	}
	a := Analyze(g, runs, time.Minute, 2)
	if len(a.Groups) != 1 {
		t.Fatalf("%d groups", len(a.Groups))
	}
	gr := a.Groups[0]
	// p99 = 0.03·n^1.5: 300 → 156 ms, 1000 → 949 ms.
	if gr.LargestUnderBudget != 300 {
		t.Errorf("largest under budget %d, want 300", gr.LargestUnderBudget)
	}
	if gr.LargestKeepingUp != 30 {
		t.Errorf("largest keeping up %d, want 30", gr.LargestKeepingUp)
	}
	if gr.PeakAt != 100 || gr.PeakClosedPerHour != 100 {
		t.Errorf("peak %v at %d, want 100 at 100", gr.PeakClosedPerHour, gr.PeakAt)
	}
	if gr.ComputeErr != nil || gr.Compute.Lo > 1.5 || gr.Compute.Hi < 1.5 || math.Abs(gr.Compute.Exponent-1.5) > 0.01 {
		t.Errorf("compute fit %+v %v", gr.Compute, gr.ComputeErr)
	}
	for i, ps := range gr.Points {
		if i == 0 && !math.IsNaN(ps.LocalComputeExp) {
			t.Errorf("smallest fleet has a local exponent %v", ps.LocalComputeExp)
		}
		if i > 0 && (math.Abs(ps.LocalComputeExp-1.5) > 0.02 || math.Abs(ps.LocalStatementsExp-1) > 1e-9) {
			t.Errorf("%d agents: local exponents %v / %v, want 1.5 / 1", ps.Point.Agents, ps.LocalComputeExp, ps.LocalStatementsExp)
		}
	}
	if math.Abs(gr.Statements.Exponent-1) > 1e-9 {
		t.Errorf("statements exponent %v, want 1", gr.Statements.Exponent)
	}
	// Mean compute reaches 500 ms at (500/0.01)^(1/1.5) ≈ 1357 agents.
	if math.Abs(gr.BudgetAt-1357) > 20 {
		t.Errorf("budget reached at %v, want about 1357", gr.BudgetAt)
	}
	for _, ps := range a.Points {
		top := ps.Dominant[0].Part
		want := "reconcileReviewQueue"
		if ps.Point.Agents > 100 {
			want = "reconcileBeads"
		}
		if ps.Point.Agents != 100 && top != want {
			t.Errorf("%d agents: dominant %s, want %s", ps.Point.Agents, top, want)
		}
	}
	// A failed run spoils its point's limits.
	runs[6].Err = errors.New("boom") // 300 agents, seed 1
	a = Analyze(g, runs, time.Minute, 2)
	if a.Groups[0].LargestUnderBudget != 100 || a.Points[3].Failed != 1 {
		t.Errorf("with a failed 300-agent run: largest under budget %d, failed %d", a.Groups[0].LargestUnderBudget, a.Points[3].Failed)
	}
	// Ten runs of no recorded wall time in one minute overlapped not at all.
	if s := a.Speedup(); s != 0 {
		t.Errorf("speedup %v, want 0", s)
	}
}
