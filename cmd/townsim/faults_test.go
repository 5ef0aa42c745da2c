package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/townsim/townsim/sim"
)

// townsim faults lists every kind with its description and source.
func TestFaultsCommandListsEveryKind(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"faults"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, k := range sim.FaultKinds() {
		if !strings.Contains(out.String(), k.Name) {
			t.Errorf("listing lacks %s", k.Name)
		}
		for _, w := range strings.Fields(k.Source) { // long cells wrap at spaces
			if !strings.Contains(out.String(), w) {
				t.Errorf("listing lacks %s's source %q", k.Name, k.Source)
			}
		}
	}
	if code := Main([]string{"faults", "extra"}, &out, &errb); code != 2 {
		t.Errorf("faults extra: exit %d, want 2", code)
	}
}

// --faults, --swarm and --heal reach the run: the summary counts faults by
// kind, lists those that never fired, and the same flags give the same hash.
func TestRunFaultFlags(t *testing.T) {
	run := func(args ...string) map[string]any {
		t.Helper()
		var out, errb bytes.Buffer
		args = append([]string{"run", "--json", "--progress", "0", "--duration", "20m"}, args...)
		if code := Main(args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	a := run("--faults", "heartbeat_lost=0.3,mayor_death=0.0001", "--heal", "15m")
	fired := a["faults_fired"].(map[string]any)
	if fired["heartbeat_lost"].(float64) == 0 {
		t.Errorf("heartbeat_lost never fired: %v", fired)
	}
	never := a["faults_never_fired"].([]any)
	if !slices.Contains(never, any("mayor_death")) {
		t.Errorf("faults_never_fired %v lacks mayor_death", never)
	}
	if a["heal_seconds"].(float64) != 900 {
		t.Errorf("heal_seconds %v", a["heal_seconds"])
	}
	b := run("--faults", "heartbeat_lost=0.3,mayor_death=0.0001", "--heal", "15m")
	if a["trace_hash"] != b["trace_hash"] {
		t.Errorf("same flags, hashes %v and %v", a["trace_hash"], b["trace_hash"])
	}
	s1, s2 := run("--swarm", "--seed", "2"), run("--swarm", "--seed", "2")
	if len(s1["fault_mix"].(map[string]any)) == 0 || s1["trace_hash"] != s2["trace_hash"] {
		t.Errorf("swarm: mix %v, hashes %v %v", s1["fault_mix"], s1["trace_hash"], s2["trace_hash"])
	}
	plain := run()
	if len(plain["fault_mix"].(map[string]any)) != 0 || len(plain["faults_fired"].(map[string]any)) != 0 {
		t.Errorf("a run without faults reports faults: %v %v", plain["fault_mix"], plain["faults_fired"])
	}
}
