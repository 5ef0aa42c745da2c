package gate

import (
	"testing"
)

// judgeFixture is a baseline entry and a measurement equal to it, for
// tests to change one thing at a time.
func judgeFixture() (*BaselineEntry, *Measurement) {
	det := Deterministic{
		Ticks:      100,
		TraceHash:  "aaaa",
		Statements: Dist{Total: 5000, P50: 48, P99: 90, Max: 120},
		Rows:       Dist{Total: 7000, P50: 70, P99: 100, Max: 150},
		Actions:    Dist{Total: 100, P50: 1, P99: 5, Max: 9},
		StatementsByPart: map[string]int64{
			"reconcileBeads": 2000, "T11 invariants": 1000, RestOfTick: 2000,
		},
	}
	wall := Wall{
		ComputeMsP50: []float64{1.0, 1.1, 0.9, 1.05, 0.95},
		ComputeMsP99: []float64{5, 5.5, 4.5, 5.2, 4.8},
		SimOverWall:  []float64{2000, 2100, 1900, 2050, 1950},
	}
	base := &BaselineEntry{Name: "s", Runs: 5, Deterministic: det, Wall: wall}
	now := &Measurement{Det: det, Wall: wall, Runs: 5}
	now.Det.StatementsByPart = map[string]int64{"reconcileBeads": 2000, "T11 invariants": 1000, RestOfTick: 2000}
	return base, now
}

func scale(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

// Judge applies each rule of docs/gate.md: exact comparison, tolerance,
// improvement, ceilings, floors, the pinned hash, determinism and the
// statistical wall-clock check.
func TestJudgeRules(t *testing.T) {
	for _, tc := range []struct {
		name    string
		budgets string // the entry's extra keys
		change  func(*BaselineEntry, *Measurement)
		want    map[string]Verdict // the failing figures
		rose    []string
	}{
		{"identical", "", func(*BaselineEntry, *Measurement) {}, map[string]Verdict{}, nil},
		{"one statement more in one tick", "", func(_ *BaselineEntry, m *Measurement) {
			m.Det.Statements.Total++
			m.Det.StatementsByPart["reconcileBeads"]++
		}, map[string]Verdict{figStatementsMean: VerdictRegressed}, []string{"reconcileBeads"}},
		{"within tolerance", "    tolerance: 0.05\n", func(_ *BaselineEntry, m *Measurement) {
			m.Det.Statements.Total += 200
			m.Det.Rows.Max += 5
		}, map[string]Verdict{}, nil},
		{"beyond tolerance", "    tolerance: 0.05\n", func(_ *BaselineEntry, m *Measurement) {
			m.Det.Rows.Max += 10
		}, map[string]Verdict{figRowsMax: VerdictRegressed}, nil},
		{"fewer statements is an improvement", "", func(_ *BaselineEntry, m *Measurement) {
			m.Det.Statements.P99 -= 10
		}, map[string]Verdict{}, nil},
		{"over a ceiling", "    ceilings:\n      actions_per_tick_max: 8\n", func(*BaselineEntry, *Measurement) {},
			map[string]Verdict{figActionsMax: VerdictOverCeiling}, nil},
		{"over a ceiling and regressed", "    ceilings:\n      statements_per_tick_p99: 95\n", func(_ *BaselineEntry, m *Measurement) {
			m.Det.Statements.P99 = 100
		}, map[string]Verdict{figStatementsP99: VerdictRegressed + ", " + VerdictOverCeiling}, nil},
		{"pinned hash changed", "    pin_trace_hash: true\n", func(_ *BaselineEntry, m *Measurement) {
			m.Det.TraceHash = "bbbb"
		}, map[string]Verdict{figTraceHash: VerdictChanged}, nil},
		{"unpinned hash changed", "", func(_ *BaselineEntry, m *Measurement) {
			m.Det.TraceHash = "bbbb"
		}, map[string]Verdict{}, nil},
		{"nondeterministic", "", func(_ *BaselineEntry, m *Measurement) {
			m.Nondeterministic = "run 2 differs"
		}, map[string]Verdict{figDeterminism: VerdictNondeterministic}, nil},
		{"compute three times slower", "", func(_ *BaselineEntry, m *Measurement) {
			m.Wall.ComputeMsP50 = scale(m.Wall.ComputeMsP50, 3)
		}, map[string]Verdict{figComputeP50: VerdictRegressed}, nil},
		{"compute 10% slower, under the minimum effect", "", func(_ *BaselineEntry, m *Measurement) {
			m.Wall.ComputeMsP50 = scale(m.Wall.ComputeMsP50, 1.1)
		}, map[string]Verdict{}, nil},
		{"simulated/wall halved", "", func(_ *BaselineEntry, m *Measurement) {
			m.Wall.SimOverWall = scale(m.Wall.SimOverWall, 0.5)
		}, map[string]Verdict{figSimOverWall: VerdictRegressed}, nil},
		{"under the floor", "    floors:\n      sim_over_wall: 5000\n", func(*BaselineEntry, *Measurement) {},
			map[string]Verdict{figSimOverWall: VerdictUnderFloor}, nil},
		{"over the default 500 ms ceiling", "", func(b *BaselineEntry, m *Measurement) {
			m.Wall.ComputeMsP99 = []float64{600, 610, 590, 605, 620}
			b.Wall.ComputeMsP99 = m.Wall.ComputeMsP99
		}, map[string]Verdict{figComputeP99: VerdictOverCeiling}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := testBudgets(t, "baseline: b.yaml\nscenarios:\n  - name: s\n    scenario: default\n"+tc.budgets)
			base, now := judgeFixture()
			tc.change(base, now)
			r := Judge(b, &b.Scenarios[0], base, now)
			got := failed(r)
			if len(got) != len(tc.want) {
				t.Errorf("failed %v, want %v\n%s", got, tc.want, rowsText(r))
			}
			for fig, v := range tc.want {
				if got[fig] != v {
					t.Errorf("%s: %q, want %q\n%s", fig, got[fig], v, rowsText(r))
				}
			}
			if r.Failed != (len(tc.want) > 0) {
				t.Errorf("Failed = %v", r.Failed)
			}
			var rose []string
			for _, p := range r.StatementsRoseIn {
				rose = append(rose, p.Part)
			}
			if len(rose) != len(tc.rose) || (len(rose) > 0 && rose[0] != tc.rose[0]) {
				t.Errorf("statements rose in %v, want %v", rose, tc.rose)
			}
		})
	}
}

