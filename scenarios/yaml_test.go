package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml/parser"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/sim"
)

// Every named scenario written as YAML loads back to the same value.
func TestYAMLRoundTrip(t *testing.T) {
	for _, s := range All() {
		t.Run(s.Name, func(t *testing.T) {
			data, err := s.MarshalYAML()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Load(s.Name+".yaml", data)
			if err != nil {
				t.Fatalf("loading what MarshalYAML wrote: %v\n%s", err, data)
			}
			if !reflect.DeepEqual(got, s) {
				t.Errorf("round trip changed the scenario:\n got %+v\nwant %+v\n%s", got, s, data)
			}
			// The file is complete: it loads to the same value whatever
			// base it names.
			other, err := Load("x.yaml", append([]byte("base: idle-town\n"), data...))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(other, s) {
				t.Errorf("with another base the file loads to a different scenario")
			}
		})
	}
}

// Values the named scenarios do not use round-trip too: times, every dist
// kind, quoted strings, large seeds, lists.
func TestYAMLRoundTripValues(t *testing.T) {
	s, _ := ByName("default")
	s.Name = "odd: name"
	s.Purpose = "quotes \" and # and\ttabs, ünïcode"
	s.Config.Seed = 1<<64 - 1
	s.Config.Start = time.Date(2027, 3, 4, 5, 6, 7, 8, time.UTC)
	s.Config.Containers.Boot = des.Const(1500 * time.Millisecond)
	s.Config.Containers.ColdStart = des.Normal(40*time.Second, 5*time.Second)
	s.Config.Work.Polecat = des.Exp(12*time.Minute + 30*time.Second)
	s.Config.Work.Fixup = des.LogNormal(time.Hour+time.Nanosecond, 0.123456789)
	s.Config.Work.Triage.Other = "true"
	s.Config.GitHub.Org = "null"
	s.Config.Workload.Diurnal = 0.1 + 0.2
	s.Expect.Bounds.Settle = 36 * time.Hour
	s.Expect.Bounds.NonTerminal = nil
	s.Expect.Bounds.FlapChanges = 9
	data, err := s.MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load("odd.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip changed the scenario:\n got %+v\nwant %+v\n%s", got, s, data)
	}
	if !strings.Contains(string(data), "cold_start: {kind: normal, mean: 40s, stddev: 5s}") {
		t.Errorf("dists are not written as small flow mappings:\n%s", data)
	}
}

