package gate

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/townsim/townsim/sim"
)

// Defaults of a budgets file's optional settings.
const (
	// DefaultRuns is the number of runs per scenario: enough for the
	// U-test to reject at alpha 0.05 (it needs at least 4 against 4).
	DefaultRuns = 5
	// DefaultAlpha is the U-test's significance level.
	DefaultAlpha = 0.05
	// DefaultMinEffect is the smallest relative worsening of a wall-clock
	// figure that counts as a regression (0.2: 20% slower).
	DefaultMinEffect = 0.2
	// TickCeilingMs is the compute per tick production cares about: a tick
	// over 500 ms eats a tenth of the 5-second active cadence.
	TickCeilingMs = 500
)

// Budgets is a budgets file: the scenarios the gate runs, how many times,
// how strictly each kind of figure is compared with the baseline, and the
// absolute ceilings.
type Budgets struct {
	// Baseline is the baseline file, relative to the budgets file's
	// directory (required).
	Baseline string `yaml:"baseline"`
	// Runs is the number of runs per scenario (default DefaultRuns).
	Runs int `yaml:"runs"`
	// Alpha is the U-test's significance level (default DefaultAlpha).
	Alpha float64 `yaml:"alpha"`
	// MinEffect is the default minimum effect size of wall-clock
	// regressions, a fraction (default DefaultMinEffect).
	MinEffect *float64 `yaml:"min_effect"`
	// MinEffects override MinEffect for single wall-clock figures: a tail
	// (compute p99) or a whole-run figure (simulated/wall) is noisier than
	// the median tick.
	MinEffects MinEffects `yaml:"min_effects"`
	// Tolerance is the default relative rise allowed in deterministic
	// figures (default 0: exact).
	Tolerance float64 `yaml:"tolerance"`
	// Scenarios are the scenarios the gate runs.
	Scenarios []Entry `yaml:"scenarios"`
	// Bench configures `townsim gate --bench`.
	Bench *BenchBudgets `yaml:"bench"`
	// RequireVerdict makes an UNDECIDED figure (too few runs to judge) a
	// failure instead of a verdict of its own.
	RequireVerdict bool `yaml:"require_verdict"`
	// Against configures `townsim gate --against REV` (the paired
	// comparison with a build of another revision); nil: the defaults.
	Against *Against `yaml:"against"`

	// Path is the file the budgets were read from.
	Path string `yaml:"-"`
	// StoredWallInfo, set by --against, shows the wall-clock figures
	// against the stored baseline without judging them: the paired
	// comparison with the other revision judges speed. The absolute
	// ceilings and floors still apply.
	StoredWallInfo bool `yaml:"-"`
}

// Entry is one scenario of a budgets file.
type Entry struct {
	// Name labels the entry in tables and in the baseline (unique).
	Name string `yaml:"name"`
	// Scenario names the scenario: a named scenario or a scenario YAML
	// file relative to the budgets file (ResolveScenario).
	Scenario string `yaml:"scenario"`
	// Seed, Duration, Agents and Rigs override the scenario's own.
	Seed     *uint64 `yaml:"seed"`
	Duration string  `yaml:"duration"`
	Agents   *int    `yaml:"agents"`
	Rigs     *int    `yaml:"rigs"`
	// PinTraceHash makes a change of the trace hash a failure.
	PinTraceHash bool `yaml:"pin_trace_hash"`
	// Tolerance and MinEffect override the file's defaults.
	Tolerance  *float64   `yaml:"tolerance"`
	MinEffect  *float64   `yaml:"min_effect"`
	MinEffects MinEffects `yaml:"min_effects"`
	// Ceilings are absolute upper limits; Floors absolute lower limits.
	Ceilings Ceilings `yaml:"ceilings"`
	Floors   Floors   `yaml:"floors"`

	// Config is the resolved scenario with the overrides applied.
	Config sim.Config `yaml:"-"`
}

// MinEffects are minimum effect sizes of single wall-clock figures; an
// unset one falls back to min_effect.
type MinEffects struct {
	ComputeMsP50 *float64 `yaml:"compute_ms_per_tick_p50"`
	ComputeMsP99 *float64 `yaml:"compute_ms_per_tick_p99"`
	SimOverWall  *float64 `yaml:"sim_over_wall"`
}

func (m MinEffects) byFigure() map[string]*float64 {
	return map[string]*float64{figComputeP50: m.ComputeMsP50, figComputeP99: m.ComputeMsP99, figSimOverWall: m.SimOverWall}
}

