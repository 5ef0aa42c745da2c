package mutate

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseCoverProfile(t *testing.T) {
	prof := `mode: set
example.com/m/a.go:3.20,5.3 2 1
example.com/m/a.go:5.3,7.4 1 0
example.com/m/a.go:9.1,9.30 1 0
example.com/m/a.go:9.10,9.20 1 1
other.org/x/b.go:1.1,2.2 1 0
`
	c, err := ParseCoverProfile(strings.NewReader(prof), "example.com/m")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file           string
		line, col      int
		reached, known bool
	}{
		{"a.go", 4, 1, true, true},   // inside a block that ran
		{"a.go", 3, 20, true, true},  // its first position
		{"a.go", 6, 2, false, true},  // inside a block that never ran
		{"a.go", 5, 3, true, true},   // the boundary of both: one ran
		{"a.go", 9, 15, true, true},  // inside two blocks, one ran
		{"a.go", 9, 25, false, true}, // only in the one that did not
		{"a.go", 8, 1, false, false}, // in no block: must be judged
		{"b.go", 1, 5, false, false}, // another module's file is skipped
		{"c.go", 1, 1, false, false}, // a file the profile does not name
	} {
		r, k := c.Reached(tc.file, tc.line, tc.col)
		if r != tc.reached || k != tc.known {
			t.Errorf("%s:%d:%d: reached %v known %v, want %v %v", tc.file, tc.line, tc.col, r, k, tc.reached, tc.known)
		}
	}
	for _, bad := range []string{"a.go 1 1\n", "example.com/m/a.go:1.1-2.2 1 1\n", "example.com/m/a.go:1.1,2.x 1 1\n"} {
		if _, err := ParseCoverProfile(strings.NewReader(bad), "example.com/m"); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: error %v, want one naming line 1", bad, err)
		}
	}
}

// With Coverage, the baseline's cover profile decides: the mutants of a
// function no case runs survive as not reached, unjudged, and are counted
// apart; the mutants of code that runs are still judged.
func TestCoverageNotReached(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	root, err := filepath.Abs("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	all, srcs, err := Generate(root, []string{"clamp.go", "unreached.go"}, []string{OpNegate, OpBoundary})
	if err != nil {
		t.Fatal(err)
	}
	var keep []Mutant
	for _, m := range all {
		if m.Func == "spare" || m.Description() == "negate: x < lo → !(x < lo)" {
			keep = append(keep, m)
		}
	}
	if len(keep) < 3 {
		t.Fatalf("found %d mutants: %+v", len(keep), keep)
	}
	r := &Runner{Root: root, Main: ".", Jobs: 2, Timeout: 30 * time.Second, BuildTimeout: 2 * time.Minute,
		Sources: srcs, Coverage: true, Module: "tiny"}
	if _, err := r.Baseline(context.Background()); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	rep := &Report{Results: r.Run(context.Background(), keep)}
	rep.Summarize()
	for _, res := range rep.Results {
		switch {
		case res.Func == "spare" && (res.Outcome != Survived || res.KilledBy != NotReachedBy || res.RunSeconds != 0):
			t.Errorf("%s %s: %s (%s), want survived, not reached, unjudged", res.Pos(), res.Description(), res.Outcome, res.KilledBy)
		case res.Func == "clamp" && res.Outcome != Killed:
			t.Errorf("%s %s: %s, want killed (its code runs)", res.Pos(), res.Description(), res.Outcome)
		}
	}
	if got := rep.Totals.NotReached; got != len(keep)-1 {
		t.Errorf("not reached %d, want %d", got, len(keep)-1)
	}
}
