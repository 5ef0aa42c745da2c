package scenarios

import (
	"maps"
	"slices"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// Coverage is what runs exercised, Antithesis-style "sometimes"
// assertions: which action types, fault kinds and failpoints fired at
// least once, and how often. A suite merges its runs' coverage and lists
// what never fired, so a green suite also says what it did not test.
type Coverage struct {
	// Runs is the number of runs merged.
	Runs int
	// Actions counts emitted actions by type.
	Actions map[string]int
	// Faults counts the faults that fired by kind (failpoints included).
	Faults map[string]int
	// Calls counts the Town's external calls by kind.
	Calls map[string]int
}

func newCoverage() Coverage {
	return Coverage{Actions: map[string]int{}, Faults: map[string]int{}, Calls: map[string]int{}}
}

func (c *Coverage) addActions(as []reconciler.Action) {
	for _, a := range as {
		c.Actions[a.Type]++
	}
}

func (c *Coverage) addRun(res *sim.Result) {
	c.Runs++
	for k, n := range res.Faults.Fired {
		c.Faults[k] += n
	}
}

// Merge adds o's counts to c.
func (c *Coverage) Merge(o Coverage) {
	if c.Actions == nil {
		*c = newCoverage()
	}
	c.Runs += o.Runs
	for _, m := range [][2]map[string]int{{c.Actions, o.Actions}, {c.Faults, o.Faults}, {c.Calls, o.Calls}} {
		for k, n := range m[1] {
			m[0][k] += n
		}
	}
}

// NeverActions are the action types that never fired, in the union's order.
func (c Coverage) NeverActions() []string {
	var out []string
	for _, t := range reconciler.ActionTypes {
		if c.Actions[t] == 0 {
			out = append(out, t)
		}
	}
	return out
}

// NeverFaults are the fault kinds (failpoints included) that never fired,
// sorted.
func (c Coverage) NeverFaults() []string {
	var out []string
	for _, k := range sim.FaultKinds() {
		if c.Faults[k.Name] == 0 {
			out = append(out, k.Name)
		}
	}
	return out
}

// FailpointsFired are the failpoints that fired at least once, sorted.
func (c Coverage) FailpointsFired() []string {
	var out []string
	for _, fp := range model.Failpoints() {
		if c.Faults[fp] > 0 {
			out = append(out, fp)
		}
	}
	return out
}

// ActionsFired are the action types that fired, sorted.
func (c Coverage) ActionsFired() []string {
	return slices.Sorted(maps.Keys(c.Actions))
}
