package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// townsim run --gastown --compare events,actions against the fixture:
// events and actions are compared (no reconcile pass), the fixture's
// deliberate differences are saved, and townsim diff replays them.
func TestRunCompareEventsActionsThenDiff(t *testing.T) {
	diffs := filepath.Join(t.TempDir(), "diffs")
	var out, errb bytes.Buffer
	code := Main([]string{"run", "--duration", "3m", "--agents", "30", "--progress", "0", "--json",
		"--gastown", fixture, "--diffs", diffs, "--compare", "events,actions"}, &out, &errb)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errb.String())
	}
	var s struct {
		Differential struct {
			Stats *struct{} `json:"stats"`
			Exec  struct {
				Events      struct{ Compared, Differed int } `json:"events"`
				Actions     struct{ Compared, Differed int } `json:"actions"`
				Differences []string                         `json:"differences"`
			} `json:"exec"`
		} `json:"differential"`
	}
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("summary: %v\n%s", err, out.String())
	}
	d := s.Differential
	if d.Stats != nil {
		t.Errorf("reconcile compared without being asked: %s", out.String())
	}
	x := d.Exec
	if x.Events.Compared == 0 || x.Actions.Compared == 0 || x.Events.Differed+x.Actions.Differed == 0 || len(x.Differences) != x.Events.Differed+x.Actions.Differed {
		t.Fatalf("exec summary %+v", x)
	}
	out.Reset()
	errb.Reset()
	code = Main([]string{"diff", "--states", diffs, "--gastown", fixture}, &out, &errb)
	if code != 1 {
		t.Fatalf("diff with differences: exit %d, want 1: %s", code, errb.String())
	}
	first := strings.TrimSuffix(filepath.Base(x.Differences[0]), ".json")
	for _, want := range []string{"TYPE", "DIFFERED", first} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("diff output lacks %q:\n%s", want, out.String())
		}
	}
}
