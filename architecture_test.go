package townsim

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/townsim/townsim"

// room is a package and its sub-packages, with the rooms its packages may
// depend on, directly or not (docs/architecture.md). A room may always
// depend on its own packages; "*" allows everything.
type room struct {
	name    string
	mayUse  []string
	because string
}

// rooms is the import rule of docs/architecture.md.
var rooms = []room{
	{"des", nil, "the kernel knows nothing of gastown"},
	{"model", nil, "the Town never knows it is simulated"},
	{"differential", []string{"model"}, "it compares reconcile passes of the Town"},
	{"sim", []string{"des", "model"}, "the world is built on the kernel around the Town"},
	{"scenarios", []string{"des", "model", "sim", "differential"}, "properties judge the world's runs, also those a gastown checkout's reconcile drives"},
	{"reports", []string{"des", "model", "sim", "scenarios", "differential"}, "reports read runs and scenarios"},
	{"procpool", nil, "a generic pool of worker processes knows nothing of what they run"},
	{"mutate", nil, "mutation testing reads Go source and runs processes; it knows no townsim package"},
	{"cmd", []string{"*"}, "the command line wires the rooms together"},
	{"", nil, "the root package holds only this test"},
}

// pkgDeps is one package as go list gives it.
type pkgDeps struct {
	ImportPath string
	Deps       []string
}

// roomOf returns the room of a package path inside the module.
func roomOf(pkg string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	r, _, _ := strings.Cut(rel, "/")
	return r
}

// breaches returns one message per dependency the rooms table forbids
// and per room that has no package.
func breaches(pkgs []pkgDeps, table []room) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range pkgs {
		name := roomOf(p.ImportPath)
		i := slices.IndexFunc(table, func(r room) bool { return r.name == name })
		if i < 0 {
			out = append(out, fmt.Sprintf("package %s is in room %q, which the rooms table (and docs/architecture.md) does not list", p.ImportPath, name))
			continue
		}
		seen[name] = true
		r := table[i]
		for _, d := range p.Deps {
			if !strings.HasPrefix(d, module+"/") {
				continue
			}
			dr := roomOf(d)
			if dr == name || slices.Contains(r.mayUse, "*") || slices.Contains(r.mayUse, dr) {
				continue
			}
			out = append(out, fmt.Sprintf("%s depends on %s: room %q may use only %v (%s)", p.ImportPath, d, name, r.mayUse, r.because))
		}
	}
	for _, r := range table {
		if !seen[r.name] {
			out = append(out, fmt.Sprintf("room %q has no package: update the rooms table and docs/architecture.md", r.name))
		}
	}
	return out
}

func TestImportsPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Deps", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkgDeps
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkgDeps
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < len(rooms) {
		t.Fatalf("go list found %d packages, fewer than the %d rooms", len(pkgs), len(rooms))
	}
	for _, b := range breaches(pkgs, rooms) {
		t.Error(b)
	}
}

// TestBreaches shows the rule catches what it is for: the kernel or the
// Town reaching into the world, directly or through another package.
func TestBreaches(t *testing.T) {
	all := func(extra ...pkgDeps) []pkgDeps {
		ps := []pkgDeps{{ImportPath: module}}
		for _, r := range rooms[:len(rooms)-1] {
			ps = append(ps, pkgDeps{ImportPath: module + "/" + r.name})
		}
		return append(ps, extra...)
	}
	for _, tt := range []struct {
		name string
		pkgs []pkgDeps
		want string // a substring of the one breach, "" for none
	}{
		{"today's shape", all(pkgDeps{module + "/sim", []string{module + "/des", module + "/model/alarm", "fmt"}}), ""},
		{"kernel imports the Town", all(pkgDeps{module + "/des", []string{module + "/model"}}), `room "des" may use only []`},
		{"Town imports the world indirectly", all(pkgDeps{module + "/model/alarm", []string{module + "/model", module + "/sim"}}), `model/alarm depends on ` + module + `/sim`},
		{"a new room", all(pkgDeps{module + "/tools/x", nil}), `room "tools"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := breaches(tt.pkgs, rooms)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("breaches = %q, want none", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Fatalf("breaches = %q, want one containing %q", got, tt.want)
			}
		})
	}
}

// TestRoomOf pins how a package path maps to its room.
func TestRoomOf(t *testing.T) {
	for _, tt := range []struct{ pkg, room string }{
		{module, ""},
		{module + "/des", "des"},
		{module + "/model/reconciler", "model"},
		{module + "/reports/gate", "reports"},
		{module + "/cmd/townsim", "cmd"},
	} {
		if got := roomOf(tt.pkg); got != tt.room {
			t.Errorf("roomOf(%s) = %q, want %q", tt.pkg, got, tt.room)
		}
	}
}
