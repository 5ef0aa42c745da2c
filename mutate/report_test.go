package mutate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func mutants(n int) []Mutant {
	ms := make([]Mutant, n)
	for i := range ms {
		ms[i] = Mutant{ID: fmt.Sprintf("m%03d", i), File: "f.go", Line: i + 1, Operator: OpNegate}
	}
	return ms
}

func ids(ms []Mutant) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// A sample is the same for the same seed, another for another seed,
// without repeats, in the order drawn; n of 0 or more than there are is
// all of them.
func TestSampleIsSeeded(t *testing.T) {
	ms := mutants(200)
	a, b, c := Sample(ms, 40, 1), Sample(ms, 40, 1), Sample(ms, 40, 2)
	if !slices.Equal(ids(a), ids(b)) {
		t.Errorf("seed 1 drew %v then %v", ids(a), ids(b))
	}
	if slices.Equal(ids(a), ids(c)) {
		t.Errorf("seeds 1 and 2 drew the same sample")
	}
	for _, s := range [][]Mutant{a, c} {
		sorted := slices.Sorted(slices.Values(ids(s)))
		if len(s) != 40 || len(slices.Compact(sorted)) != 40 {
			t.Errorf("sample not 40 distinct mutants: %v", ids(s))
		}
		if slices.IsSortedFunc(s, func(x, y Mutant) int { return x.Line - y.Line }) {
			t.Errorf("sample in file order, want the order drawn: %v", ids(s))
		}
	}
	for _, n := range []int{0, 200, 500} {
		if got := Sample(ms, n, 1); len(got) != 200 {
			t.Errorf("Sample(n=%d) has %d mutants, want all 200", n, len(got))
		}
	}
}

func TestWilson(t *testing.T) {
	for _, tt := range []struct {
		k, n   int
		lo, hi float64
	}{
		{8, 10, 0.4902, 0.9433},
		{0, 10, 0, 0.2775},
		{10, 10, 0.7225, 1},
		{32, 40, 0.6524, 0.8950},
	} {
		lo, hi := Wilson(tt.k, tt.n)
		if math.Abs(lo-tt.lo) > 5e-4 || math.Abs(hi-tt.hi) > 5e-4 {
			t.Errorf("Wilson(%d, %d) = (%.4f, %.4f), want (%.4f, %.4f)", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
	if lo, hi := Wilson(0, 0); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("Wilson(0, 0) = (%v, %v), want NaN", lo, hi)
	}
}

// The score counts timeouts as killed and leaves did-not-build,
// equivalent and not-run mutants out; groups split by file and operator.
func TestSummarize(t *testing.T) {
	res := func(file, op, outcome string) Result {
		return Result{Mutant: Mutant{File: file, Operator: op, Line: 1, ID: file + op + outcome}, Outcome: outcome}
	}
	r := &Report{Sampled: 7, Results: []Result{
		res("a.go", OpNegate, Killed), res("a.go", OpNegate, Killed), res("a.go", OpBoundary, Survived),
		res("b.go", OpBoundary, Timeout), res("b.go", OpNegate, DidNotBuild), res("b.go", OpNegate, Equivalent),
		res("b.go", OpConstant, NotRun),
	}}
	r.Summarize()
	want := Counts{Killed: 2, Survived: 1, Timeout: 1, DidNotBuild: 1, Equivalent: 1, NotRun: 1}
	if r.Totals != want {
		t.Errorf("totals %+v, want %+v", r.Totals, want)
	}
	if r.Score != 0.75 {
		t.Errorf("score %v, want 0.75 (3 of 4 judged)", r.Score)
	}
	if lo, hi := Wilson(3, 4); float64(r.Low) != lo || float64(r.High) != hi {
		t.Errorf("interval (%v, %v), want Wilson(3, 4)", r.Low, r.High)
	}
	if len(r.ByFile) != 2 || r.ByFile[0].Name != "a.go" || r.ByFile[0].Score != Ratio(2.0/3) || r.ByFile[1].Score != 1 {
		t.Errorf("by file: %+v", r.ByFile)
	}
	if i := slices.IndexFunc(r.ByOperator, func(g Group) bool { return g.Name == OpConstant }); i < 0 || !math.IsNaN(float64(r.ByOperator[i].Score)) {
		t.Errorf("an operator with nothing judged has score NaN: %+v", r.ByOperator)
	}
	if s := r.Survivors(); len(s) != 1 || s[0].Operator != OpBoundary {
		t.Errorf("survivors %+v", s)
	}
	if !strings.Contains(r.ScoreLine(), "75.0 %") || !strings.Contains(r.ScoreLine(), "CI") {
		t.Errorf("score line %q lacks the score or the interval", r.ScoreLine())
	}
	// NaN scores are null in JSON and read back as NaN.
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("a report with a NaN group score: %v", err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil || back.Score != r.Score || len(back.ByOperator) != len(r.ByOperator) {
		t.Errorf("the report did not read back: %v", err)
	}
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil || !strings.Contains(md.String(), "## Survivors") {
		t.Errorf("markdown (%v):\n%s", err, md.String())
	}
}