// Without a baseline only the absolute limits apply.
func TestJudgeWithoutBaseline(t *testing.T) {
	b := testBudgets(t, "baseline: b.yaml\nscenarios:\n  - name: s\n    scenario: default\n    ceilings:\n      rows_per_tick_p99: 99\n")
	_, now := judgeFixture()
	got := failed(Judge(b, &b.Scenarios[0], nil, now))
	if len(got) != 1 || got[figRowsP99] != VerdictOverCeiling {
		t.Errorf("failed %v, want only rows_per_tick_p99 over its ceiling", got)
	}
}

// Aggregate notes runs whose deterministic figures differ.
func TestAggregateNondeterminism(t *testing.T) {
	a := &Run{Det: Deterministic{Ticks: 3, TraceHash: "x"}, Wall: Wall{ComputeMsP50: []float64{1}, ComputeMsP99: []float64{2}, SimOverWall: []float64{3}}}
	b := &Run{Det: Deterministic{Ticks: 3, TraceHash: "x"}, Wall: Wall{ComputeMsP50: []float64{1.5}, ComputeMsP99: []float64{2}, SimOverWall: []float64{3}}}
	c := &Run{Det: Deterministic{Ticks: 4, TraceHash: "y"}}
	if m := Aggregate([]*Run{a, b}); m.Nondeterministic != "" || len(m.Wall.ComputeMsP50) != 2 || m.Runs != 2 {
		t.Errorf("agreeing runs: %+v", m)
	}
	if m := Aggregate([]*Run{a, b, c}); m.Nondeterministic == "" {
		t.Error("differing runs not noted")
	}
}
