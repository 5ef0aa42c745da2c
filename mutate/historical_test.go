package mutate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// A historical entry whose edits span two files is built with both files
// replaced in one overlay: renaming clamp in clamp.go and at its callers
// in main.go builds only when both are replaced; with a changed bound it
// is killed, without it survives. The module's files are never changed.
func TestHistoricalMultiFileRun(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	root, err := filepath.Abs("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(root, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	rename := []Edit{
		{File: "clamp.go", Old: "func clamp(x, lo, hi int) int {", New: "func clampX(x, lo, hi int) int {"},
		{File: "main.go", Old: "clamp(5, 0, 3) == 3 && clamp(-1, 0, 3) == 0 && clamp(2, 0, 3) == 2",
			New: "clampX(5, 0, 3) == 3 && clampX(-1, 0, 3) == 0 && clampX(2, 0, 3) == 2"},
	}
	bug := append([]Edit{{File: "clamp.go", Old: "\tif x > hi {\n\t\treturn hi", New: "\tif x > hi {\n\t\treturn lo"}}, rename...)
	es := []HistoricalEntry{
		{ID: "renamed", Title: "a rename across two files", Source: "test", Rule: "none", Edits: rename},
		{ID: "upper-bound-lost", Title: "above the range gives the lower bound", Source: "test", Rule: "clamp", Edits: bug},
	}
	ms, srcs, err := HistoricalMutants(root, "test.yaml", es)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[1].File != "clamp.go" || ms[1].Line != 10 || ms[1].Operator != OpHistorical || ms[1].Func != "clamp" {
		t.Fatalf("mutants %+v", ms)
	}
	r := &Runner{Root: root, Main: ".", Jobs: 2, Timeout: 30 * time.Second, BuildTimeout: 2 * time.Minute, Sources: srcs}
	want := map[string]string{"renamed": Survived, "upper-bound-lost": Killed}
	for _, res := range r.Run(context.Background(), ms) {
		if res.Outcome != want[res.ID] {
			t.Errorf("%s: %s (%s), want %s", res.ID, res.Outcome, res.KilledBy, want[res.ID])
		}
	}
	after, _ := os.ReadFile(filepath.Join(root, "main.go"))
	if string(after) != string(before) {
		t.Errorf("main.go changed on disk")
	}
}

// A mutant whose build or judge an interrupt cuts is not run, not killed
// or unbuildable: the interrupt is no verdict on it.
func TestInterruptedMutantIsNotRun(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	root, err := filepath.Abs("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	ms, srcs, err := HistoricalMutants(root, "test.yaml", []HistoricalEntry{{ID: "any", Title: "t", Source: "s", Rule: "r",
		Edits: []Edit{{File: "clamp.go", Old: "\tif x > hi {\n\t\treturn hi", New: "\tif x > hi {\n\t\treturn lo"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &Runner{Root: root, Main: ".", Jobs: 1, Timeout: 30 * time.Second, BuildTimeout: time.Minute, Sources: srcs}
	if res := r.one(ctx, ms[0]); res.Outcome != NotRun {
		t.Errorf("an interrupted mutant is %s (%s), want %s", res.Outcome, res.KilledBy, NotRun)
	}
}
