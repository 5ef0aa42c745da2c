package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeFile writes a test file and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// quickBudgets runs a short town 4 times (4 against 4 is the fewest with
// which the U test can reject at 0.05) with a wide minimum effect: the
// stored baseline's wall-clock figures come from another moment of a
// shared machine.
const quickBudgets = `baseline: baseline.yaml
runs: 4
min_effect: 9.0
scenarios:
  - name: quick
    scenario: default
    duration: 3m
    pin_trace_hash: true
`

func TestGateBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	typo := writeFile(t, dir, "typo.yaml", "baseline: b.yaml\nscenarios:\n  - name: a\n    scenario: default\n    agent: 3\n")
	good := writeFile(t, dir, "budgets.yaml", quickBudgets)
	bench := filepath.Join("..", "..", "reports", "gate", "testdata")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no budgets", nil, "--budgets FILE is required"},
		{"missing budgets file", []string{"--budgets", filepath.Join(dir, "nope.yaml")}, "nope.yaml does not exist"},
		{"typo in budgets", []string{"--budgets", typo}, `typo.yaml:5:5: unknown key "agent" (key scenarios[0].agent)`},
		{"missing baseline", []string{"--budgets", good}, "create it with: townsim gate --budgets " + good + " --update-baseline"},
		{"bad runs", []string{"--budgets", good, "--runs", "-2"}, "--runs"},
		{"stray argument", []string{"--budgets", good, "now"}, "unexpected argument"},
		{"bench without baseline", []string{"--bench", filepath.Join(bench, "bench-base.txt")}, "needs a baseline bench file"},
		{"malformed bench file", []string{"--bench", filepath.Join(bench, "bench-bad.txt"), "--baseline", filepath.Join(bench, "bench-base.txt")}, "bench-bad.txt:3"},
		{"missing bench baseline", []string{"--bench", filepath.Join(bench, "bench-base.txt"), "--baseline", filepath.Join(dir, "old.txt")}, "--update-baseline"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main(append([]string{"gate"}, c.args...), &out, &errb); code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, errb.String())
			}
			if !strings.Contains(errb.String(), c.want) {
				t.Fatalf("stderr %q lacks %q", errb.String(), c.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "baseline.yaml")); err == nil {
		t.Error("a failing gate wrote a baseline")
	}
}

// --update-baseline writes the baseline and says so; the same code then
// passes (0); a baseline that the code no longer meets fails it (1).
func TestGateUpdateThenJudge(t *testing.T) {
	dir := t.TempDir()
	budgets := writeFile(t, dir, "budgets.yaml", quickBudgets)
	baseline := filepath.Join(dir, "baseline.yaml")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(append([]string{"gate", "--budgets", budgets}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, _, stderr := run("--update-baseline")
	if code != 0 || !strings.Contains(stderr, "wrote baseline "+baseline+": 1 scenarios, 4 runs each") {
		t.Fatalf("update: exit %d, stderr %q", code, stderr)
	}
	code, out, stderr := run()
	if code != 0 || !strings.Contains(out, "gate: PASS") {
		t.Fatalf("second run: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = run("--json")
	var rep struct {
		Failed    bool `json:"failed"`
		Scenarios []struct {
			Figures []struct {
				Figure, Verdict string
			} `json:"figures"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || rep.Failed || len(rep.Scenarios) != 1 || len(rep.Scenarios[0].Figures) < 10 {
		t.Fatalf("--json: exit %d, err %v, report %+v", code, err, rep)
	}

	// Make the stored figures lower than the code's: a rise.
	data, _ := os.ReadFile(baseline)
	text := regexp.MustCompile(`trace_hash: \w+`).ReplaceAllString(string(data), `trace_hash: "0000000000000000"`)
	text = regexp.MustCompile(`(?m)^(    statements:\n      total: )\d+`).ReplaceAllString(text, "${1}1")
	text = regexp.MustCompile(`(?m)^(      reconcileBeads: )\d+`).ReplaceAllString(text, "${1}1")
	os.WriteFile(baseline, []byte(text), 0o644)
	code, out, _ = run()
	if code != 1 || !strings.Contains(out, "CHANGED") || !strings.Contains(out, "REGRESSED") || !strings.Contains(out, "statements per tick rose in these parts") || !strings.Contains(out, "│ reconcileBeads") ||
		!strings.Contains(out, "accept it as the new baseline with: townsim gate --budgets "+budgets+" --update-baseline") {
		t.Fatalf("tampered baseline: exit %d\n%s", code, out)
	}

	// A baseline is never written for code that breaks a ceiling.
	strict := writeFile(t, dir, "strict.yaml", quickBudgets+"    ceilings:\n      statements_per_tick_max: 1\n")
	var o, e bytes.Buffer
	if code := Main([]string{"gate", "--budgets", strict, "--update-baseline"}, &o, &e); code != 1 || !strings.Contains(e.String(), "baseline NOT written") {
		t.Fatalf("update over a ceiling: exit %d, stderr %q", code, e.String())
	}
	if now, _ := os.ReadFile(baseline); string(now) != text {
		t.Error("a refused update changed the baseline file")
	}
}

// --bench judges benchmark output: 0 when it holds, 1 when it regressed;
// --update-baseline copies it to the baseline bench file.
func TestGateBench(t *testing.T) {
	dir := t.TempDir()
	td := filepath.Join("..", "..", "reports", "gate", "testdata")
	base := filepath.Join(dir, "old.txt")
	var out, errb bytes.Buffer
	if code := Main([]string{"gate", "--bench", filepath.Join(td, "bench-base.txt"), "--baseline", base, "--update-baseline"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "wrote bench baseline") {
		t.Fatalf("update: exit %d, stderr %q", code, errb.String())
	}
	for file, want := range map[string]int{"bench-same.txt": 0, "bench-slow.txt": 1, "bench-chatty.txt": 1} {
		out.Reset()
		errb.Reset()
		if code := Main([]string{"gate", "--bench", filepath.Join(td, file), "--baseline", base}, &out, &errb); code != want {
			t.Errorf("%s: exit %d, want %d\n%s%s", file, code, want, out.String(), errb.String())
		}
	}
}
