package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunFlagErrorsNameTheFlag(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "exists.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"negative duration", []string{"--duration", "-1h"}, "--duration"},
		{"zero duration", []string{"--duration", "0s"}, "--duration"},
		{"zero duration without unit", []string{"--duration", "0"}, "--duration"},
		{"negative minutes", []string{"--duration", "-5m"}, "--duration: must be positive"},
		{"unknown token source", []string{"--github-token", "ghp_x"}, "--github-token"},
		{"fleet over the limit", []string{"--agents", "10001"}, "--agents: 10001 is over the limit of 10000 (measured"},
		{"bad duration", []string{"--duration", "soon"}, "-duration"},
		{"zero rigs", []string{"--rigs", "0"}, "--rigs"},
		{"zero agents", []string{"--agents", "0"}, "--agents"},
		{"bad seed", []string{"--seed", "-3"}, "-seed"},
		{"existing db", []string{"--db", existing}, "--db"},
		{"existing trace", []string{"--trace", existing}, "--trace"},
		{"existing cpu profile", []string{"--cpuprofile", existing}, "--cpuprofile"},
		{"same file", []string{"--db", filepath.Join(dir, "x"), "--trace", filepath.Join(dir, "x")}, "--db and --trace"},
		{"stray argument", []string{"extra"}, "unexpected argument"},
		{"unknown flag", []string{"--nope"}, "-nope"},
		{"unknown fault kind", []string{"--faults", "heartbeat_lost=0.1,gremlins=2"}, `--faults: unknown fault kind "gremlins"`},
		{"bad fault rate", []string{"--faults", "crashed=lots"}, `--faults: fault kind crashed: rate "lots" is not a number`},
		{"fault probability over 1", []string{"--faults", "status_unknown=3"}, "--faults: fault kind status_unknown: rate is a probability"},
		{"negative heal", []string{"--heal", "-1m"}, "--heal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(append([]string{"run"}, c.args...), &out, &errb)
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

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"fly"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `"fly"`) {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
	if code := Main(nil, &out, &errb); code != 2 {
		t.Fatalf("no command: code %d", code)
	}
}

func TestRunJSONIsDeterministic(t *testing.T) {
	run := func(dir string) map[string]any {
		var out, errb bytes.Buffer
		trace := filepath.Join(dir, "trace.txt")
		db := filepath.Join(dir, "town.db")
		code := Main([]string{"run", "--seed", "7", "--duration", "10m", "--rigs", "2", "--agents", "6",
			"--json", "--progress", "0", "--trace", trace, "--db", db}, &out, &errb)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("summary is not JSON: %v\n%s", err, out.String())
		}
		if st, err := os.Stat(trace); err != nil || st.Size() == 0 {
			t.Fatalf("trace file not written: %v", err)
		}
		if _, err := os.Stat(db); err != nil {
			t.Fatalf("database file not written: %v", err)
		}
		return m
	}
	a, b := run(t.TempDir()), run(t.TempDir())
	for _, k := range []string{"trace_hash", "ticks", "events_drained", "actions_emitted", "sim_over_wall", "beads_created"} {
		if _, ok := a[k]; !ok {
			t.Fatalf("summary lacks %q: %v", k, a)
		}
	}
	if a["trace_hash"] != b["trace_hash"] || a["ticks"] != b["ticks"] {
		t.Fatalf("same seed gave different runs: %v vs %v", a["trace_hash"], b["trace_hash"])
	}
	if a["ticks"].(float64) < 1 {
		t.Fatalf("no tick ran: %v", a)
	}
}

func TestRunTableSummary(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main([]string{"run", "--duration", "5m", "--rigs", "1", "--agents", "3", "--progress", "1m"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"TICKS", "ticks", "compute per tick", "simulated / wall", "trace"} {
		if !strings.Contains(strings.ToLower(out.String()), strings.ToLower(want)) {
			t.Fatalf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errb.String(), "sim 1m0s") {
		t.Fatalf("no progress line:\n%s", errb.String())
	}
}

// A signal stops the run at the next event: the partial summary
// is printed, the trace written so far is kept, and the exit code is 130.
func TestRunInterruptKeepsTraceAndSummary(t *testing.T) {
	defer func(old func(chan<- os.Signal)) { notifyInterrupt = old }(notifyInterrupt)
	notifyInterrupt = func(c chan<- os.Signal) { c <- os.Interrupt }
	trace := filepath.Join(t.TempDir(), "trace.txt")
	var out, errb bytes.Buffer
	code := Main([]string{"run", "--duration", "2h", "--json", "--progress", "0", "--trace", trace}, &out, &errb)
	if code != 130 {
		t.Fatalf("exit %d, want 130; stderr %s", code, errb.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("no summary: %v\n%s", err, out.String())
	}
	if m["interrupted"] != true || m["simulated_seconds"].(float64) >= 7200 {
		t.Fatalf("summary does not show the interruption: %v", m)
	}
	st, err := os.Stat(trace)
	if err != nil || st.Size() == 0 {
		t.Fatalf("trace lost: %v", err)
	}
	if !strings.Contains(errb.String(), "interrupted after") {
		t.Fatalf("stderr does not say so: %s", errb.String())
	}
}

// A fleet estimated to take long is warned about on stderr with the
// measured cost per agent; a small one is not.
func TestAgentsWarning(t *testing.T) {
	for _, c := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--agents", "8"}, false},
		{[]string{"--agents", "2000"}, true},
		{[]string{"--agents", "2000", "--duration", "1m"}, false},
	} {
		var errb bytes.Buffer
		if _, err := parseRunFlags(c.args, &errb); err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(errb.String(), "warning: --agents") && strings.Contains(errb.String(), "per agent per simulated minute")
		if got != c.warn {
			t.Errorf("%v: warning %v, want %v (%q)", c.args, got, c.warn, errb.String())
		}
	}
}

// --github-token none runs production's fresh town, whose first PR polls
// fail every merge request with no_token (NEW_TOWN_CONFIG_DEFAULTS in
// src/dos/town/config.ts, checkPRStatus in town-scm.ts): its issues go back
// to be worked again, few close, and the dispatch circuit breaker opens;
// with the default (stored) token they close and it stays shut.
func TestGitHubTokenFlag(t *testing.T) {
	closed, breaker := map[string]float64{}, map[string]float64{}
	for _, tok := range []string{"none", "stored"} {
		var out, errb bytes.Buffer
		code := Main([]string{"run", "--duration", "40m", "--rigs", "1", "--agents", "4", "--json", "--progress", "0",
			"--github-token", tok}, &out, &errb)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tok, code, errb.String())
		}
		var m struct {
			Closed  float64            `json:"beads_closed"`
			Actions map[string]float64 `json:"actions_by_type"`
		}
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		closed[tok], breaker[tok] = m.Closed, m.Actions["notify_mayor"]
	}
	if closed["none"] >= closed["stored"] || breaker["none"] == 0 || breaker["stored"] != 0 {
		t.Fatalf("closed without a token %v, with one %v; breaker notifications %v and %v",
			closed["none"], closed["stored"], breaker["none"], breaker["stored"])
	}
}
