package gate

import (
	"testing"
)

// A finding's count is pinned exactly: more violations explained than the
// baseline's is a regression, fewer an improvement, a finding new to the
// run counts from zero, and a baseline without findings judges none.
func TestJudgeFindings(t *testing.T) {
	for _, tc := range []struct {
		name string
		base map[string]int
		now  map[string]int
		want map[string]Verdict
	}{
		{"same", map[string]int{"a": 2}, map[string]int{"a": 2}, map[string]Verdict{"findings.a": VerdictOK}},
		{"fires more", map[string]int{"a": 2}, map[string]int{"a": 3}, map[string]Verdict{"findings.a": VerdictRegressed}},
		{"fires less", map[string]int{"a": 2}, map[string]int{"a": 1}, map[string]Verdict{"findings.a": VerdictImproved}},
		{"new finding", map[string]int{"a": 2}, map[string]int{"a": 2, "b": 1},
			map[string]Verdict{"findings.a": VerdictOK, "findings.b": VerdictRegressed}},
		{"gone", map[string]int{"a": 2}, map[string]int{}, map[string]Verdict{"findings.a": VerdictImproved}},
		{"baseline without findings", nil, map[string]int{"a": 2}, map[string]Verdict{"findings.a": VerdictInfo}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]Verdict{}
			judgeFindings(func(r Row) { got[r.Figure] = r.Verdict }, &BaselineEntry{Deterministic: Deterministic{Findings: tc.base}}, tc.now)
			if len(got) != len(tc.want) {
				t.Fatalf("rows %v; want %v", got, tc.want)
			}
			for fig, v := range tc.want {
				if got[fig] != v {
					t.Errorf("%s: %s; want %s", fig, got[fig], v)
				}
			}
		})
	}
}

// The checked-in baseline pins the findings of every scenario.
func TestBaselinePinsFindings(t *testing.T) {
	bl, err := LoadBaseline("../../gate/baseline.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range bl.Scenarios {
		if _, ok := e.Findings["unexplained"]; !ok {
			t.Errorf("%s: no findings pinned: %v", e.Name, e.Findings)
		}
	}
}
