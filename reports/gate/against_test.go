package gate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The signed-rank test's exact p-values, checked against hand counts:
// n differences of one sign give 2/2^n; the statistic's distribution is
// symmetric; ties and zeros are handled.
func TestSignedRank(t *testing.T) {
	for _, c := range []struct {
		name string
		d    []float64
		p    float64
		n    int
	}{
		{"six positive", []float64{1, 2, 3, 4, 5, 6}, 2.0 / 64, 6},
		{"five positive cannot reach 0.05", []float64{1, 2, 3, 4, 5}, 2.0 / 32, 5},
		// W+ = 6 of ranks 1..6 (sum 21): P(W+ <= 6) = 14/64 by counting.
		{"mixed", []float64{-1, 2, -3, 4, -5, -6}, 2 * 14.0 / 64, 6},
		{"zeros dropped", []float64{0, 0, 1, 2, 3, 4, 5, 6}, 2.0 / 64, 6},
		{"all ties of one sign", []float64{1, 1, 1, 1, 1, 1}, 2.0 / 64, 6},
		{"none", nil, 1, 0},
		{"symmetric", []float64{-1, 1}, 1, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, n := SignedRank(c.d)
			if n != c.n || math.Abs(p-c.p) > 1e-12 {
				t.Errorf("p %v n %d, want p %v n %d", p, n, c.p, c.n)
			}
			neg := make([]float64, len(c.d))
			for i, x := range c.d {
				neg[i] = -x
			}
			if pn, _ := SignedRank(neg); math.Abs(pn-p) > 1e-12 {
				t.Errorf("p of the mirrored differences %v, want %v", pn, p)
			}
		})
	}
	if got := PairsNeeded(0.05); got != 6 {
		t.Errorf("pairs needed at 0.05: %d, want 6", got)
	}
}

