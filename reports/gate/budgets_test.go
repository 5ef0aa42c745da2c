package gate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A well-formed budgets file resolves its scenarios with their overrides
// and fills in the defaults.
func TestParseBudgets(t *testing.T) {
	b, err := ParseBudgets("dir/budgets.yaml", []byte(`
baseline: base.yaml
scenarios:
  - name: big
    scenario: default
    seed: 7
    duration: 90m
    agents: 12
    rigs: 4
    tolerance: 0.01
    ceilings:
      statements_per_tick_p99: 400
    floors:
      sim_over_wall: 10
`))
	if err != nil {
		t.Fatal(err)
	}
	e := b.Scenarios[0]
	c := e.Config
	if c.Seed != 7 || c.Duration != 90*time.Minute || c.Agents != 12 || c.Rigs != 4 {
		t.Errorf("config seed %d duration %s agents %d rigs %d", c.Seed, c.Duration, c.Agents, c.Rigs)
	}
	if b.Runs != DefaultRuns || b.Alpha != DefaultAlpha || *b.MinEffect != DefaultMinEffect || b.Tolerance != 0 {
		t.Errorf("defaults: runs %d alpha %v min_effect %v tolerance %v", b.Runs, b.Alpha, *b.MinEffect, b.Tolerance)
	}
	if b.tolerance(&e) != 0.01 || b.minEffect(&e, figComputeP50) != DefaultMinEffect {
		t.Errorf("entry tolerance %v min effect %v", b.tolerance(&e), b.minEffect(&e, figComputeP50))
	}
	if *e.Ceilings.StatementsP99 != 400 || *e.Ceilings.ComputeMsP99 != TickCeilingMs || *e.Floors.SimOverWall != 10 {
		t.Errorf("ceilings %+v floors %+v", e.Ceilings, e.Floors)
	}
	if got, want := b.BaselinePath(), filepath.Join("dir", "base.yaml"); got != want {
		t.Errorf("baseline path %q, want %q", got, want)
	}
}

// Minimum effects resolve per figure: the entry's min_effects, the file's
// min_effects, the entry's min_effect, the file's min_effect.
func TestMinEffectResolution(t *testing.T) {
	b, err := ParseBudgets("b.yaml", []byte(`
baseline: b.yaml
min_effect: 0.1
min_effects:
  compute_ms_per_tick_p99: 0.9
scenarios:
  - name: a
    scenario: default
    min_effect: 0.3
    min_effects:
      sim_over_wall: 0.7
  - name: b
    scenario: default
`))
	if err != nil {
		t.Fatal(err)
	}
	a, bb := &b.Scenarios[0], &b.Scenarios[1]
	for _, c := range []struct {
		e    *Entry
		fig  string
		want float64
	}{
		{a, figSimOverWall, 0.7}, {a, figComputeP99, 0.9}, {a, figComputeP50, 0.3},
		{bb, figSimOverWall, 0.1}, {bb, figComputeP99, 0.9}, {bb, figComputeP50, 0.1},
	} {
		if got := b.minEffect(c.e, c.fig); got != c.want {
			t.Errorf("%s %s: %v, want %v", c.e.Name, c.fig, got, c.want)
		}
	}
}

