package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	gfixture "github.com/townsim/townsim/differential/fixture"
	"github.com/townsim/townsim/scenarios"
)

// replay's --gastown flags: bad ones exit 2 naming the flag; in drive mode
// a checkout whose reconcile emits an action the port cannot apply is a
// verdict naming it (exit 1), in the text and in --json.
func TestReplayDriveMode(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--strict"}, "--strict: needs --gastown"},
		{[]string{"--gastown-mode", "drive"}, "--gastown-mode: needs --gastown"},
		{[]string{"--max-diffs", "3"}, "--max-diffs: needs --gastown"},
		{[]string{"--gastown", "x", "--gastown-mode", "race"}, "--gastown-mode: unknown mode"},
		{[]string{"--gastown", "x", "--strict"}, "--strict: only with --gastown-mode drive"},
		{[]string{"--gastown", "x", "--max-diffs", "-1"}, "--max-diffs"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"replay", "--scenario", "fresh-town"}, tc.args...)
		if code := Main(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}

	dir := t.TempDir()
	if err := gfixture.Write(dir, gfixture.UnknownAction); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	diffs := filepath.Join(t.TempDir(), "diffs")
	code := Main([]string{"replay", "--scenario", "fresh-town", "--gastown", dir, "--gastown-mode", "drive",
		"--diffs", diffs, "--json"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "VERDICT") || !strings.Contains(stderr.String(), gfixture.UnknownActionType) {
		t.Fatalf("exit %d, stderr:\n%s", code, historyTail(stderr.String()))
	}
	var out replayJSON
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Gastown == nil || out.Gastown.Mode != "drive" || !strings.Contains(out.Gastown.Verdict, gfixture.UnknownActionType) ||
		len(out.Failures) == 0 || !strings.HasPrefix(out.Failures[0], scenarios.PropOriginalUnusable) {
		t.Errorf("replay JSON: gastown %+v, failures %v", out.Gastown, out.Failures)
	}
}