// RunPairs alternates baseline and current, pair after pair, and the
// order within a pair too (B C, C B, ...), with the warm-up runs (not
// counted) before the pairs.
func TestRunPairsAlternates(t *testing.T) {
	for _, warm := range []bool{false, true} {
		var order []string
		run := func(s Side, i int) (Sample, error) {
			order = append(order, fmt.Sprintf("%s%d", s.String()[:1], i))
			return Sample{CPU: time.Duration(len(order)) * time.Second}, nil
		}
		pairs, err := RunPairs(4, warm, run, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := "b0 c0 c1 b1 b2 c2 c3 b3"
		if warm {
			want = "b0 c0 b1 c1 c2 b2 b3 c3 c4 b4"
		}
		if got := strings.Join(order, " "); got != want {
			t.Errorf("warmup %v: order %q, want %q", warm, got, want)
		}
		if len(pairs) != 4 {
			t.Fatalf("%d pairs", len(pairs))
		}
		// Each pair's two runs are consecutive, the baseline first in the
		// even pairs and second in the odd ones.
		for i, p := range pairs {
			d := p.Now.CPU - p.Base.CPU
			if (i%2 == 0 && d != time.Second) || (i%2 == 1 && d != -time.Second) {
				t.Errorf("pair %d: baseline at %v, current at %v", i, p.Base.CPU, p.Now.CPU)
			}
		}
	}
	_, err := RunPairs(2, false, func(s Side, i int) (Sample, error) {
		if s == SideCurrent {
			return Sample{}, fmt.Errorf("boom")
		}
		return Sample{}, nil
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "current build, run 1: boom") {
		t.Errorf("error %v", err)
	}
}

// fakeRunner is a machine whose load drifts and jumps between pairs (up
// to 3 times slower) and that adds per-run noise; the current build costs
// shift times the baseline's CPU.
func fakeRunner(seed uint64, shift, noise float64) func(Side, int) (Sample, error) {
	rng := rand.New(rand.NewPCG(seed, 1))
	load := 1.0
	return func(s Side, _ int) (Sample, error) {
		if s == SideBase {
			load = 1 + 2*rng.Float64() // the machine's load changes between pairs
		}
		cpu := 1.7 * (1 + noise*rng.NormFloat64())
		if s == SideCurrent {
			cpu *= shift
		}
		cpu *= 1 + 0.1*(load-1) // a busy machine inflates CPU time a little
		wall := cpu * load * (1 + 3*noise*rng.NormFloat64())
		return Sample{CPU: time.Duration(cpu * 1e9), Wall: time.Duration(wall * 1e9), TraceHash: "h"}, nil
	}
}

func againstBudgets(t *testing.T, extra string) *Budgets {
	t.Helper()
	return testBudgets(t, "baseline: b.yaml\n"+extra+"scenarios:\n  - name: a\n    scenario: default\n    duration: 2m\n")
}

// A fake runner shows what the paired judgement does: a 25% slowdown of
// the current build fails in every one of 50 simulated gates despite a
// load that changes threefold between pairs; no slowdown passes in every
// one; too few pairs are UNDECIDED (a failure under require_verdict).
func TestJudgePairedCatchesShift(t *testing.T) {
	b := againstBudgets(t, "")
	regressed, passed := 0, 0
	const tries = 50
	for i := uint64(0); i < tries; i++ {
		slow, err := RunPairs(b.Against.Pairs, false, fakeRunner(i, 1.25, 0.04), nil)
		if err != nil {
			t.Fatal(err)
		}
		r := JudgePaired(b, "a", "HEAD~1", slow)
		if r.Failed && failed(r)[figPairedCPU+"HEAD~1"] == VerdictRegressed {
			regressed++
		} else {
			t.Logf("try %d, +25%%:\n%s", i, rowsText(r))
		}
		same, _ := RunPairs(b.Against.Pairs, false, fakeRunner(1000+i, 1, 0.04), nil)
		if r := JudgePaired(b, "a", "HEAD~1", same); !r.Failed && !r.Undecided {
			passed++
		} else {
			t.Logf("try %d, unmodified:\n%s", i, rowsText(r))
		}
	}
	if regressed != tries || passed != tries {
		t.Errorf("+25%% caught %d/%d, unmodified passed %d/%d", regressed, tries, passed, tries)
	}
}

func TestJudgePairedVerdicts(t *testing.T) {
	pairsOf := func(n int, ratio float64) []Pair {
		var ps []Pair
		for i := 0; i < n; i++ {
			base := time.Duration(1000+10*i) * time.Millisecond
			ps = append(ps, Pair{Base: Sample{CPU: base, Wall: 3 * base, TraceHash: "x"},
				Now: Sample{CPU: time.Duration(float64(base) * ratio), Wall: 3 * base, TraceHash: "x"}})
		}
		return ps
	}
	for _, c := range []struct {
		name, budgets string
		pairs         []Pair
		cpu           Verdict
		failed, undec bool
	}{
		{"slower", "", pairsOf(8, 1.3), VerdictRegressed, true, false},
		{"slower but within min effect", "", pairsOf(8, 1.05), VerdictOK, false, false},
		{"faster", "", pairsOf(8, 0.7), VerdictImproved, false, false},
		{"five pairs cannot decide", "", pairsOf(5, 1.3), VerdictUndecided, false, true},
		{"five pairs under require_verdict", "require_verdict: true\n", pairsOf(5, 1.3), VerdictUndecided, true, true},
		{"wall judged instead", "against:\n  metric: wall\n", pairsOf(8, 1.3), VerdictInfo, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := againstBudgets(t, c.budgets)
			r := JudgePaired(b, "a", "R", c.pairs)
			var cpu Verdict
			for _, row := range r.Rows {
				if row.Figure == figPairedCPU+"R" {
					cpu = row.Verdict
				}
			}
			if cpu != c.cpu || r.Failed != c.failed || r.Undecided != c.undec {
				t.Errorf("cpu %s failed %v undecided %v, want %s %v %v\n%s", cpu, r.Failed, r.Undecided, c.cpu, c.failed, c.undec, rowsText(r))
			}
			rep := &Report{}
			rep.Add(r)
			want := map[bool]int{true: 1, false: 0}[c.failed]
			if !c.failed && c.undec {
				want = ExitUndecided
			}
			if rep.ExitStatus() != want {
				t.Errorf("exit status %d, want %d", rep.ExitStatus(), want)
			}
		})
	}
	// The current build's runs must agree on the trace hash.
	ps := pairsOf(8, 1)
	ps[3].Now.TraceHash = "y"
	if r := JudgePaired(againstBudgets(t, ""), "a", "R", ps); !r.Failed || failed(r)[figPairedTrace+"R"] != VerdictNondeterministic {
		t.Errorf("differing hashes:\n%s", rowsText(r))
	}
}
