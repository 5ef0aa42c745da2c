package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The differential package's TypeScript fixture (a small reconcile with
// production's signature). These tests need Node.js and the npm packages
// of differential/node (.ci/run installs them).
const fixture = "../../differential/testdata/minigastown"

func TestDifferentialFlagErrors(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	os.MkdirAll(full, 0o755)
	os.WriteFile(filepath.Join(full, "state-000001.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(full, "diff-000001.json"), []byte("{}"), 0o644)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"mode without gastown", []string{"run", "--gastown-mode", "drive"}, "--gastown-mode: needs --gastown"},
		{"diffs without gastown", []string{"run", "--diffs", dir}, "--diffs: needs --gastown"},
		{"no checkout", []string{"run", "--gastown", filepath.Join(dir, "nope")}, "--gastown"},
		{"not a checkout", []string{"run", "--gastown", dir}, "src/dos/town/reconciler.ts"},
		{"bad mode", []string{"run", "--gastown", fixture, "--gastown-mode", "race"}, `--gastown-mode: unknown mode "race"`},
		{"diffs folder in use", []string{"run", "--gastown", fixture, "--diffs", full}, "--diffs"},
		{"states folder in use", []string{"run", "--save-states", full}, "--save-states"},
		{"diff without states", []string{"diff", "--gastown", fixture}, "--states: required"},
		{"diff without gastown", []string{"diff", "--states", full}, "--gastown: required"},
		{"diff on an empty folder", []string{"diff", "--states", dir, "--gastown", fixture}, "no saved states"},
		{"diff stray argument", []string{"diff", "x"}, "unexpected argument"},
		{"compare without gastown", []string{"run", "--compare", "events"}, "--compare: needs --gastown"},
		{"bad compare", []string{"run", "--gastown", fixture, "--compare", "events,bogus"}, `--compare: unknown comparison "bogus"`},
		{"drive with events", []string{"run", "--gastown", fixture, "--gastown-mode", "drive", "--compare", "reconcile,events"}, "--compare: drive mode compares reconcile only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main(c.args, &out, &errb); code != 2 {
				t.Fatalf("exit code %d, want 2; stderr %q", code, errb.String())
			}
			if !strings.Contains(errb.String(), c.want) {
				t.Fatalf("stderr %q does not name %q", errb.String(), c.want)
			}
		})
	}
}

// townsim run --gastown in compare mode against the fixture: the run's
// summary counts the passes and the differences, which are saved; the
// states saved beside replay through townsim diff to the same differences.
func TestRunGastownThenDiff(t *testing.T) {
	dir := t.TempDir()
	diffs, states := filepath.Join(dir, "diffs"), filepath.Join(dir, "states")
	var out, errb bytes.Buffer
	code := Main([]string{"run", "--duration", "2m", "--agents", "30", "--progress", "0", "--json",
		"--gastown", fixture, "--diffs", diffs, "--save-states", states}, &out, &errb)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errb.String())
	}
	var s struct {
		Ticks        int `json:"ticks"`
		Differential struct {
			Mode  string `json:"mode"`
			Stats struct {
				Compared, Differed int
			} `json:"stats"`
			Differences []string `json:"differences"`
			StatesSaved int      `json:"states_saved"`
		} `json:"differential"`
	}
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("summary: %v\n%s", err, out.String())
	}
	d := s.Differential
	if d.Mode != "compare" || d.Stats.Compared != s.Ticks || d.Stats.Differed == 0 || len(d.Differences) != d.Stats.Differed || d.StatesSaved != s.Ticks {
		t.Fatalf("differential summary %+v (ticks %d)", d, s.Ticks)
	}
	for _, f := range d.Differences {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("difference file: %v", err)
		}
	}

	out.Reset()
	errb.Reset()
	code = Main([]string{"diff", "--states", states, "--gastown", fixture}, &out, &errb)
	if code != 1 {
		t.Fatalf("diff with differences: exit %d, want 1: %s", code, errb.String())
	}
	for _, want := range []string{"states replayed", "ONLY IN PORT", "notify_mayor", "state-0000"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("diff output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(out.String(), "| "+itoa(d.Stats.Differed)+" ") && !strings.Contains(out.String(), "│ "+itoa(d.Stats.Differed)+" ") {
		t.Errorf("diff must count %d differences:\n%s", d.Stats.Differed, out.String())
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