// A file may start from a named scenario and change some keys; the rest
// keeps the base's values, and a dist mapping replaces the whole dist.
func TestLoadBaseOverride(t *testing.T) {
	got, err := LoadFile(filepath.Join("testdata", "stuck-small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ByName("stuck-agents")
	want.Name = "stuck-small"
	want.Purpose = "two polecats on one rig get stuck within minutes; watch GUPP's tiers"
	want.Config.Seed = 7
	want.Config.Duration = 90 * time.Minute
	want.Config.Rigs = 1
	want.Config.Agents = 2
	want.Config.Containers.ColdStart = des.LogNormal(20*time.Second, 0.3)
	want.Config.Containers.Stuck = sim.Stage{Weight: 3, After: des.Uniform(time.Minute, 3*time.Minute)}
	want.Expect.Actions = []string{"send_nudge", "create_triage_request"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	// Without base, a file starts from the default scenario and is named
	// after the file.
	got, err = Load("dir/my-town.yml", []byte("agents: 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	want = defaultScenario()
	want.Name = "my-town"
	want.Config.Agents = 3
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// The example files load, validate and run.
func TestExampleFilesLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("example files: %v, %v", files, err)
	}
	for _, f := range files {
		s, err := LoadFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		s.Config.Duration = 10 * time.Minute
		if _, err := sim.Run(s.Config, sim.RunOptions{}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// Each kind of mistake in a file is an error naming the file, the line,
// the key path and what was expected.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // the whole error text
	}{
		{"unknown key", "seed: 2\ncontainers:\n  cold_starts: {kind: const, value: 1s}\n",
			`f.yaml:3: containers.cold_starts: unknown key "cold_starts"; the keys in containers are: boot, cold_start, `},
		{"unknown top-level key", "name: x\nagent: 3\n",
			`f.yaml:2: agent: unknown key "agent"; the keys here are: name, purpose, seed, start, duration, rigs, agents, `},
		{"unknown dist key", "work:\n  polecat: {kind: exp, mean: 5m, median: 3m}\n",
			`f.yaml:2: work.polecat.median: is not used by this kind (uses [Mean])`},
		{"wrong type", "rigs: three\n",
			`f.yaml:1: rigs: expected an integer, got the string "three"`},
		{"wrong type nested", "github:\n  merge: [1, 2]\n",
			`f.yaml:2: github.merge: expected a number, got a list`},
		{"wrong type mapping", "town: pr\n",
			`f.yaml:1: town: expected a mapping, got the string "pr"`},
		{"wrong type list element", "expect:\n  actions: [poll_pr, 3]\n",
			`f.yaml:2: expect.actions[1]: expected a string, got the integer 3`},
		{"negative seed", "seed: -1\n",
			`f.yaml:1: seed: expected a non-negative integer, got the integer -1`},
		{"impossible value", "rigs: 2\nworkload:\n  cancel: 1.5\n",
			`f.yaml:3: workload.cancel: must be a probability in [0, 1], got 1.5`},
		{"impossible value vs another key", "rigs: 1\ntown:\n  code_review_off_rigs: 2\n",
			`f.yaml:3: town.code_review_off_rigs: must be between 0 and rigs (1), got 2`},
		{"impossible value in expect", "expect:\n  non_terminal: [closed]\n",
			`f.yaml:2: expect.non_terminal[0]: "closed" is not a non-terminal bead status; want one of open, in_progress, in_review`},
		{"negative bound", "expect:\n  settle: 1h\n  nudges_per_agent_hour: -2\n",
			`f.yaml:3: expect.nudges_per_agent_hour: is negative (-2)`},
		{"unknown action type", "expect:\n  actions: [send_nudges]\n",
			`f.yaml:2: expect.actions[0]: "send_nudges" is not an action type; want one of `},
		{"bad duration", "duration: 2 hours\n",
			`f.yaml:1: duration: expected a Go duration such as 90s, 15m or 2h30m, got "2 hours"`},
		{"duration without unit", "containers:\n  heartbeat_every: 30\n",
			`f.yaml:2: containers.heartbeat_every: expected a Go duration such as 90s, 15m or 2h30m, got the integer 30 (a duration needs a unit: 30s, 30m)`},
		{"bad dist kind", "work:\n  refinery:\n    kind: weibull\n    mean: 3m\n",
			`f.yaml:3: work.refinery.kind: "weibull" is unknown; want one of const, uniform, exp, lognormal, normal`},
		{"bad dist parameter", "work:\n  refinery: {kind: lognormal, median: 0s, sigma: 0.3}\n",
			`f.yaml:2: work.refinery.median: must be positive, got 0s`},
		{"dist not a mapping", "work:\n  refinery: 5m\n",
			`f.yaml:2: work.refinery: expected a dist mapping such as {kind: lognormal, median: 15m, sigma: 0.4} ({} = not used), got the string "5m"`},
		{"bad time", "start: yesterday\n",
			`f.yaml:1: start: expected an RFC 3339 time such as 2026-01-01T00:00:00Z, got "yesterday"`},
		{"repeated key", "seed: 1\nrigs: 2\nseed: 3\n",
			`f.yaml:3: not valid YAML: mapping key "seed" already defined at [1:1]`},
		{"not finite", "workload:\n  diurnal: .nan\n",
			`f.yaml:2: workload.diurnal: expected a finite number, got the number .nan`},
		{"unknown fault kind", "faults:\n  rates:\n    crashed: 0.1\n    lightning: 0.5\n",
			`f.yaml:4: faults.rates.lightning: is not a fault kind (townsim faults lists them)`},
		{"unknown base", "agents: 2\nbase: quiet-town\n",
			`f.yaml:2: base: no scenario is named "quiet-town"; the named scenarios are: default, healthy-steady, `},
		{"empty value", "duration:\n",
			`f.yaml:1: duration: expected a Go duration such as 90s, 15m or 2h30m, got no value`},
		{"not a mapping", "- seed: 1\n",
			`f.yaml:1: expected a mapping of scenario keys, got a list`},
		{"empty file", "# nothing\n",
			`f.yaml: is empty; want a mapping of scenario keys (see ` + "`townsim scenarios --yaml default`)"},
		{"two documents", "seed: 1\n---\nseed: 2\n",
			`f.yaml:3: holds more than one YAML document; want one scenario per file`},
		{"invalid YAML", "seed: 1\ntown: {merge_strategy: pr\n",
			`f.yaml:2: not valid YAML: `},
		{"impossible weights", "containers:\n  healthy: 0\n",
			`f.yaml:2: containers.healthy: weights are all zero [0 0 0 0 0 0 0]`},
		{"impossible value inherited from the base", "base: code-review-off\nrigs: 1\n",
			`f.yaml: town.code_review_off_rigs: must be between 0 and rigs (1), got 2 (the value comes from the base scenario)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("f.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error; want %q", tt.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *FileError", err, err)
			}
			if got := err.Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("error\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// A missing or unreadable file is an error naming the file.
func TestLoadFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := LoadFile(path)
	want := path + ": cannot read the scenario file: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("error %v; want %q", err, want)
	}
	dir := t.TempDir()
	if _, err := LoadFile(dir); err == nil || !strings.HasPrefix(err.Error(), dir+": cannot read the scenario file: ") {
		t.Errorf("reading a directory: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ok.yaml"), []byte("seed: 9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := LoadFile(filepath.Join(dir, "ok.yaml")); err != nil || s.Config.Seed != 9 || s.Name != "ok" {
		t.Errorf("LoadFile = %+v, %v", s.Config.Seed, err)
	}
}

// Every exported field of a scenario has a yaml tag, so no field is left
// out of files silently; fieldsOf refuses an untagged one.
func TestEveryFieldHasAYAMLKey(t *testing.T) {
	var walk func(t reflect.Type)
	seen := map[reflect.Type]bool{}
	walk = func(typ reflect.Type) {
		if seen[typ] || typ == timeType {
			return
		}
		seen[typ] = true
		switch typ.Kind() {
		case reflect.Struct:
			for _, f := range fieldsOf(typ) { // panics on an untagged field
				walk(typ.FieldByIndex(f.index).Type)
			}
		case reflect.Slice, reflect.Pointer, reflect.Map:
			walk(typ.Elem())
		}
	}
	walk(reflect.TypeFor[Scenario]())
	defer func() {
		if recover() == nil {
			t.Errorf("fieldsOf accepted a field without a yaml tag")
		}
	}()
	fieldsOf(reflect.TypeFor[struct{ Untagged int }]())
}

// The codec handles kinds sim.Config does not use yet, so that a field of
// such a type only needs its tag: maps, pointers, inline structs, nil and
// empty values.
func TestCodecOtherKinds(t *testing.T) {
	type inner struct {
		N int `yaml:"n"`
	}
	type extra struct {
		Flag bool `yaml:"flag"`
	}
	type doc struct {
		Extra   extra                     `yaml:",inline"`
		Heal    *time.Duration            `yaml:"heal"`
		NoHeal  *time.Duration            `yaml:"no_heal"`
		ByKind  map[string]float64        `yaml:"by_kind"`
		Nested  map[string]inner          `yaml:"nested"`
		Empty   map[string]int            `yaml:"empty"`
		Dists   []des.Dist                `yaml:"dists"`
		Windows map[string][]des.Dist     `yaml:"windows"`
		Hidden  int                       `yaml:"-"`
		Ptr     *inner                    `yaml:"ptr"`
		Deep    map[string]map[string]int `yaml:"deep"`
	}
	heal := 90 * time.Minute
	in := doc{
		Extra:   extra{Flag: true},
		Heal:    &heal,
		ByKind:  map[string]float64{"crash": 0.5, "b key": 2},
		Nested:  map[string]inner{"x": {N: 3}},
		Dists:   []des.Dist{des.Const(time.Second), {}},
		Windows: map[string][]des.Dist{"w": {des.Exp(time.Hour)}},
		Ptr:     &inner{N: 4},
		Deep:    map[string]map[string]int{"a": {"b": 1}},
	}
	var b strings.Builder
	if err := writeFields(&b, reflect.ValueOf(in), 0); err != nil {
		t.Fatal(err)
	}
	var out doc
	out.Hidden = 7
	f, err := parser.ParseBytes([]byte(b.String()), 0)
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	d := &decoder{file: "doc.yaml", lines: map[string]int{}}
	ps, _ := pairs(f.Docs[0].Body)
	if err := d.fields(ps, reflect.ValueOf(&out).Elem(), "", nil); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	in.Hidden = 7
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v\n%s", out, in, b.String())
	}
	if !strings.Contains(b.String(), "flag: true") || strings.Contains(b.String(), "hidden") {
		t.Errorf("inline or hidden fields written wrong:\n%s", b.String())
	}
}
