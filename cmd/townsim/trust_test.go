package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func widest(s string) int {
	m := 0
	for _, l := range strings.Split(s, "\n") {
		m = max(m, utf8.RuneCountInString(l))
	}
	return m
}

// The small items of issue 18: help that exits 0 and says what it should,
// errors without Go internals, the scenario named in the summary, tables
// within 120 columns, refused zero fleets and sigma-less lognormals.
func TestUserFacingDetails(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, _ := run("faults"); code != 0 || !strings.Contains(out, "exp(mean=1h0m0s)") || widest(out) > 120 {
		t.Errorf("faults: exit %d, widest %d, timing shown %v", code, widest(out), strings.Contains(out, "exp(mean=1h0m0s)"))
	}
	if code, _, errs := run("faults", "-h"); code != 0 || !strings.Contains(errs, "timing") {
		t.Errorf("faults -h: exit %d: %s", code, errs)
	}
	if code, out, _ := run("help"); code != 0 || !strings.Contains(out, "3 rigs and 8 polecats") {
		t.Errorf("help: %d %s", code, out)
	}
	_, _, help := run("run", "-h")
	for _, want := range []string{"--rate, --faults, --heal, --knob and --github-token", "--swarm turns swarming on", "breaker_threshold:", "analyze:"} {
		if !strings.Contains(help, want) {
			t.Errorf("run -h lacks %q", want)
		}
	}
	if code, _, errs := run("sweep", "--agents", "abc", "--out", filepath.Join(t.TempDir(), "x")); code != 2 ||
		!strings.Contains(errs, `--agents: "abc" is not a whole number`) || strings.Contains(errs, "strconv") {
		t.Errorf("sweep --agents abc: exit %d: %s", code, errs)
	}
	code, out, errs := run("run", "--duration", "10m", "--progress", "0", "--json")
	var m map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m["scenario"] != "default" {
		t.Errorf("run --json: exit %d, scenario %v: %s", code, m["scenario"], errs)
	}
	if code, out, _ := run("run", "--duration", "10m", "--progress", "0"); code != 0 || !strings.Contains(out, "│ scenario") || widest(out) > 120 {
		t.Errorf("run table: exit %d, widest %d:\n%s", code, widest(out), out)
	}
	dir := t.TempDir()
	for name, c := range map[string]struct{ yaml, want string }{
		"zero.yaml":  {"agents: 0\n", "agents: must be at least 1"},
		"sigma.yaml": {"work:\n  polecat: {kind: lognormal, median: 15m}\n", "work.polecat"},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(c.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, errs := run("run", "--scenario", p, "--progress", "0"); code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, want 2 naming %q: %s", name, code, c.want, errs)
		}
	}
	if code, _, errs := run("run", "--agents", "0"); code != 2 || !strings.Contains(errs, "--agents") {
		t.Errorf("--agents 0: exit %d: %s", code, errs)
	}
}

// A faulty run is judged against the same seed's fault-free run: the JSON
// has each fired kind's recovery and the baseline's backlog; the table
// says what recovery is measured against and labels its columns.
func TestRecoveryAgainstFaultFreeRun(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"run", "--faults", "github_5xx=0.3,heartbeat_lost=0.2", "--duration", "20m", "--progress", "0", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var m struct {
		FaultsFired    map[string]int            `json:"faults_fired"`
		FaultsRecovery map[string]map[string]any `json:"faults_recovery"`
		Baseline       *int                      `json:"baseline_open_at_end"`
	}
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m.Baseline == nil || len(m.FaultsRecovery) == 0 {
		t.Fatalf("no recovery figures: %s", out.String())
	}
	for k, n := range m.FaultsFired {
		r := m.FaultsRecovery[k]
		if got := int(r["recovered"].(float64) + r["not_recovered"].(float64)); got != n {
			t.Errorf("%s: %d fired, %d judged", k, n, got)
		}
	}
	out.Reset()
	if code := Main([]string{"run", "--faults", "github_5xx=0.3", "--duration", "20m", "--progress", "0"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"recovery judged against", "fault-free run", "ticks to recover", "simulated minutes"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
