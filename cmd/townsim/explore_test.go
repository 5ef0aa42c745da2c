package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/townsim/townsim/reports/explore"
)

// The test binary is townsim itself when TOWNSIM_TEST_MAIN is set: the
// explore tests re-execute it as shard processes and as pool workers
// (procpool.Self re-executes the running binary).
func init() {
	if os.Getenv("TOWNSIM_TEST_MAIN") == "1" && len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-test.") {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
}

func TestExploreFlags(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string // a substring of the error, "" for none
		// check the options when there is no error
		shard, shards, cases int
		budget               time.Duration
		out                  string
	}{
		{args: nil, shards: 1, budget: 30 * time.Minute, out: "explore-1"},
		{args: []string{"--cases", "10", "--seed", "7"}, shards: 1, cases: 10, out: "explore-7"},
		{args: []string{"--cases", "8", "--shard", "1/4"}, shards: 4, shard: 1, cases: 8, out: "explore-1-shard-1-of-4"},
		{args: []string{"--cases", "8"}, env: map[string]string{"JOB_COMPLETION_INDEX": "3", "JOB_COMPLETIONS": "4"}, shard: 3, shards: 4, cases: 8, out: "explore-1-shard-3-of-4"},
		{args: []string{"--cases", "8", "--shard", "0/2"}, env: map[string]string{"JOB_COMPLETION_INDEX": "3", "JOB_COMPLETIONS": "4"}, shard: 0, shards: 2, cases: 8, out: "explore-1-shard-0-of-2"},
		{args: []string{"--budget", "5m", "--cases", "3"}, want: "give one"},
		{args: []string{"--cases", "0"}, want: "--cases: must be at least 1"},
		{args: []string{"--budget", "0s"}, want: "--budget: must be a positive duration"},
		{args: []string{"--shard", "4/4"}, want: `--shard: "4/4" is not a shard`},
		{args: []string{}, env: map[string]string{"JOB_COMPLETION_INDEX": "1"}, want: "JOB_COMPLETION_INDEX/JOB_COMPLETIONS"},
		{args: []string{"--scenarios", "no-such"}, want: "--scenarios: no scenario is named"},
		{args: []string{"--mutant", "no-such"}, want: "--mutant"},
		{args: []string{"-j", "-1"}, want: "-j: must be 0 or more"},
		{args: []string{"extra"}, want: "unexpected argument"},
		{args: []string{"--gastown-mode", "drive"}, want: "--gastown-mode: needs --gastown"},
		{args: []string{"--diffs", "d"}, want: "--diffs: needs --gastown"},
		{args: []string{"--gastown", "no-such-folder"}, want: "--gastown: gastown checkout no-such-folder"},
		{args: []string{"--gastown", "../../differential/testdata/minigastown", "--gastown-mode", "replay"}, want: "--gastown-mode: unknown mode"},
		{args: []string{"--compare", "events"}, want: "--compare: needs --gastown"},
		{args: []string{"--gastown", "../../differential/testdata/minigastown", "--compare", "events,bogus"}, want: `--compare: unknown comparison "bogus"`},
		{args: []string{"--gastown", "../../differential/testdata/minigastown", "--gastown-mode", "drive", "--compare", "actions"}, want: "--compare: drive mode compares reconcile only"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			f, o, err := parseExploreFlags(tt.args, &stderr, env(tt.env))
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want one containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Shard != tt.shard || o.Shards != tt.shards || o.Cases != tt.cases || o.Budget != tt.budget || f.out != tt.out {
				t.Errorf("shard %d/%d cases %d budget %v out %q; want %d/%d %d %v %q",
					o.Shard, o.Shards, o.Cases, o.Budget, f.out, tt.shard, tt.shards, tt.cases, tt.budget, tt.out)
			}
		})
	}
}