// checkMinEffects rejects negative minimum effects under the key at.
func checkMinEffects(f *yamlFile, at string, m MinEffects) error {
	byFig := m.byFigure()
	for _, name := range slices.Sorted(maps.Keys(byFig)) {
		if v := byFig[name]; v != nil && (*v < 0 || math.IsNaN(*v)) {
			return f.errAt(at+".min_effects."+name, "must not be negative, got %v", *v)
		}
	}
	return nil
}

// Ceilings are absolute upper limits on figures; an unset one is no limit.
// Wall-clock figures are compared by their median over the runs.
type Ceilings struct {
	StatementsMean *float64 `yaml:"statements_per_tick_mean"`
	StatementsP50  *float64 `yaml:"statements_per_tick_p50"`
	StatementsP99  *float64 `yaml:"statements_per_tick_p99"`
	StatementsMax  *float64 `yaml:"statements_per_tick_max"`
	RowsMean       *float64 `yaml:"rows_per_tick_mean"`
	RowsP50        *float64 `yaml:"rows_per_tick_p50"`
	RowsP99        *float64 `yaml:"rows_per_tick_p99"`
	RowsMax        *float64 `yaml:"rows_per_tick_max"`
	ActionsMean    *float64 `yaml:"actions_per_tick_mean"`
	ActionsP99     *float64 `yaml:"actions_per_tick_p99"`
	ActionsMax     *float64 `yaml:"actions_per_tick_max"`
	ComputeMsP50   *float64 `yaml:"compute_ms_per_tick_p50"`
	// ComputeMsP99 defaults to TickCeilingMs when unset.
	ComputeMsP99 *float64 `yaml:"compute_ms_per_tick_p99"`
}

// Floors are absolute lower limits on figures.
type Floors struct {
	// SimOverWall is the least simulated time per wall time (median over runs).
	SimOverWall *float64 `yaml:"sim_over_wall"`
}

// limits maps figure names to their ceiling.
func (c Ceilings) limits() map[string]*float64 {
	return map[string]*float64{
		figStatementsMean: c.StatementsMean, figStatementsP50: c.StatementsP50,
		figStatementsP99: c.StatementsP99, figStatementsMax: c.StatementsMax,
		figRowsMean: c.RowsMean, figRowsP50: c.RowsP50, figRowsP99: c.RowsP99, figRowsMax: c.RowsMax,
		figActionsMean: c.ActionsMean, figActionsP99: c.ActionsP99, figActionsMax: c.ActionsMax,
		figComputeP50: c.ComputeMsP50, figComputeP99: c.ComputeMsP99,
	}
}

// LoadBudgets reads and validates a budgets file and resolves its
// scenarios. Every error names the file and, where there is one, the line
// and the key.
func LoadBudgets(path string) (*Budgets, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("budgets file %s does not exist", path)
		}
		return nil, fmt.Errorf("budgets file: %w", err)
	}
	return ParseBudgets(path, data)
}

// ParseBudgets is LoadBudgets on a file's bytes; path names it in errors
// and anchors its relative paths.
func ParseBudgets(path string, data []byte) (*Budgets, error) {
	f := &yamlFile{name: path, data: data}
	b := &Budgets{}
	if err := f.decode(b); err != nil {
		return nil, err
	}
	b.Path = path
	if err := b.validate(f); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Budgets) validate(f *yamlFile) error {
	if b.Runs == 0 {
		b.Runs = DefaultRuns
	}
	if b.Alpha == 0 {
		b.Alpha = DefaultAlpha
	}
	if b.MinEffect == nil {
		d := float64(DefaultMinEffect)
		b.MinEffect = &d
	}
	switch {
	case b.Runs < 1:
		return f.errAt("$.runs", "must be at least 1, got %d", b.Runs)
	case b.Alpha <= 0 || b.Alpha >= 1:
		return f.errAt("$.alpha", "must be between 0 and 1, got %v", b.Alpha)
	case *b.MinEffect < 0 || math.IsNaN(*b.MinEffect):
		return f.errAt("$.min_effect", "must not be negative, got %v", *b.MinEffect)
	case b.Tolerance < 0 || math.IsNaN(b.Tolerance):
		return f.errAt("$.tolerance", "must not be negative, got %v", b.Tolerance)
	}
	if err := checkMinEffects(f, "$", b.MinEffects); err != nil {
		return err
	}
	if b.Bench != nil {
		if err := b.Bench.validate(f); err != nil {
			return err
		}
	}
	if b.Against == nil {
		b.Against = &Against{}
	}
	if err := b.Against.validate(f, b); err != nil {
		return err
	}
	if len(b.Scenarios) == 0 {
		if b.Bench != nil {
			return nil // a budgets file for --bench alone
		}
		return f.errAt("$", "names no scenarios (key scenarios)")
	}
	if b.Baseline == "" {
		return f.errAt("$", "has no baseline key: name the baseline file (e.g. baseline: baseline.yaml)")
	}
	seen := map[string]int{}
	for i := range b.Scenarios {
		e := &b.Scenarios[i]
		at := fmt.Sprintf("$.scenarios[%d]", i)
		if e.Name == "" {
			return f.errAt(at, "has no name")
		}
		if j, dup := seen[e.Name]; dup {
			return f.errAt(at+".name", "%q is also the name of scenarios[%d]; names must be unique", e.Name, j)
		}
		seen[e.Name] = i
		if err := e.resolve(f, at, filepath.Dir(b.Path)); err != nil {
			return err
		}
	}
	return b.Against.checkNames(f, b)
}

