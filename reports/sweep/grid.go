// Package sweep runs a scenario over a grid of fleet sizes, arrival rates
// and what-if knobs, several seeds per point, in parallel, and turns the
// runs into a capacity report: fitted scaling models, the largest fleet
// under a compute budget, the throughput ceiling and the dominant parts
// of a tick.
package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// Grid is what a sweep varies and how long each run lasts.
type Grid struct {
	// Agents, Rigs and Rates are the fleet sizes, rig counts and issue
	// arrival rates (issues per hour; 0 = the rate that keeps the fleet
	// busy) to cross.
	Agents []int     `yaml:"agents"`
	Rigs   []int     `yaml:"rigs"`
	Rates  []float64 `yaml:"rates"`
	// Knobs maps a knob name to the values to cross (text forms as in
	// model.Knobs.Set); Fixed holds knobs set for every point.
	Knobs map[string][]string `yaml:"knobs"`
	Fixed map[string]string   `yaml:"fixed_knobs"`
	// Seeds is the number of seeds per point, from Seed on.
	Seeds int    `yaml:"seeds"`
	Seed  uint64 `yaml:"seed"`
	// Duration is each run's simulated time.
	Duration time.Duration `yaml:"duration"`
	// Budget is the p99 compute-per-tick budget (production's dashboard
	// threshold: 500 ms).
	Budget time.Duration `yaml:"budget"`
}

// DefaultGrid is the issue's sweep: 10, 30, 100 and 300 agents on the
// default scenario's rigs, one simulated hour, two seeds, 500 ms budget.
func DefaultGrid() Grid {
	d := scenarios.Default()
	return Grid{Agents: []int{10, 30, 100, 300}, Rigs: []int{d.Rigs}, Rates: []float64{0},
		Seeds: 2, Seed: 1, Duration: time.Hour, Budget: 500 * time.Millisecond}
}

// LoadGrid reads a grid from a YAML file, strictly: an unknown key is an
// error naming its path. Keys left out keep DefaultGrid's values.
func LoadGrid(path string) (Grid, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Grid{}, err
	}
	g := DefaultGrid()
	if err := yaml.NewDecoder(bytes.NewReader(b), yaml.Strict(), yaml.DisallowUnknownField()).Decode(&g); err != nil {
		return Grid{}, fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, true))
	}
	if err := g.Validate(); err != nil {
		return Grid{}, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// Validate checks the grid and names the first bad key.
func (g Grid) Validate() error {
	switch {
	case len(g.Agents) == 0:
		return fmt.Errorf("agents: at least one fleet size is needed")
	case len(g.Rigs) == 0:
		return fmt.Errorf("rigs: at least one rig count is needed")
	case len(g.Rates) == 0:
		return fmt.Errorf("rates: at least one arrival rate is needed (0 = keep the fleet busy)")
	case g.Seeds < 1:
		return fmt.Errorf("seeds: must be at least 1, got %d", g.Seeds)
	case g.Duration <= 0:
		return fmt.Errorf("duration: must be positive, got %s", g.Duration)
	case g.Budget <= 0:
		return fmt.Errorf("budget: must be positive, got %s", g.Budget)
	}
	for i, a := range g.Agents {
		if a < 1 {
			return fmt.Errorf("agents[%d]: must be at least 1, got %d", i, a)
		}
	}
	for i, r := range g.Rigs {
		if r < 1 {
			return fmt.Errorf("rigs[%d]: must be at least 1, got %d", i, r)
		}
	}
	for i, r := range g.Rates {
		if r < 0 {
			return fmt.Errorf("rates[%d]: must not be negative, got %v", i, r)
		}
	}
	var k model.Knobs
	for _, name := range slices.Sorted(maps.Keys(g.Fixed)) {
		if err := k.Set(name, g.Fixed[name]); err != nil {
			return fmt.Errorf("fixed_knobs.%s: %v", name, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(g.Knobs)) {
		if len(g.Knobs[name]) == 0 {
			return fmt.Errorf("knobs.%s: no values", name)
		}
		for i, v := range g.Knobs[name] {
			if err := k.Set(name, v); err != nil {
				return fmt.Errorf("knobs.%s[%d]: %v", name, i, err)
			}
		}
	}
	return nil
}

// Point is one cell of the grid.
type Point struct {
	Agents, Rigs int
	Rate         float64
	// Knobs are the point's knobs; KnobLabel their label.
	Knobs     model.Knobs
	KnobLabel string
}

// String names the point.
func (p Point) String() string {
	rate := "busy"
	if p.Rate > 0 {
		rate = fmt.Sprintf("%g/h", p.Rate)
	}
	return fmt.Sprintf("%d agents, %d rigs, rate %s, knobs %s", p.Agents, p.Rigs, rate, p.KnobLabel)
}

// Points expands the grid in a fixed order: knob settings, rates, rigs,
// agents (agents vary fastest).
func (g Grid) Points() []Point {
	settings := []map[string]string{{}}
	for _, name := range slices.Sorted(maps.Keys(g.Knobs)) {
		var next []map[string]string
		for _, s := range settings {
			for _, v := range g.Knobs[name] {
				c := make(map[string]string, len(s)+1)
				for k, x := range s {
					c[k] = x
				}
				c[name] = v
				next = append(next, c)
			}
		}
		settings = next
	}
	var out []Point
	for _, s := range settings {
		var k model.Knobs
		for _, name := range slices.Sorted(maps.Keys(g.Fixed)) {
			_ = k.Set(name, g.Fixed[name]) // checked by Validate
		}
		for _, name := range slices.Sorted(maps.Keys(s)) {
			_ = k.Set(name, s[name])
		}
		for _, rate := range g.Rates {
			for _, rigs := range g.Rigs {
				for _, a := range g.Agents {
					out = append(out, Point{Agents: a, Rigs: rigs, Rate: rate, Knobs: k, KnobLabel: k.Label()})
				}
			}
		}
	}
	return out
}

// Config is the scenario of one run of point p with the given seed.
func (g Grid) Config(p Point, seed uint64) sim.Config {
	c := scenarios.Default()
	c.Seed = seed
	c.Duration = g.Duration
	c.Agents = p.Agents
	c.Rigs = p.Rigs
	c.Workload.IssuesPerHour = p.Rate
	c.Knobs = p.Knobs
	return c
}

// ParseList parses "a,b,c" with parse, naming the flag in errors.
func ParseList[T any](flag, s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, err := parse(part)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) {
				// strconv's own text names Go functions; say what was wanted.
				want := "a number"
				if strings.Contains(ne.Func, "Atoi") || strings.Contains(ne.Func, "ParseInt") {
					want = "a whole number"
				}
				return nil, fmt.Errorf("%s: %q is not %s", flag, part, want)
			}
			return nil, fmt.Errorf("%s: %q: %v", flag, part, err)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no values in %q", flag, s)
	}
	return out, nil
}
