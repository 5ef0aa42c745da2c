package main

import (
	"bytes"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/townsim/townsim/mutate"
)

// Every entry of the checked-in catalog of production's bugs still
// applies to the port (each `old` exactly once) and the port it makes
// type-checks: a refactor that breaks an entry fails here, not half-way
// through a measurement. The edited packages (model, model/reconciler)
// are type-checked from source with go/types, their dependencies from the
// build cache's export data; a go build of every entry would take minutes.
func TestHistoricalCatalogAppliesAndTypeChecks(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ms, srcs, err := historicalMutants(root, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 25 {
		t.Errorf("the catalog holds %d entries; it was written with 30", len(ms))
	}
	tc := newTypeChecker(t, root, []string{"model", "model/reconciler"})
	if err := tc.check(nil); err != nil {
		t.Fatalf("the unmutated port does not type-check here: %v", err)
	}
	for _, m := range ms {
		if m.Operator != mutate.OpHistorical || m.Title == "" || m.Source == "" || m.Line < 1 {
			t.Errorf("%s: mutant %+v lacks its operator, title, source or position", m.ID, m)
		}
		files, err := m.Files(srcs)
		if err != nil {
			t.Errorf("%s: %v", m.ID, err)
			continue
		}
		for f, b := range files {
			if bytes.Equal(b, srcs[f]) {
				t.Errorf("%s: %s unchanged by its edits", m.ID, f)
			}
		}
		if err := tc.check(files); err != nil {
			t.Errorf("%s (%s) does not type-check: %v", m.ID, m.Pos(), err)
		}
	}
	// The check can fail: an unused variable in the reconciler does not pass.
	broken := map[string][]byte{"model/reconciler/gc.go": bytes.Replace(srcs["model/reconciler/gc.go"],
		[]byte("var out []Action"), []byte("var out []Action\n\tunused := 1"), 1)}
	if broken["model/reconciler/gc.go"] == nil {
		broken["model/reconciler/gc.go"], _ = os.ReadFile(filepath.Join(root, "model", "reconciler", "gc.go"))
		broken["model/reconciler/gc.go"] = bytes.Replace(broken["model/reconciler/gc.go"], []byte("var out []Action"), []byte("var out []Action\n\tunused := 1"), 1)
	}
	if err := tc.check(broken); err == nil || !strings.Contains(err.Error(), "unused") {
		t.Errorf("a declared and unused variable type-checked: %v", err)
	}
}

// A catalog entry whose old text is not in its file, or is there twice, is
// an error naming the catalog, the entry, the file and the text; a bad
// field is an error naming the entry.
func TestHistoricalCatalogErrors(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old string) []mutate.Edit {
		return []mutate.Edit{{File: "model/reconciler/gc.go", Old: old, New: "x"}}
	}
	ok := func(id string, ed []mutate.Edit) mutate.HistoricalEntry {
		return mutate.HistoricalEntry{ID: id, Title: "t", Source: "s", Rule: "GC", Edits: ed}
	}
	for _, tt := range []struct {
		es   []mutate.HistoricalEntry
		want []string
	}{
		{[]mutate.HistoricalEntry{ok("gone", edit("no such text in the file"))},
			[]string{"cat.yaml: entry gone: edit 1: model/reconciler/gc.go: the old text occurs 0 times", `"no such text in the file"`}},
		{[]mutate.HistoricalEntry{ok("twice", edit("gcRetention"))},
			[]string{"entry twice", "occurs 3 times"}},
		{[]mutate.HistoricalEntry{ok("Bad_ID", edit("x"))}, []string{"entry 1 (Bad_ID): id must be kebab-case"}},
		{[]mutate.HistoricalEntry{ok("a", edit("const gcRetention")), ok("a", edit("const gcRetention"))}, []string{"entry 2 (a): id used twice"}},
		{[]mutate.HistoricalEntry{{ID: "no-source", Title: "t", Rule: "GC", Edits: edit("x")}}, []string{"title, source and rule are required"}},
		{[]mutate.HistoricalEntry{ok("test-file", []mutate.Edit{{File: "model/apply_test.go", Old: "a", New: "b"}})}, []string{"not a non-test .go file"}},
		{[]mutate.HistoricalEntry{ok("same", []mutate.Edit{{File: "model/reconciler/gc.go", Old: "a", New: "a"}})}, []string{"new is the same as old"}},
	} {
		_, _, err := mutate.HistoricalMutants(root, "cat.yaml", tt.es)
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want it to contain %q", tt.es[len(tt.es)-1].ID, err, w)
			}
		}
	}
	// Two edits of one file apply in order: the second sees the first's text.
	ms, _, err := mutate.HistoricalMutants(root, "cat.yaml", []mutate.HistoricalEntry{ok("chain", []mutate.Edit{
		{File: "model/reconciler/gc.go", Old: "const gcRetention = 24 * time.Hour", New: "const gcRetention = 23 * time.Hour"},
		{File: "model/reconciler/gc.go", Old: "23 * time.Hour", New: "22 * time.Hour"},
	})})
	if err != nil {
		t.Fatal(err)
	}
	files, err := ms[0].Files(nil)
	if err != nil || !bytes.Contains(files["model/reconciler/gc.go"], []byte("const gcRetention = 22 * time.Hour")) {
		t.Errorf("chained edits: %v, %v", err, ms[0])
	}
}

