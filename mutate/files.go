package mutate

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultTargets are what `townsim mutate` mutates without --package: the
// reconciler (rules and action executor) and the action/event code of the
// Town: the drain and the application of town events (events.go,
// apply.go) and the state operations they mainly call (agents_ops.go:
// hooks, status, checkpoints; review.go: merge requests and review
// results; beads.go: bead status and fields).
var DefaultTargets = []string{"model/reconciler", "model/apply.go", "model/events.go",
	"model/agents_ops.go", "model/review.go", "model/beads.go"}

// Excluded are files never mutated: the test-only mutants of the Town.
var Excluded = []string{"model/mutants.go"}

// Files resolves targets (directories or .go files relative to root) to
// the non-test Go files to mutate, sorted and without duplicates. A
// target that does not exist, is a test file or holds no Go file is an
// error naming it.
func Files(root string, targets []string) ([]string, error) {
	var out []string
	for _, t := range targets {
		t = filepath.ToSlash(filepath.Clean(strings.TrimSpace(t)))
		if t == "." || strings.HasPrefix(t, "../") || filepath.IsAbs(t) {
			return nil, fmt.Errorf("%q: give a directory or .go file inside the module, relative to its root", t)
		}
		st, err := os.Stat(filepath.Join(root, t))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", t, err)
		}
		if !st.IsDir() {
			switch {
			case !strings.HasSuffix(t, ".go"):
				return nil, fmt.Errorf("%q: not a .go file or a directory", t)
			case strings.HasSuffix(t, "_test.go"):
				return nil, fmt.Errorf("%q: a test file; mutants are judged by the property suite, not made in tests", t)
			case slices.Contains(Excluded, t):
				return nil, fmt.Errorf("%q: holds the Town's test-only mutants and is never mutated", t)
			}
			out = append(out, t)
			continue
		}
		ents, err := os.ReadDir(filepath.Join(root, t))
		if err != nil {
			return nil, err
		}
		n := 0
		for _, e := range ents {
			name := e.Name()
			p := t + "/" + name
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || slices.Contains(Excluded, p) {
				continue
			}
			out = append(out, p)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%q: no non-test Go file in it", t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
