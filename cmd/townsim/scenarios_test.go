package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/townsim/townsim/scenarios"
)

// `townsim scenarios` lists every named scenario with its fleet and duration.
func TestScenariosListsTheNamedOnes(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"scenarios"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	for _, s := range scenarios.All() {
		if !strings.Contains(out.String(), s.Name) || !strings.Contains(out.String(), s.Fleet()) {
			t.Errorf("the listing lacks %s (%s):\n%s", s.Name, s.Fleet(), out.String())
		}
	}
	for _, h := range []string{"NAME", "PURPOSE", "FLEET", "DURATION"} {
		if !strings.Contains(out.String(), h) {
			t.Errorf("the listing lacks the column %s", h)
		}
	}
}

// `townsim scenarios --yaml NAME` writes a file that loads back to the
// named scenario; bad use exits 2.
func TestScenariosYAML(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"scenarios", "--yaml", "long-drain"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	got, err := scenarios.Load("long-drain.yaml", out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := scenarios.ByName("long-drain")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the written file loads to another scenario")
	}
	for _, args := range [][]string{{"scenarios", "--yaml", "nope"}, {"scenarios", "extra"}, {"scenarios", "--nope"}} {
		out.Reset()
		errb.Reset()
		if code := Main(args, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errb.String())
		}
	}
}

// `townsim run --scenario` runs a named scenario or a file; flags given
// explicitly override its fields, the others keep the scenario's.
func TestRunScenario(t *testing.T) {
	file := filepath.Join(t.TempDir(), "small.yaml")
	if err := os.WriteFile(file, []byte("base: stuck-agents\nrigs: 2\nseed: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args               []string
		seed, rigs, agents float64
		simulatedSeconds   float64
	}{
		{[]string{"--scenario", "idle-town", "--duration", "5m"}, 1, 1, 2, 300},
		{[]string{"--scenario", file, "--duration", "3m", "--agents", "3"}, 5, 2, 3, 180},
		{[]string{"--scenario", file, "--duration", "3m", "--seed", "8", "--rigs", "4"}, 8, 4, 4, 180},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		args := append([]string{"run", "--json", "--progress", "0"}, tt.args...)
		if code := Main(args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errb.String())
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if m["seed"] != tt.seed || m["rigs"] != tt.rigs || m["agents"] != tt.agents || m["simulated_seconds"] != tt.simulatedSeconds {
			t.Errorf("%v: seed %v rigs %v agents %v simulated %v; want %v %v %v %v", args,
				m["seed"], m["rigs"], m["agents"], m["simulated_seconds"], tt.seed, tt.rigs, tt.agents, tt.simulatedSeconds)
		}
	}
}

// A bad scenario file or name exits 2 with a message naming the file, the
// line and the key.
func TestRunScenarioErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("seed: 1\nwork:\n  polecat: {kind: gamma, mean: 5m}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	impossible := filepath.Join(dir, "impossible.yaml")
	if err := os.WriteFile(impossible, []byte("base: code-review-off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", bad}, bad + `:3: work.polecat.kind: "gamma" is unknown`},
		{[]string{"--scenario", filepath.Join(dir, "missing.yaml")}, "missing.yaml: cannot read the scenario file"},
		{[]string{"--scenario", "no-such-scenario"}, `"no-such-scenario" is neither a named scenario nor a file`},
		{[]string{"--scenario", impossible, "--rigs", "1"}, "town.code_review_off_rigs: must be between 0 and rigs (1), got 2"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		args := append([]string{"run", "--progress", "0"}, tt.args...)
		if code := Main(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr %q", args, code, errb.String())
		}
		if !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%v: stderr %q lacks %q", args, errb.String(), tt.want)
		}
	}
}
