package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/reports/sweep"
)

func TestCapacityFlagErrorsNameTheFlag(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "exists.csv")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	grid := filepath.Join(dir, "grid.yaml")
	if err := os.WriteFile(grid, []byte("agents: [2]\nfleet: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"run: existing record", []string{"run", "--record", existing}, "--record"},
		{"run: unknown extension", []string{"run", "--record", filepath.Join(dir, "r.txt")}, "--record"},
		{"run: bad format", []string{"run", "--record", filepath.Join(dir, "r.csv"), "--record-format", "xml"}, "xml"},
		{"run: format without file", []string{"run", "--record-format", "csv"}, "--record-format"},
		{"run: unknown knob", []string{"run", "--knob", "warp=9"}, `--knob: unknown knob "warp"`},
		{"run: bad knob value", []string{"run", "--knob", "breaker_threshold=-1"}, "breaker_threshold"},
		{"run: existing plots folder", []string{"run", "--plots", dir}, "--plots"},
		{"run: negative rate", []string{"run", "--rate", "-1"}, "--rate"},
		{"sweep: bad agents", []string{"sweep", "--agents", "10,x"}, "--agents"},
		{"sweep: zero agents", []string{"sweep", "--agents", "0"}, "--agents"},
		{"sweep: zero seeds", []string{"sweep", "--seeds", "0"}, "--seeds"},
		{"sweep: bad vary", []string{"sweep", "--vary", "breaker_threshold=20,x"}, "--vary breaker_threshold"},
		{"sweep: vary without values", []string{"sweep", "--vary", "analyze"}, "--vary"},
		{"sweep: bad fixed knob", []string{"sweep", "--knob", "analyze=maybe"}, "--knob analyze"},
		{"sweep: negative jobs", []string{"sweep", "-j", "-1"}, "-j"},
		{"sweep: existing out", []string{"sweep", "--out", dir}, "--out"},
		{"sweep: config and flags", []string{"sweep", "--config", grid, "--agents", "3"}, "drop --agents"},
		{"sweep: unknown yaml key", []string{"sweep", "--config", grid, "--out", filepath.Join(dir, "o")}, "fleet"},
		{"dashboard: no input", []string{"dashboard"}, "--in"},
		{"dashboard: missing input", []string{"dashboard", "--in", filepath.Join(dir, "none.ae.jsonl"), "--out", filepath.Join(dir, "d")}, "--in"},
		{"dashboard: not analytics", []string{"dashboard", "--in", existing, "--out", filepath.Join(dir, "d")}, "exists.csv:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(c.args, &out, &errb)
			if code != 2 {
				t.Fatalf("exit code %d, want 2; stderr %q", code, errb.String())
			}
			if !strings.Contains(errb.String(), c.want) {
				t.Fatalf("stderr %q does not name %q", errb.String(), c.want)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Fatalf("an existing file was changed: %q", b)
	}
}

// TestRunRecordAndDashboard: a run with --record writes analytics rows,
// labelled knobs reach the JSON summary, and the dashboard renders them.
func TestRunRecordAndDashboard(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "run.ae.jsonl")
	var out, errb bytes.Buffer
	plots := filepath.Join(dir, "plots")
	code := Main([]string{"run", "--duration", "15m", "--progress", "0", "--json", "--record", rec, "--knob", "breaker_threshold=50", "--plots", plots}, &out, &errb)
	if code != 0 {
		t.Fatalf("run: code %d, stderr %s", code, errb.String())
	}
	var s struct {
		Knobs string `json:"knobs"`
		Ticks int    `json:"ticks"`
	}
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Knobs != "breaker_threshold=50" || s.Ticks == 0 {
		t.Errorf("summary knobs %q ticks %d", s.Knobs, s.Ticks)
	}
	b, _ := os.ReadFile(rec)
	if got := strings.Count(string(b), `"blob1":"reconciler_tick"`); got != s.Ticks {
		t.Errorf("%d reconciler_tick rows for %d ticks", got, s.Ticks)
	}
	if m, _ := filepath.Glob(filepath.Join(plots, "*.svg")); len(m) != 10 {
		t.Errorf("--plots wrote %d SVG charts, want 10: %v", len(m), m)
	}
	out.Reset()
	errb.Reset()
	dash := filepath.Join(dir, "dash")
	if code := Main([]string{"dashboard", "--in", rec, "--out", dash}, &out, &errb); code != 0 {
		t.Fatalf("dashboard: code %d, stderr %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "ms per tick") || !strings.Contains(out.String(), "pending events (yellow") {
		t.Errorf("dashboard figures without units: %s", out.String())
	}
	for _, id := range []string{"201", "204", "206"} {
		if !strings.Contains(out.String(), id+" ") {
			t.Errorf("dashboard output lacks panel %s: %s", id, out.String())
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dash, "*.png")); len(m) != 6 {
		t.Errorf("%d PNG panels, want 6", len(m))
	}
}

// TestSweepCommandTinyGrid: a sweep from a YAML grid writes its report and
// prints plain progress lines to a non-terminal stderr (no carriage returns).
func TestSweepCommandTinyGrid(t *testing.T) {
	t.Setenv("TOWNSIM_TEST_MAIN", "1") // -j 2: the test binary is the workers' townsim
	dir := t.TempDir()
	grid := filepath.Join(dir, "grid.yaml")
	if err := os.WriteFile(grid, []byte("agents: [2, 4, 6]\nseeds: 1\nduration: 5m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	rep := filepath.Join(dir, "rep")
	if code := Main([]string{"sweep", "--config", grid, "--out", rep, "-j", "2"}, &out, &errb); code != 0 {
		t.Fatalf("code %d, stderr %s", code, errb.String())
	}
	if strings.Contains(errb.String(), "\r") || !strings.Contains(errb.String(), "[3/3 done]") {
		t.Errorf("progress on a non-terminal: %q", errb.String())
	}
	if !strings.Contains(out.String(), "R²") || !strings.Contains(out.String(), "(every") {
		t.Errorf("stdout lacks the fit table: %s", out.String())
	}
	if _, err := os.Stat(filepath.Join(rep, "report.html")); err != nil {
		t.Error(err)
	}
}

// TestSweepProgress: on a terminal one line is redrawn in place; elsewhere
// plain lines come every interval, whether or not a run finished, with the
// simulated time each running run has reached.
func TestSweepProgress(t *testing.T) {
	last := &sweep.RunResult{Point: sweep.Point{Agents: 10}, Seed: 1}
	var tty bytes.Buffer
	p := newProgress(&tty, time.Hour, nil, 3)
	p.tty = true
	for i := 1; i <= 3; i++ {
		p.update(i, 3, last)
	}
	p.run()
	p.finish()
	if strings.Count(tty.String(), "\r\x1b[K") != 4 || strings.Count(tty.String(), "\n") != 2 {
		t.Errorf("terminal progress %q", tty.String())
	}
	live := &sweep.Live{}
	id := live.Start(sweep.Point{Agents: 300}, 2, time.Hour)
	live.Reach(id, 12*time.Minute+3*time.Second)
	var plain bytes.Buffer
	w := &lockedWriter{w: &plain}
	p = newProgress(w, 20*time.Millisecond, live, 3)
	p.run()
	time.Sleep(150 * time.Millisecond)
	p.finish()
	w.mu.Lock()
	got := plain.String()
	w.mu.Unlock()
	if strings.Contains(got, "\r") || strings.Count(got, "running: 300 agents seed 2 at 12m3s of 1h") < 3 {
		t.Errorf("plain progress %q: want a line every 20ms with the running run's simulated time", got)
	}
	if !strings.Contains(got, "[0/3 done]") {
		t.Errorf("plain progress %q lacks the count", got)
	}
	if isTerminal(&plain) {
		t.Error("a buffer is not a terminal")
	}
}
