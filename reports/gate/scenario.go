package gate

import (
	"fmt"

	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// ResolveScenario returns the configuration of the scenario a budgets
// file names. It is the gate's one way from a name to a scenario; today
// the scenarios package has one named scenario, "default"
// (scenarios.Default).
func ResolveScenario(name string) (sim.Config, error) {
	switch name {
	case "default":
		return scenarios.Default(), nil
	}
	return sim.Config{}, fmt.Errorf("unknown scenario %q (known: default)", name)
}
