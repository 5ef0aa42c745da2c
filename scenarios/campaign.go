package scenarios

import (
	"fmt"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// Campaign describes an exploration campaign's cases (townsim explore):
// every case is a pure function of the campaign and its index, so that
// shards of one campaign on many machines run exactly the cases one
// machine would.
type Campaign struct {
	// Seed is the campaign seed.
	Seed uint64 `json:"seed"`
	// Scenarios are the named scenarios to draw from, each with a new seed
	// per case; empty with Generate draws generated towns only.
	Scenarios []string `json:"scenarios,omitempty"`
	// Generate draws towns from GenScenario (the generator of the
	// property run).
	Generate bool `json:"generate"`
	// Swarm turns the fault swarm on in every case: the case's seed draws
	// about half of the fault kinds that are still off.
	Swarm bool `json:"swarm"`
	// Mutant opens every case's Town with a deliberate bug
	// (model.MutantNames; "" in a real campaign): what a campaign catches
	// measures its power.
	Mutant string `json:"mutant,omitempty"`
}

// Case is one case of a campaign.
type Case struct {
	// Index is the case's index in the campaign.
	Index int
	// Kind is "named" or "generated"; Name the named scenario ("" for a
	// generated town).
	Kind, Name string
	// Config is what runs, Bounds what it is judged against.
	Config sim.Config
	Bounds Bounds
}

// Case kinds.
const (
	CaseNamed     = "named"
	CaseGenerated = "generated"
)

// Validate reports a campaign that cannot draw cases: no source of cases,
// or an unknown scenario name.
func (c Campaign) Validate() error {
	if len(c.Scenarios) == 0 && !c.Generate {
		return fmt.Errorf("the campaign draws no cases: give named scenarios or generated towns")
	}
	if err := model.CheckMutant(c.Mutant); err != nil {
		return err
	}
	for _, n := range c.Scenarios {
		if _, err := ByName(n); err != nil {
			return err
		}
	}
	return nil
}

// CaseSeed is the seed of case i: a mix of the campaign seed and the
// index, never 0.
func (c Campaign) CaseSeed(i int) uint64 {
	s := mix64(c.Seed ^ mix64(uint64(i)+0x9e3779b97f4a7c15))
	if s == 0 {
		s = 1
	}
	return s
}

// Case returns case i. With both named scenarios and generated towns,
// the cases cycle through the named scenarios and then one generated
// town.
func (c Campaign) Case(i int) (Case, error) {
	if err := c.Validate(); err != nil {
		return Case{}, err
	}
	if i < 0 {
		return Case{}, fmt.Errorf("case index %d is negative", i)
	}
	seed := c.CaseSeed(i)
	slots := len(c.Scenarios)
	if c.Generate {
		slots++
	}
	out := Case{Index: i}
	if slot := i % slots; slot < len(c.Scenarios) {
		s, _ := ByName(c.Scenarios[slot])
		out.Kind, out.Name = CaseNamed, s.Name
		out.Config, out.Bounds = s.Config, s.Expect.Bounds
		out.Config.Seed = seed
	} else {
		// rapid's Example draws from a seed; the town's own seed is a draw
		// of it too, so the case is the generator's value at this seed.
		g := GenScenario().Example(int(seed >> 1))
		out.Kind = CaseGenerated
		out.Config, out.Bounds = g.Config, g.Bounds
	}
	if c.Swarm && !out.Config.Faults.Swarm {
		f := &out.Config.Faults
		f.Swarm = true
		if out.Kind == CaseGenerated {
			// A generated town judges recovery after its heal time; a swarm
			// on top of it heals too (at least a minute in), with the run
			// extended by as much as the heal moved.
			before := max(out.Config.WorkloadStop, f.Heal)
			f.Heal = max(f.Heal, time.Minute)
			out.Config.Duration += max(out.Config.WorkloadStop, f.Heal) - before
		} else if f.Heal == 0 {
			// A named scenario without faults was not built to recover: its
			// swarm heals halfway through, leaving half the run to recover.
			f.Heal = out.Config.Duration / 2
		}
	}
	out.Config.Mutant = c.Mutant
	return out, nil
}

// String names the case for reports: "generated #12" or "swarm #3".
func (k Case) String() string {
	name := k.Name
	if k.Kind == CaseGenerated {
		name = CaseGenerated
	}
	return fmt.Sprintf("%s #%d", name, k.Index)
}

// ParseScenarioList reads a comma-separated list of named scenarios
// ("all" for every one), checking each name.
func ParseScenarioList(s string) ([]string, error) {
	if strings.TrimSpace(s) == "all" {
		return Names(), nil
	}
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, err := ByName(n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the list names no scenario")
	}
	return out, nil
}

// mix64 is the SplitMix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
