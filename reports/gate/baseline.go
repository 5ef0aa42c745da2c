package gate

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/goccy/go-yaml"
)

// Baseline is a baseline file: what each scenario of a budgets file
// measured when the baseline was written.
type Baseline struct {
	// Machine describes where the wall-clock figures were measured
	// (informational).
	Machine string `yaml:"machine"`
	// Scenarios has one entry per budgets entry, by name.
	Scenarios []BaselineEntry `yaml:"scenarios"`

	// Path is the file the baseline was read from.
	Path string `yaml:"-"`
}

// BaselineEntry is one scenario's baseline: the scenario as it ran, its
// deterministic figures and its wall-clock samples.
type BaselineEntry struct {
	// Name is the budgets entry's name.
	Name string `yaml:"name"`
	// Scenario, Seed, Duration, Rigs and Agents say what ran; a budgets
	// entry that now says otherwise needs a new baseline.
	Scenario string `yaml:"scenario"`
	Seed     uint64 `yaml:"seed"`
	Duration string `yaml:"duration"`
	Rigs     int    `yaml:"rigs"`
	Agents   int    `yaml:"agents"`
	// Runs is the number of runs the wall samples come from.
	Runs          int `yaml:"runs"`
	Deterministic `yaml:",inline"`
	// Wall has one value per run.
	Wall Wall `yaml:"wall"`
}

// UpdateCommand is the command that writes the baseline of a budgets file.
func UpdateCommand(budgetsPath string) string {
	return "townsim gate --budgets " + budgetsPath + " --update-baseline"
}

// LoadBaseline reads a baseline file strictly. A missing file is an error
// naming the command that creates it (create, e.g. UpdateCommand).
func LoadBaseline(path, create string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("baseline file %s does not exist; create it with: %s", path, create)
		}
		return nil, fmt.Errorf("baseline file: %w", err)
	}
	f := &yamlFile{name: path, data: data}
	bl := &Baseline{}
	if err := f.decode(bl); err != nil {
		return nil, err
	}
	bl.Path = path
	seen := map[string]bool{}
	for i, e := range bl.Scenarios {
		if e.Name == "" {
			return nil, f.errAt(fmt.Sprintf("$.scenarios[%d]", i), "has no name")
		}
		if seen[e.Name] {
			return nil, f.errAt(fmt.Sprintf("$.scenarios[%d].name", i), "%q appears twice", e.Name)
		}
		seen[e.Name] = true
	}
	return bl, nil
}

// entry finds the baseline of a budgets entry and checks that it was
// measured on the same scenario. Both failures name the command that
// writes a fresh baseline.
func (bl *Baseline) entry(e *Entry, create string) (*BaselineEntry, error) {
	for i := range bl.Scenarios {
		be := &bl.Scenarios[i]
		if be.Name != e.Name {
			continue
		}
		want := newBaselineEntry(e, nil)
		type key struct {
			scenario, duration string
			seed               uint64
			rigs, agents       int
		}
		got := key{be.Scenario, be.Duration, be.Seed, be.Rigs, be.Agents}
		now := key{want.Scenario, want.Duration, want.Seed, want.Rigs, want.Agents}
		if got != now {
			return nil, fmt.Errorf("%s: scenario %q was recorded as %s seed %d duration %s rigs %d agents %d, the budgets now say %s seed %d duration %s rigs %d agents %d; write a new baseline with: %s",
				bl.Path, e.Name, got.scenario, got.seed, got.duration, got.rigs, got.agents,
				now.scenario, now.seed, now.duration, now.rigs, now.agents, create)
		}
		return be, nil
	}
	return nil, fmt.Errorf("%s has no entry for scenario %q; write a new baseline with: %s", bl.Path, e.Name, create)
}

// newBaselineEntry is the baseline of e as measured by m (nil: the
// scenario's identity only).
func newBaselineEntry(e *Entry, m *Measurement) BaselineEntry {
	be := BaselineEntry{
		Name:     e.Name,
		Scenario: e.Scenario,
		Seed:     e.Config.Seed,
		Duration: e.Config.Duration.String(),
		Rigs:     e.Config.Rigs,
		Agents:   e.Config.Agents,
	}
	if m != nil {
		be.Runs = m.Runs
		be.Deterministic = m.Det
		be.Wall = Wall{
			ComputeMsP50: roundAll(m.Wall.ComputeMsP50),
			ComputeMsP99: roundAll(m.Wall.ComputeMsP99),
			SimOverWall:  roundAll(m.Wall.SimOverWall),
		}
	}
	return be
}

// NewBaseline is the baseline of the budgets' scenarios as measured by ms
// (one Measurement per entry, in order).
func NewBaseline(b *Budgets, ms []*Measurement) *Baseline {
	bl := &Baseline{Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())}
	for i := range b.Scenarios {
		bl.Scenarios = append(bl.Scenarios, newBaselineEntry(&b.Scenarios[i], ms[i]))
	}
	return bl
}

// WriteBaseline writes bl to path, replacing the file whole (a temporary
// file renamed over it, so a failed write leaves the old one intact).
// header becomes the file's leading comment.
func WriteBaseline(path string, bl *Baseline, header string) error {
	body, err := yaml.MarshalWithOptions(bl, yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	out := []byte{}
	for _, line := range splitLines(header) {
		out = append(out, "# "+line+"\n"...)
	}
	out = append(out, body...)
	return WriteFileAtomic(path, out)
}

// WriteFileAtomic replaces path with data whole: it writes a temporary
// file next to it and renames it over path, so that a failed write
// leaves the old file intact.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// roundAll rounds wall-clock values to 4 significant digits: more would
// only record noise.
func roundAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = round4(x)
	}
	return out
}

func round4(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 4, 64), 64)
	return v
}
