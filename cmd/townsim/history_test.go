package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gfixture "github.com/townsim/townsim/differential/fixture"
	"github.com/townsim/townsim/scenarios"
)

// bisect judges only the commits a binary search needs, skips a commit
// that cannot be judged, and names the first commit whose status differs
// from the first commit's, both ways.
func TestBisect(t *testing.T) {
	const prop = "bounds/nudges-per-agent-hour"
	for _, tc := range []struct {
		name    string
		status  string // per commit: p passes, f fails, e cannot be judged
		first   int    // -1: no change
		starts  bool
		maxSeen int
	}{
		{"starts", "ppppppffff", 6, true, 5},
		{"stops", "fffpppppppp", 3, false, 5},
		{"skip", "pppppeeffff", 7, true, 7},
		{"no change", "pppp", -1, false, 2},
		{"error at the start", "epppf", 4, true, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			commits := make([]string, len(tc.status))
			for i := range commits {
				commits[i] = fmt.Sprintf("%040d", i)
			}
			seen := 0
			judge := func(c string) historyCommit {
				seen++
				i := slices.Index(commits, c)
				hc := historyCommit{Commit: c, Date: "2026-03-20", Subject: "commit " + c[36:]}
				switch tc.status[i] {
				case 'e':
					hc.Error = "does not bundle"
				case 'f':
					hc.Cases = []historyCase{{Scenario: "s", Failing: []string{prop}}}
				default:
					hc.Cases = []historyCase{{Scenario: "s", Failing: []string{}}}
				}
				return hc
			}
			res, rows := bisect(commits, prop, judge)
			if tc.first < 0 {
				if res.First != "" {
					t.Errorf("found %s in a range without change: %s", res.First, res.Message)
				}
			} else if res.First != commits[tc.first] || res.Starts != tc.starts {
				t.Errorf("first %s starts %v (%s), want commit %d starts %v", res.First, res.Starts, res.Message, tc.first, tc.starts)
			}
			if seen > tc.maxSeen || len(rows) != seen {
				t.Errorf("judged %d commits (%d rows), want at most %d", seen, len(rows), tc.maxSeen)
			}
		})
	}
}

// historyGit runs git in dir for a test.
func historyGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=townsim", "-c", "user.email=townsim@example.com",
		"-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// historyRepo builds a git history of the fixture: a commit before the