// resolve builds the entry's configuration.
func (e *Entry) resolve(f *yamlFile, at, dir string) error {
	if e.Scenario == "" {
		return f.errAt(at, "has no scenario key (e.g. scenario: default)")
	}
	cfg, err := ResolveScenario(e.Scenario, dir)
	if err != nil {
		return f.errAt(at+".scenario", "%v", err)
	}
	if e.Seed != nil {
		cfg.Seed = *e.Seed
	}
	if e.Duration != "" {
		d, err := time.ParseDuration(e.Duration)
		if err != nil || d <= 0 {
			return f.errAt(at+".duration", "want a positive Go duration such as 30m or 1h, got %q", e.Duration)
		}
		cfg.Duration = d
	}
	if e.Agents != nil {
		if *e.Agents < 1 {
			return f.errAt(at+".agents", "must be at least 1, got %d", *e.Agents)
		}
		cfg.Agents = *e.Agents
	}
	if e.Rigs != nil {
		if *e.Rigs < 1 {
			return f.errAt(at+".rigs", "must be at least 1, got %d", *e.Rigs)
		}
		cfg.Rigs = *e.Rigs
	}
	if err := cfg.Validate(); err != nil {
		return f.errAt(at, "scenario %q with these overrides is invalid: %v", e.Scenario, err)
	}
	for _, p := range []struct {
		key string
		v   *float64
	}{{"tolerance", e.Tolerance}, {"min_effect", e.MinEffect}} {
		if p.v != nil && (*p.v < 0 || math.IsNaN(*p.v)) {
			return f.errAt(at+"."+p.key, "must not be negative, got %v", *p.v)
		}
	}
	if err := checkMinEffects(f, at, e.MinEffects); err != nil {
		return err
	}
	limits := e.Ceilings.limits()
	for _, name := range slices.Sorted(maps.Keys(limits)) {
		if v := limits[name]; v != nil && (*v < 0 || math.IsNaN(*v)) {
			return f.errAt(at+".ceilings."+name, "must not be negative, got %v", *v)
		}
	}
	if e.Ceilings.ComputeMsP99 == nil {
		c := float64(TickCeilingMs)
		e.Ceilings.ComputeMsP99 = &c
	}
	if v := e.Floors.SimOverWall; v != nil && (*v < 0 || math.IsNaN(*v)) {
		return f.errAt(at+".floors.sim_over_wall", "must not be negative, got %v", *v)
	}
	e.Config = cfg
	return nil
}

// tolerance is the entry's deterministic tolerance.
func (b *Budgets) tolerance(e *Entry) float64 {
	if e.Tolerance != nil {
		return *e.Tolerance
	}
	return b.Tolerance
}

// minEffect is the minimum effect size of a wall-clock figure of an
// entry: the entry's min_effects, the file's min_effects, the entry's
// min_effect, the file's min_effect, whichever is set first.
func (b *Budgets) minEffect(e *Entry, fig string) float64 {
	for _, v := range []*float64{e.MinEffects.byFigure()[fig], b.MinEffects.byFigure()[fig], e.MinEffect} {
		if v != nil {
			return *v
		}
	}
	return *b.MinEffect
}

// BaselinePath is the baseline file's path: Baseline relative to the
// budgets file's directory.
func (b *Budgets) BaselinePath() string {
	if b.Baseline == "" || filepath.IsAbs(b.Baseline) {
		return b.Baseline
	}
	return filepath.Join(filepath.Dir(b.Path), b.Baseline)
}
