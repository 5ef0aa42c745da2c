package gate

import (
	"path/filepath"
	"strings"
	"testing"
)

// Compare rejects only significant changes beyond the minimum effect, in
// the direction that is worse for the figure.
func TestCompare(t *testing.T) {
	base := []float64{10, 10.5, 9.8, 10.2, 10.1}
	for _, tc := range []struct {
		name           string
		now            []float64
		higherIsBetter bool
		minEffect      float64
		regressed      bool
		improved       bool
	}{
		{"same", []float64{10.1, 9.9, 10.3, 10, 10.4}, false, 0.2, false, false},
		{"twice as slow", []float64{20, 21, 19.5, 20.2, 20.8}, false, 0.2, true, false},
		{"significant but under the minimum effect", []float64{11, 11.2, 11.1, 11.3, 11.05}, false, 0.2, false, false},
		{"significant and over a smaller minimum effect", []float64{11, 11.2, 11.1, 11.3, 11.05}, false, 0.05, true, false},
		{"twice as fast", []float64{5, 5.1, 4.9, 5.2, 5}, false, 0.2, false, true},
		{"10% faster, under the minimum effect", []float64{9.1, 9.0, 9.2, 8.9, 9.05}, false, 0.2, false, false},
		{"a rate halved", []float64{5, 5.1, 4.9, 5.2, 5}, true, 0.2, true, false},
		{"a rate doubled", []float64{20, 21, 19.5, 20.2, 20.8}, true, 0.2, false, true},
		{"too few runs to reject", []float64{20, 21}, false, 0.2, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := base
			if tc.name == "too few runs to reject" {
				b = base[:2]
			}
			c := Compare(b, tc.now, tc.higherIsBetter, 0.05, tc.minEffect)
			if c.Regressed != tc.regressed || c.Improved != tc.improved {
				t.Errorf("regressed %v improved %v (p %.4f effect %.3f), want %v %v", c.Regressed, c.Improved, c.P, c.Effect, tc.regressed, tc.improved)
			}
			if tc.name == "too few runs to reject" && len(c.Warnings) == 0 {
				t.Errorf("no warning about too few samples")
			}
		})
	}
}

// The explanation names the parts whose statements per tick rose, the
// largest rise first, and not those that stayed or fell.
func TestStatementsRoseIn(t *testing.T) {
	base := Deterministic{Ticks: 10, StatementsByPart: map[string]int64{
		"reconcileBeads": 100, "reconcileReviewQueue": 200, "T7 drain": 50, "T11 invariants": 80,
	}}
	now := Deterministic{Ticks: 10, StatementsByPart: map[string]int64{
		"reconcileBeads": 180, "reconcileReviewQueue": 200, "T7 drain": 40, "T11 invariants": 90, "apply poll_pr": 5,
	}}
	got := StatementsRoseIn(base, now)
	var parts []string
	for _, p := range got {
		parts = append(parts, p.Part)
	}
	if strings.Join(parts, ",") != "reconcileBeads,T11 invariants,apply poll_pr" {
		t.Errorf("rose in %v", parts)
	}
	if got[0].Baseline != 10 || got[0].Now != 18 {
		t.Errorf("reconcileBeads per tick %v -> %v, want 10 -> 18", got[0].Baseline, got[0].Now)
	}
}

// A bench file is judged against a baseline bench file: a metric without
// spread (stmts/tick) exactly, a noisy one by the U test; rates are
// better higher; ceilings apply to medians.
func TestJudgeBench(t *testing.T) {
	read := func(name string) *BenchSet {
		s, err := ReadBench(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := read("bench-base.txt")
	b := testBudgets(t, "bench:\n  baseline: x.txt\n  min_effect: 0.3\n  ceilings:\n    - benchmark: Tick/\n      unit: sec/tick\n      max: 0.003\n")
	for _, tc := range []struct {
		file string
		fail map[string]Verdict
	}{
		{"bench-same.txt", map[string]Verdict{}},
		{"bench-chatty.txt", map[string]Verdict{"Tick/agents=100-2 stmts/tick": VerdictRegressed}},
		{"bench-slow.txt", map[string]Verdict{
			"Tick/agents=100-2 sec/op":                VerdictRegressed,
			"Tick/agents=100-2 sec/tick":              VerdictRegressed + ", " + VerdictOverCeiling,
			"SimulatedHour/agents=100-2 sim-s/wall-s": VerdictRegressed,
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := JudgeBench(b, base, read(tc.file))
			got := failed(r)
			if len(got) != len(tc.fail) {
				t.Errorf("failed %v, want %v\n%s", got, tc.fail, rowsText(r))
			}
			for fig, v := range tc.fail {
				if got[fig] != v {
					t.Errorf("%s: %q, want %q\n%s", fig, got[fig], v, rowsText(r))
				}
			}
		})
	}
	if _, err := ReadBench(filepath.Join("testdata", "bench-bad.txt")); err == nil || !strings.Contains(err.Error(), "bench-bad.txt:3") {
		t.Errorf("malformed bench file: %v", err)
	}
	if !HigherIsBetter("sim-s/wall-s") || !HigherIsBetter("events/s") || HigherIsBetter("sec/op") || HigherIsBetter("stmts/tick") {
		t.Error("HigherIsBetter")
	}
}