// Four shards, run as separate processes with the Kubernetes Indexed
// Job's environment variables and merged, give the report a single run of
// the same cases gives: the same cases, failures, signatures, shrunk
// scenarios and coverage growth.
func TestExploreShardsMergeToASingleRun(t *testing.T) {
	t.Setenv("TOWNSIM_TEST_MAIN", "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	campaign := []string{"--cases", "4", "--scenarios", "fresh-town", "--mutant", "double-dispatch", "--seed", "5", "--shrink-runs", "2", "-j", "1"}
	var stdout, stderr bytes.Buffer
	single := filepath.Join(dir, "single")
	if code := Main(append([]string{"explore", "--out", single}, campaign...), &stdout, &stderr); code != 1 {
		t.Fatalf("single run: exit %d, want 1 (the mutant is caught)\n%s", code, stderr.String())
	}
	var wg sync.WaitGroup
	shards := make([]string, 4)
	errs := make([]error, 4)
	for i := range shards {
		shards[i] = filepath.Join(dir, fmt.Sprintf("shard-%d", i))
		wg.Go(func() {
			cmd := exec.Command(exe, append([]string{"explore", "--out", shards[i]}, campaign...)...)
			cmd.Env = append(os.Environ(), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i), "JOB_COMPLETIONS=4")
			out, err := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				errs[i] = fmt.Errorf("shard %d: exit %d (%v), want 1:\n%s", i, code, err, out)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(dir, "merged")
	stdout.Reset()
	if code := Main(append([]string{"merge", "--out", merged}, shards...), &stdout, &stderr); code != 1 {
		t.Fatalf("merge: exit %d, want 1\n%s", code, stderr.String())
	}
	a, err := explore.ReadDir(single)
	if err != nil {
		t.Fatal(err)
	}
	b, err := explore.ReadDir(merged)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range shardReports(t, shards) {
		if s.Shard != i || s.Shards != 4 || len(s.CaseResults) != 1 || s.CaseResults[0].Index != i {
			t.Errorf("shard %d ran shard %d of %d, cases %v; want its one case %d", i, s.Shard, s.Shards, s.CaseResults, i)
		}
	}
	ca, _ := a.Canonical()
	cb, _ := b.Canonical()
	if !bytes.Equal(ca, cb) || len(a.Signatures) == 0 || len(a.CaseResults) != 4 {
		t.Fatalf("merged shards differ from the single run (or found nothing):\nsingle %s\nmerged %s", ca, cb)
	}
	for _, s := range b.Signatures {
		fa, _ := os.ReadFile(filepath.Join(single, s.File))
		fb, _ := os.ReadFile(filepath.Join(merged, s.File))
		if len(fa) == 0 || !bytes.Equal(fa, fb) {
			t.Errorf("%s differs between the single run and the merge", s.File)
		}
	}
	if code := Main([]string{"merge", "--out", merged, shards[0]}, &stdout, &stderr); code != 2 {
		t.Errorf("merge into an existing folder: exit %d, want 2", code)
	}
}

func shardReports(t *testing.T, dirs []string) []*explore.Report {
	var out []*explore.Report
	for _, d := range dirs {
		r, err := explore.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// explore as a judge (townsim mutate --judge explore): --known makes the
// failures an earlier report of the same cases shows not count, --json
// prints the verdict in check's form and writes no folder without --out,
// and --fail-fast stops at the first new failure (a mutant's).
func TestExploreJudge(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	campaign := []string{"--cases", "2", "--scenarios", "fresh-town", "--seed", "5", "-j", "0"}
	var stdout, stderr bytes.Buffer
	base := filepath.Join(dir, "base")
	if code := Main(append([]string{"explore", "--out", base}, campaign...), &stdout, &stderr); code > 1 {
		t.Fatalf("baseline: exit %d\n%s", code, stderr.String())
	}
	judge := func(extra ...string) (int, judgeVerdict) {
		t.Helper()
		stdout.Reset()
		stderr.Reset()
		code := Main(append(append([]string{"explore", "--known", base, "--json"}, campaign...), extra...), &stdout, &stderr)
		var v judgeVerdict
		if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
			t.Fatalf("exit %d, not a JSON verdict: %v\n%s\n%s", code, err, stdout.String(), stderr.String())
		}
		return code, v
	}
	if code, v := judge(); code != 0 || !v.Passed || v.Ran != 2 || len(v.Cases) != 2 {
		t.Errorf("the same cases judged against their own report: exit %d, %+v\n%s", code, v, stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("--json without --out wrote a folder: %v", entries)
	}
	code, v := judge("--mutant", "double-dispatch", "--fail-fast")
	if code != 1 || v.Passed || !v.Stopped || v.Ran != 1 || v.Cases[0].Passed || v.Cases[0].Property == "" {
		t.Errorf("a mutant: exit %d, %+v; want a failing verdict stopped at the first case", code, v)
	}
	stderr.Reset()
	if code := Main(append([]string{"explore", "--known", base, "--json", "--swarm"}, campaign...), &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "--known") {
		t.Errorf("--known of another campaign: exit %d, %s", code, stderr.String())
	}
}
