package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/scenarios"
)

// Every named scenario and a scenario file can be gated; an unknown name
// lists every known one.
func TestResolveAnyScenario(t *testing.T) {
	for _, name := range scenarios.Names() {
		want, _ := scenarios.ByName(name)
		cfg, err := ResolveScenario(name, ".")
		if err != nil || cfg.Seed != want.Config.Seed || cfg.Duration != want.Config.Duration || cfg.Agents != want.Config.Agents {
			t.Errorf("%s: %v (seed %d duration %s agents %d)", name, err, cfg.Seed, cfg.Duration, cfg.Agents)
		}
	}
	cfg, err := ResolveScenario("short-crash.yaml", "testdata")
	crash, _ := scenarios.ByName("crash-loops")
	if err != nil || cfg.Duration != 3*time.Minute || cfg.Agents != crash.Config.Agents {
		t.Errorf("scenario file: %v, duration %s", err, cfg.Duration)
	}
	_, err = ResolveScenario("stuck-agent", ".")
	if err == nil || !strings.HasPrefix(err.Error(), `unknown scenario "stuck-agent" (known: `) {
		t.Fatalf("unknown: %v", err)
	}
	for _, name := range scenarios.Names() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not list %s: %v", name, err)
		}
	}
	if _, err := ResolveScenario("nope.yaml", "testdata"); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("missing scenario file: %v", err)
	}
}

// A budgets entry names a faulty named scenario or a scenario file next
// to the budgets file, with overrides.
func TestBudgetsOnAnyScenario(t *testing.T) {
	b, err := ParseBudgets("testdata/budgets.yaml", []byte(`
baseline: b.yaml
scenarios:
  - name: stuck
    scenario: stuck-agents
    duration: 10m
  - name: file
    scenario: short-crash.yaml
    agents: 3
`))
	if err != nil {
		t.Fatal(err)
	}
	stuck, _ := scenarios.ByName("stuck-agents")
	if c := b.Scenarios[0].Config; c.Duration != 10*time.Minute || c.Agents != stuck.Config.Agents || c.Containers != stuck.Config.Containers {
		t.Errorf("stuck-agents: duration %s agents %d", c.Duration, c.Agents)
	}
	if c := b.Scenarios[1].Config; c.Duration != 3*time.Minute || c.Agents != 3 {
		t.Errorf("file: duration %s agents %d", c.Duration, c.Agents)
	}
}

// Budgets errors say in plain words what a key expects: no Go type or
// field names.
func TestBudgetsErrorsInPlainWords(t *testing.T) {
	const head = "baseline: b.yaml\nscenarios:\n  - name: a\n    scenario: default\n"
	for _, c := range []struct {
		name, text, want string
	}{
		{"text for a count", "runs: abc\n" + head, `budgets.yaml:1:7: expected a whole number, got the text "abc" (key runs)`},
		{"text for a number", head + "    ceilings:\n      rows_per_tick_max: lots\n", `budgets.yaml:6:26: expected a number, got the text "lots" (key scenarios[0].ceilings.rows_per_tick_max)`},
		{"negative seed", head + "    seed: -3\n", `budgets.yaml:5:11: expected a whole number, 0 or more, got the number -3 (key scenarios[0].seed)`},
		{"not a boolean", head + "    pin_trace_hash: maybe\n", `expected true or false, got the text "maybe" (key scenarios[0].pin_trace_hash)`},
		{"a number for a list", "scenarios: 5\n", `budgets.yaml:1:12: expected a list (- item lines or [a, b]), got the number 5 (key scenarios)`},
		{"a mapping for a list", "scenarios:\n  a: 1\n", `expected a list (- item lines or [a, b]), got a mapping (key scenarios)`},
		{"a number for a mapping", head + "    ceilings: 5\n", `expected a mapping of keys (key: value lines), got the number 5 (key scenarios[0].ceilings)`},
		{"a list for a number", "alpha: [1]\n" + head, `budgets.yaml:1:8: expected a number, got a list (key alpha)`},
		{"a list for the file", "- a\n", `budgets.yaml:1:1: expected a mapping of keys (key: value lines), got a list (the whole file)`},
		{"against pairs", head + "against:\n  pairs: many\n", `expected a whole number, got the text "many" (key against.pairs)`},
		{"against metric", head + "against:\n  metric: cycles\n", `budgets.yaml:6:11: against.metric: must be cpu or wall, got "cycles"`},
		{"against entry", head + "against:\n  scenarios: [b]\n", `against.scenarios[0]: no budgets entry is named "b" (entries: a)`},
		{"require_verdict", "require_verdict: 1\n" + head, `expected true or false, got the number 1 (key require_verdict)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseBudgets("budgets.yaml", []byte(c.text))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			for _, leak := range []string{"Go struct", "Go value", "float64", "uint64", "int was used", "[]interface"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks %q: %v", leak, err)
				}
			}
		})
	}
}

// Too few runs to judge a wall-clock figure against the stored baseline is
// UNDECIDED, never a silent pass; require_verdict makes it a failure.
func TestJudgeUndecided(t *testing.T) {
	for _, c := range []struct {
		extra  string
		runs   int
		failed bool
		undec  bool
	}{
		{"", 5, false, false},
		{"", 1, false, true},
		{"require_verdict: true\n", 1, true, true},
	} {
		b := testBudgets(t, "baseline: b.yaml\n"+c.extra+"scenarios:\n  - name: s\n    scenario: default\n")
		base, now := judgeFixture()
		now.Wall = Wall{ComputeMsP50: now.Wall.ComputeMsP50[:c.runs], ComputeMsP99: now.Wall.ComputeMsP99[:c.runs], SimOverWall: now.Wall.SimOverWall[:c.runs]}
		now.Runs = c.runs
		r := Judge(b, &b.Scenarios[0], base, now)
		if r.Failed != c.failed || r.Undecided != c.undec {
			t.Errorf("%q runs %d: failed %v undecided %v, want %v %v\n%s", c.extra, c.runs, r.Failed, r.Undecided, c.failed, c.undec, rowsText(r))
		}
		if c.undec && failed(r)[figComputeP50] == "" && !c.failed {
			for _, row := range r.Rows {
				if row.Figure == figComputeP50 && row.Verdict != VerdictUndecided {
					t.Errorf("compute p50 verdict %s, want UNDECIDED", row.Verdict)
				}
			}
		}
	}
}
