package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// Scenario is a named simulation: the whole sim.Config it runs, a
// one-line purpose, and what its runs are expected to show: the action
// types it exists to reach and the bounds its runs are judged against
// (Check). In a YAML file the Config's keys sit at the top level next to
// name, purpose and expect (see Load).
type Scenario struct {
	// Name identifies the scenario (`townsim run --scenario NAME`).
	Name string `yaml:"name"`
	// Purpose says in one line what the scenario is for.
	Purpose string `yaml:"purpose"`
	// Config is the simulation it runs.
	Config sim.Config `yaml:",inline"`
	// Expect is what its runs are expected to show.
	Expect Expect `yaml:"expect"`
}

// Expect is what a scenario's runs are expected to show, as plain data
// for its test, the property checker and the coverage report. In a file
// the bounds' keys sit next to actions (expect.settle, ...).
type Expect struct {
	// Actions are the reconciler action types the scenario exists to
	// reach: a run long enough emits each of them at least once.
	Actions []string `yaml:"actions"`
	// Bounds are the limits its runs are judged against (zero fields take
	// DefaultBounds).
	Bounds Bounds `yaml:",inline"`
}

// Validate reports the first problem in s: a missing name, an invalid
// Config (with Config.Validate's key path), an unknown action type, or a
// negative bound or an unknown bead status in Expect.
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
	return validateBounds(e.Bounds)
}

// validateBounds checks that no bound is negative and that NonTerminal
// names non-terminal bead statuses. It reads the fields by reflection, so
// a bound added later is checked too.
func validateBounds(b Bounds) error {
	nonTerminal := []string{model.StatusOpen, model.StatusInProgress, model.StatusInReview}
	for i, st := range b.NonTerminal {
		if !slices.Contains(nonTerminal, st) {
			return fmt.Errorf("expect.non_terminal[%d]: %q is not a non-terminal bead status; want one of %s",
				i, st, strings.Join(nonTerminal, ", "))
		}
	}
	v := reflect.ValueOf(b)
	for _, f := range fieldsOf(v.Type()) {
		fv := v.FieldByIndex(f.index)
		switch fv.Kind() {
		case reflect.Int, reflect.Int64:
			if fv.Int() < 0 {
				what := fmt.Sprint(fv.Interface())
				if fv.Type() == durationType {
					what = time.Duration(fv.Int()).String()
				}
				return fmt.Errorf("expect.%s: is negative (%s)", f.key, what)
			}
		}
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