// --historical's flag forms and its conflicts with the generator's flags.
func TestMutateHistoricalFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "cat.yaml")
	if err := os.WriteFile(bad, []byte("- id: x\n  title: t\n  source: s\n  rule: r\n  edits:\n    - file: model/reconciler/gc.go\n      old: not there\n      new: y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(dir, "unknown.yaml")
	if err := os.WriteFile(unknown, []byte("- id: x\n  titel: t\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--historical", "--sample", "3"}, "--sample: not with --historical"},
		{[]string{"--historical", "--operators", "negate"}, "--operators: not with --historical"},
		{[]string{"--historical", bad, "--list"}, "entry x: edit 1: model/reconciler/gc.go: the old text occurs 0 times"},
		{[]string{"--historical=" + unknown, "--list"}, "--historical: " + unknown},
		{[]string{"--historical", "--ids", "no-such-entry", "--list"}, "--ids: no catalog entry no-such-entry"},
	} {
		var out, errb bytes.Buffer
		if code := Main(append([]string{"mutate"}, tt.args...), &out, &errb); code != 2 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("mutate %v: exit %d, stderr %q; want 2 and %q", tt.args, code, errb.String(), tt.want)
		}
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"mutate", "--historical", "--list", "--json", "--ids", "rq5-alias-crash,gupp-nudges-mayor"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if s := out.String(); !strings.Contains(s, `"id": "rq5-alias-crash"`) || !strings.Contains(s, `"operator": "historical"`) ||
		!strings.Contains(s, `"id": "gupp-nudges-mayor"`) || strings.Count(s, `"operator"`) != 2 {
		t.Errorf("--historical --list --ids: %s", s)
	}
}

// typeChecker type-checks some of the module's packages from source, with
// files replaced, importing everything else from export data.
type typeChecker struct {
	t       *testing.T
	root    string
	module  string
	pkgs    []string            // relative dirs, in dependency order
	exports map[string]string   // import path → export data file
	files   map[string][]string // relative dir → its Go files (relative paths)
}

func newTypeChecker(t *testing.T, root string, pkgs []string) *typeChecker {
	tc := &typeChecker{t: t, root: root, module: "github.com/townsim/townsim", pkgs: pkgs,
		exports: map[string]string{}, files: map[string][]string{}}
	args := []string{"list", "-deps", "-export", "-f", "{{.ImportPath}}={{.Export}}"}
	for _, p := range pkgs {
		args = append(args, "./"+p)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	for l := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && v != "" {
			tc.exports[k] = v
		}
	}
	for _, p := range pkgs {
		bp, err := build.Default.ImportDir(filepath.Join(root, p), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(slices.Clone(bp.GoFiles), bp.CgoFiles...) {
			tc.files[p] = append(tc.files[p], path.Join(p, f))
		}
	}
	return tc
}

// check type-checks the packages with files (relative path → content)
// in place of the originals.
func (tc *typeChecker) check(files map[string][]byte) error {
	fset := token.NewFileSet()
	checked := map[string]*types.Package{}
	gc := importer.ForCompiler(fset, "gc", func(p string) (io.ReadCloser, error) {
		f, ok := tc.exports[p]
		if !ok {
			return nil, os.ErrNotExist
		}
		return os.Open(f)
	})
	imp := importerFunc(func(p string) (*types.Package, error) {
		if pkg, ok := checked[p]; ok {
			return pkg, nil
		}
		return gc.Import(p)
	})
	for _, p := range tc.pkgs {
		var asts []*ast.File
		for _, f := range tc.files[p] {
			src, ok := files[f]
			if !ok {
				var err error
				if src, err = os.ReadFile(filepath.Join(tc.root, filepath.FromSlash(f))); err != nil {
					return err
				}
			}
			a, err := parser.ParseFile(fset, f, src, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			asts = append(asts, a)
		}
		conf := types.Config{Importer: imp, FakeImportC: true}
		pkg, err := conf.Check(tc.module+"/"+p, fset, asts, nil)
		if err != nil {
			return err
		}
		checked[tc.module+"/"+p] = pkg
	}
	return nil
}

type importerFunc func(string) (*types.Package, error)

func (f importerFunc) Import(p string) (*types.Package, error) { return f(p) }