// Every mistake in a budgets file is an error naming the file, the line
// and the key.
func TestParseBudgetsErrors(t *testing.T) {
	const head = "baseline: b.yaml\nscenarios:\n  - name: a\n    scenario: default\n"
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"typo at the top", "baselin: b.yaml\n", []string{"budgets.yaml:1:1", `unknown key "baselin"`}},
		{"typo in a scenario", head + "    sed: 3\n", []string{"budgets.yaml:5:5", `unknown key "sed"`, "scenarios[0].sed"}},
		{"typo in a ceiling", head + "    ceilings:\n      compute_ms_per_tick_p999: 3\n", []string{"budgets.yaml:6:7", `unknown key "compute_ms_per_tick_p999"`, "scenarios[0].ceilings.compute_ms_per_tick_p999"}},
		{"floor that is a ceiling", head + "    floors:\n      compute_ms_per_tick_p99: 3\n", []string{"budgets.yaml:6:7", `unknown key "compute_ms_per_tick_p99"`}},
		{"wrong type", head + "    agents: many\n", []string{"budgets.yaml:5:13", "scenarios[0].agents"}},
		{"duplicate key", "runs: 3\nruns: 4\n", []string{"budgets.yaml:2:1", `"runs" already defined`}},
		{"bad duration", head + "    duration: 5 minutes\n", []string{"budgets.yaml:5:15", "scenarios[0].duration", "Go duration"}},
		{"unknown scenario", "baseline: b.yaml\nscenarios:\n  - name: a\n    scenario: nope\n", []string{"budgets.yaml:4:15", "scenarios[0].scenario", `unknown scenario "nope"`}},
		{"no scenario", "baseline: b.yaml\nscenarios:\n  - name: a\n", []string{"budgets.yaml:3:", "scenarios[0]", "no scenario key"}},
		{"duplicate names", head + "  - name: a\n    scenario: default\n", []string{"budgets.yaml:5:11", "scenarios[1].name", "unique"}},
		{"no baseline", "scenarios:\n  - name: a\n    scenario: default\n", []string{"budgets.yaml", "no baseline key"}},
		{"no scenarios", "baseline: b.yaml\n", []string{"budgets.yaml", "names no scenarios"}},
		{"negative runs", "runs: -1\n" + head, []string{"budgets.yaml:1:7", "runs", "at least 1"}},
		{"alpha out of range", "alpha: 1.5\n" + head, []string{"budgets.yaml:1:8", "alpha"}},
		{"negative ceiling", head + "    ceilings:\n      rows_per_tick_max: -3\n", []string{"budgets.yaml:6:26", "ceilings.rows_per_tick_max", "negative"}},
		{"typo in min_effects", "min_effects:\n  compute_ms_p50: 1\n" + head, []string{"budgets.yaml:2:3", `unknown key "compute_ms_p50"`, "min_effects.compute_ms_p50"}},
		{"negative min effect", head + "    min_effects:\n      sim_over_wall: -1\n", []string{"budgets.yaml:6:22", "scenarios[0].min_effects.sim_over_wall"}},
		{"zero agents", head + "    agents: 0\n", []string{"budgets.yaml:5:13", "scenarios[0].agents", "at least 1"}},
		{"bench ceiling without unit", "bench:\n  baseline: b.txt\n  ceilings:\n    - benchmark: Tick\n      max: 1\n", []string{"budgets.yaml:4:", "bench.ceilings[0]", "no unit"}},
		{"syntax", "scenarios: [\n", []string{"budgets.yaml:1:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBudgets("budgets.yaml", []byte(tc.text))
			if err == nil {
				t.Fatalf("no error for:\n%s", tc.text)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// A missing budgets file is an error naming it.
func TestLoadBudgetsMissing(t *testing.T) {
	_, err := LoadBudgets(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml does not exist") {
		t.Errorf("error %v", err)
	}
}

// A baseline written by WriteBaseline loads back to the same figures, and
// the baseline file's mistakes are errors naming the command that writes
// a fresh one.
func TestBaselineRoundTripAndErrors(t *testing.T) {
	dir := t.TempDir()
	b := testBudgets(t, "baseline: baseline.yaml\nscenarios:\n  - name: a\n    scenario: default\n    duration: 3m\n")
	m, err := Measure(b.Scenarios[0].Config, 2, MeasureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "baseline.yaml")
	create := UpdateCommand("budgets.yaml")
	if _, err := LoadBaseline(path, create); err == nil || !strings.Contains(err.Error(), "does not exist; create it with: townsim gate --budgets budgets.yaml --update-baseline") {
		t.Errorf("missing baseline: %v", err)
	}
	if err := WriteBaseline(path, NewBaseline(b, []*Measurement{m}), "a header\nof two lines"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# a header\n# of two lines\n") {
		t.Errorf("header missing:\n%s", data)
	}
	bl, err := LoadBaseline(path, create)
	if err != nil {
		t.Fatal(err)
	}
	bases, err := bl.Entries(b, create)
	if err != nil {
		t.Fatal(err)
	}
	be := bases[0]
	if be.Deterministic.TraceHash != m.Det.TraceHash || be.Statements != m.Det.Statements || be.Rows != m.Det.Rows ||
		be.Ticks != m.Det.Ticks || len(be.StatementsByPart) != len(m.Det.StatementsByPart) || len(be.Wall.SimOverWall) != 2 {
		t.Errorf("round trip: wrote %+v, read %+v", m.Det, be.Deterministic)
	}
	if r := Judge(b, &b.Scenarios[0], be, m); r.Failed {
		t.Errorf("a measurement fails against its own baseline:\n%s", rowsText(r))
	}

	// The budgets now name another seed: the baseline no longer fits.
	other := testBudgets(t, "baseline: baseline.yaml\nscenarios:\n  - name: a\n    scenario: default\n    duration: 3m\n    seed: 9\n")
	if _, err := bl.Entries(other, create); err == nil || !strings.Contains(err.Error(), "seed 9") || !strings.Contains(err.Error(), create) {
		t.Errorf("mismatched entry: %v", err)
	}
	renamed := testBudgets(t, "baseline: baseline.yaml\nscenarios:\n  - name: b\n    scenario: default\n")
	if _, err := bl.Entries(renamed, create); err == nil || !strings.Contains(err.Error(), `no entry for scenario "b"`) || !strings.Contains(err.Error(), create) {
		t.Errorf("missing entry: %v", err)
	}

	// A typo in the baseline file names the line and key.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("scenarios:\n  - name: a\n    tiks: 3\n"), 0o644)
	if _, err := LoadBaseline(bad, create); err == nil || !strings.Contains(err.Error(), "bad.yaml:3:5") || !strings.Contains(err.Error(), `unknown key "tiks"`) {
		t.Errorf("typo in baseline: %v", err)
	}
}