// reconciler existed, the fixture in the older layout, moved to the newer
// one, then a variant that breaks the nudge bound, then one that emits an
// action the port cannot apply. It returns the repository and its commits.
func historyRepo(t *testing.T) (string, []string) {
	t.Helper()
	repo := t.TempDir()
	historyGit(t, repo, "init", "-q")
	var commits []string
	commit := func(msg string) {
		historyGit(t, repo, "add", "-A")
		historyGit(t, repo, "commit", "-q", "-m", msg)
		commits = append(commits, historyGit(t, repo, "rev-parse", "HEAD"))
	}
	write := func(layout string, v gfixture.Variant) {
		os.RemoveAll(filepath.Join(repo, layout))
		if err := gfixture.Write(filepath.Join(repo, layout), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(repo, "cloudflare-gastown", "src", "dos", "town"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(repo, "cloudflare-gastown", "src", "dos", "town", "notes.md"), []byte("the Town, soon\n"), 0o644)
	commit("town: before the reconciler")
	write("cloudflare-gastown", gfixture.Original)
	commit("town: the reconciler")
	os.MkdirAll(filepath.Join(repo, "services"), 0o755)
	historyGit(t, repo, "mv", "cloudflare-gastown", filepath.Join("services", "gastown"))
	commit("move to services/gastown")
	write(filepath.Join("services", "gastown"), gfixture.NudgeStorm)
	commit("town: nudge every agent")
	write(filepath.Join("services", "gastown"), gfixture.UnknownAction)
	commit("town: a new action")
	return repo, commits
}

// townsim history judges every commit of a range that holds a reconciler,
// in either layout: the table, the JSON and the report files name the
// failing properties per commit and the verdict of a commit whose
// reconcile emits an action the port cannot apply; --bisect finds the
// commit where a property starts failing.
func TestHistoryCommand(t *testing.T) {
	repo, commits := historyRepo(t)
	out := filepath.Join(t.TempDir(), "history")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"history", "--gastown-git", repo, "--range", "HEAD", "--scenarios", "healthy-steady",
		"--duration-cap", "2m", "-j", "1", "--out", out, "--json"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (properties fail); stderr:\n%s", code, historyTail(stderr.String()))
	}
	var rep historyReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if len(rep.Commits) != 4 || rep.Commits[0].Commit != commits[1] {
		t.Fatalf("judged %d commits, want the 4 that hold a reconciler", len(rep.Commits))
	}
	wantLayout := []string{"cloudflare-gastown", "services/gastown", "services/gastown", "services/gastown"}
	for i, c := range rep.Commits {
		if c.Error != "" || c.Layout != wantLayout[i] || len(c.Cases) != 1 || c.Drift == nil {
			t.Fatalf("commit %d: %+v", i, c)
		}
	}
	failing := func(i int) []string { return rep.Commits[i].Cases[0].Failing }
	for i := range 2 {
		if slices.Contains(failing(i), scenarios.PropNudges) || slices.Contains(failing(i), scenarios.PropOriginalUnusable) {
			t.Errorf("commit %d (the fixture) fails %v", i, failing(i))
		}
	}
	if !slices.Contains(failing(2), scenarios.PropNudges) {
		t.Errorf("the nudge storm passes the nudge bound: %v", failing(2))
	}
	if f := failing(3); len(f) == 0 || f[0] != scenarios.PropOriginalUnusable ||
		!strings.Contains(rep.Commits[3].Cases[0].Gastown.Verdict, gfixture.UnknownActionType) {
		t.Errorf("the unknown action's verdict: %v %q", f, rep.Commits[3].Cases[0].Gastown.Verdict)
	}
	for _, name := range []string{"history.json", "history.md", "history.html"} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Contains(data, []byte(commits[4][:12])) || !bytes.Contains(data, []byte("town: nudge every agent")) {
			t.Errorf("%s: %v, missing a commit's row", name, err)
		}
	}
	// A report is never overwritten.
	stderr.Reset()
	if code := Main([]string{"history", "--gastown-git", repo, "--out", out}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "already exists") {
		t.Errorf("exit %d, stderr %s", code, stderr.String())
	}

	stdout.Reset()
	stderr.Reset()
	code = Main([]string{"history", "--gastown-git", repo, "--range", commits[0] + ".." + commits[3], "--scenarios", "healthy-steady",
		"--duration-cap", "2m", "--bisect", scenarios.PropNudges, "--out", filepath.Join(t.TempDir(), "bisect")}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stdout.String(), "bisect: "+scenarios.PropNudges+" starts failing at "+commits[3][:12]) {
		t.Errorf("exit %d, bisect output:\n%s\n%s", code, stdout.String(), historyTail(stderr.String()))
	}
}

// Bad flags exit 2 with a message naming the flag.
func TestHistoryFlags(t *testing.T) {
	repo := t.TempDir()
	historyGit(t, repo, "init", "-q")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "--gastown-git: required"},
		{[]string{"--gastown-git", t.TempDir()}, "not a git repository"},
		{[]string{"--gastown-git", repo, "--range", "A..B", "--commits", "C"}, "give one of them"},
		{[]string{"--gastown-git", repo, "--scenarios", "nope"}, "--scenarios"},
		{[]string{"--gastown-git", repo, "--bisect", "safety/nope"}, "--bisect: unknown property"},
		{[]string{"--gastown-git", repo, "-j", "0"}, "-j"},
		{[]string{"--gastown-git", repo, "--commits", "deadbeef"}, "--commits"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(append([]string{"history"}, tc.args...), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

func historyTail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}
