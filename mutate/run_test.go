package mutate

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The overlay build really changes behaviour: the mutants of a tiny
// module (testdata/tiny, whose binary judges itself like townsim check)
// are built with -overlay and judged as processes; a moved boundary that
// matters is killed, one that does not survives, an endless loop times
// out, and a call whose receiver is then unused does not build. The
// module's own file is never changed.
func TestOverlayRun(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	root, err := filepath.Abs("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	all, srcs, err := Generate(root, []string{"clamp.go"}, Operators())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // operator: original → mutated
		"negate: x < lo → !(x < lo)":                             Killed,
		"boundary: x < lo → x <= lo":                             Survived,
		"constant: 1 → 0":                                        Timeout, // i += 0
		"drop-effect: b.WriteString(\"hi\") → _ = []any{\"hi\"}": DidNotBuild,
	}
	// "constant: 1 → 0" is both `i := 1` and `i += 1`; keep the step.
	var keep []Mutant
	for _, m := range all {
		if _, ok := want[m.Description()]; ok && !(m.Operator == OpConstant && m.Col != 27) {
			keep = append(keep, m)
		}
	}
	if len(keep) != len(want) {
		t.Fatalf("found %d of the %d mutants: %+v", len(keep), len(want), keep)
	}
	r := &Runner{Root: root, Main: ".", Jobs: 2, Timeout: 3 * time.Second, BuildTimeout: 2 * time.Minute, Sources: srcs}
	if _, err := r.Baseline(context.Background()); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	for _, res := range r.Run(context.Background(), keep) {
		if res.Outcome != want[res.Description()] {
			t.Errorf("%s %s: %s (%s), want %s", res.Pos(), res.Description(), res.Outcome, res.KilledBy, want[res.Description()])
		}
		if res.Outcome == Killed && res.KilledBy != "clamp: clamp-bounds" {
			t.Errorf("%s killed by %q, want the clamp case and its property", res.Description(), res.KilledBy)
		}
	}
	again, _, err := Generate(root, []string{"clamp.go"}, Operators())
	if err != nil || len(again) != len(all) {
		t.Errorf("the module's file changed: %d mutants, had %d (%v)", len(again), len(all), err)
	}
}

// A budget of zero time starts nothing after the first mutant's slot:
// the rest are reported not run.
func TestBudgetStops(t *testing.T) {
	r := &Runner{Root: t.TempDir(), Main: ".", Jobs: 1, Budget: time.Nanosecond, Sources: map[string][]byte{}}
	ms := mutants(3)
	time.Sleep(time.Millisecond)
	res := r.Run(context.Background(), ms)
	notRun := 0
	for _, x := range res {
		if x.Outcome == NotRun {
			notRun++
		}
	}
	if notRun < 2 {
		t.Errorf("%d of 3 not run under a 1ns budget; results %+v", notRun, res)
	}
}

// A mutant whose build or judge an interrupt cut short is not run, not
// killed and not "did not build": an interrupted run must not count
// kills it never saw.
func TestInterruptedIsNotRun(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	root, err := filepath.Abs("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	all, srcs, err := Generate(root, []string{"clamp.go"}, Operators())
	if err != nil || len(all) == 0 {
		t.Fatalf("%d mutants: %v", len(all), err)
	}
	r := &Runner{Root: root, Main: ".", Jobs: 1, BuildTimeout: 2 * time.Minute, Sources: srcs}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := r.one(ctx, all[0]); res.Outcome != NotRun {
		t.Errorf("an interrupted mutant: %s (%s), want %s", res.Outcome, res.KilledBy, NotRun)
	}
}
