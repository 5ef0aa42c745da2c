package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/townsim/townsim/mutate"
)

// Bad use of `townsim mutate` exits 2 with a message naming the flag.
func TestMutateBadFlags(t *testing.T) {
	dir := t.TempDir()
	badEq := filepath.Join(dir, "eq.yaml")
	if err := os.WriteFile(badEq, []byte("- id: abc\n  file: x.go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-j", "0"}, "-j: must be >= 1"},
		{[]string{"--sample", "-3"}, "--sample: must be >= 0"},
		{[]string{"--budget", "-1s"}, "--budget: must be >= 0"},
		{[]string{"--out", dir}, "--out: " + dir + " exists"},
		{[]string{"--check-args", "--rapid 2 --json"}, "--check-args: --json is always added"},
		{[]string{"--operators", "negate,flip"}, `--operators: unknown operator "flip"`},
		{[]string{"--package", "model/apply_test.go"}, "a test file"},
		{[]string{"--package", "model/mutants.go"}, "test-only mutants"},
		{[]string{"--package", "nowhere"}, `--package: "nowhere"`},
		{[]string{"--equivalent", badEq, "--list"}, "id and reason are required"},
		{[]string{"--resume", filepath.Join(dir, "none.json")}, "--resume: open"},
		{[]string{"--resume", badEq}, "--resume: " + badEq},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--judge", "fuzz"}, `--judge: want check or explore, got "fuzz"`},
		{[]string{"--judge", "explore"}, "--judge explore: give the campaign's flags with --check-args"},
		{[]string{"--ids", "0123456789", "--list"}, "--ids: no mutant 0123456789"},
	} {
		var out, errb bytes.Buffer
		if code := Main(append([]string{"mutate"}, tt.args...), &out, &errb); code != 2 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("mutate %v: exit %d, stderr %q; want 2 and %q", tt.args, code, errb.String(), tt.want)
		}
	}
}

// --list draws the seeded sample without building anything, and the
// checked-in equivalent list loads and names mutants that exist.
func TestMutateList(t *testing.T) {
	list := func(seed string) []mutate.Mutant {
		var out, errb bytes.Buffer
		if code := Main([]string{"mutate", "--list", "--json", "--sample", "5", "--seed", seed}, &out, &errb); code != 0 {
			t.Fatalf("exit %d, stderr %q", code, errb.String())
		}
		var ms []mutate.Mutant
		if err := json.Unmarshal(out.Bytes(), &ms); err != nil {
			t.Fatal(err)
		}
		return ms
	}
	a, b := list("7"), list("7")
	if len(a) != 5 || a[0].ID != b[0].ID || a[4].ID != b[4].ID {
		t.Errorf("two --list --sample 5 --seed 7 differ: %v / %v", a, b)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	eq, err := loadEquivalent(filepath.Join(root, "mutate", "equivalent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := mutate.Files(root, mutate.DefaultTargets)
	if err != nil {
		t.Fatal(err)
	}
	all, _, err := mutate.Generate(root, files, mutate.Operators())
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]mutate.Mutant{}
	for _, m := range all {
		have[m.ID] = m
	}
	for _, e := range eq {
		m, ok := have[e.ID]
		if !ok {
			t.Errorf("equivalent.yaml: id %s (%s %s) matches no mutant: the code moved; re-list it", e.ID, e.File, e.Mutation)
			continue
		}
		if m.File != e.File || m.Operator != e.Operator {
			t.Errorf("equivalent.yaml: id %s is %s %s, the entry says %s %s", e.ID, m.File, m.Operator, e.File, e.Operator)
		}
	}
}

// --ids keeps only the named mutants.
func TestMutateIDs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"mutate", "--list", "--json", "--sample", "5", "--seed", "7"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	var all []mutate.Mutant
	if err := json.Unmarshal(out.Bytes(), &all); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	ids := all[3].ID + "," + all[1].ID
	if code := Main([]string{"mutate", "--list", "--json", "--ids", ids}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	var got []mutate.Mutant
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !strings.Contains(ids, got[0].ID) || !strings.Contains(ids, got[1].ID) || got[0].ID == got[1].ID {
		t.Errorf("--ids %s listed %v", ids, got)
	}
}
