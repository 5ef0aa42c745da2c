package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// Scenario is a named simulation: the whole sim.Config it runs, a
// one-line purpose, and what a run of it is expected to show. In a YAML
// file the Config's keys sit at the top level next to name, purpose and
// expect (see LoadFile).
type Scenario struct {
	// Name identifies the scenario (`townsim run --scenario NAME`).
	Name string `yaml:"name"`
	// Purpose says in one line what the scenario is for.
	Purpose string `yaml:"purpose"`
	// Config is the simulation it runs.
	Config sim.Config `yaml:",inline"`
	// Expect is what its runs are checked against.
	Expect Expect `yaml:"expect"`
}

// Expect is what a scenario's runs are expected to show, as plain data
// for the property checks and the coverage report.
type Expect struct {
	// Actions are the reconciler action types the scenario exists to
	// reach: a run long enough emits each of them at least once.
	Actions []string `yaml:"actions"`
	// Bounds are the limits the property checks judge its runs by
	// (settle, starvation, non_terminal, ... at the same level as
	// actions in a file); zero fields take DefaultBounds.
	Bounds `yaml:",inline"`
}

// Validate reports the first problem in s: a missing name, an invalid
// Config (with Config.Validate's key path), an unknown action type or bead
// status in Expect, or a negative bound.
func (s Scenario) Validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return fmt.Errorf("name: is empty")
	}
	if err := s.Config.Validate(); err != nil {
		return err
	}
	return s.Expect.validate()
}

func (e Expect) validate() error {
	for i, a := range e.Actions {
		if !slices.Contains(reconciler.ActionTypes, a) {
			return fmt.Errorf("expect.actions[%d]: %q is not an action type; want one of %s",
				i, a, strings.Join(reconciler.ActionTypes, ", "))
		}
	}
	nonTerminal := []string{model.StatusOpen, model.StatusInProgress, model.StatusInReview}
	for i, st := range e.NonTerminal {
		if !slices.Contains(nonTerminal, st) {
			return fmt.Errorf("expect.non_terminal[%d]: %q is not a non-terminal bead status; want one of %s",
				i, st, strings.Join(nonTerminal, ", "))
		}
	}
	if e.Settle < 0 {
		return fmt.Errorf("expect.settle: is negative (%v)", e.Settle)
	}
	if e.Starvation < 0 {
		return fmt.Errorf("expect.starvation: is negative (%v)", e.Starvation)
	}
	return nil
}

// Fleet describes the scenario's fleet for listings, e.g. "3 rigs, 8 agents".
func (s Scenario) Fleet() string {
	return fmt.Sprintf("%d %s, %d %s", s.Config.Rigs, plural(s.Config.Rigs, "rig"),
		s.Config.Agents, plural(s.Config.Agents, "agent"))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
