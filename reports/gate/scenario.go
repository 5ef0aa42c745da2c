package gate

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// IsScenarioFile reports whether a budgets entry's scenario names a
// scenario YAML file rather than a named scenario: it ends in .yaml or
// .yml, or holds a path separator.
func IsScenarioFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml" || strings.ContainsAny(name, `/\`)
}

// ScenarioPath is where the scenario file a budgets entry names lives:
// relative to dir (the budgets file's folder) unless absolute.
func ScenarioPath(name, dir string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// ResolveScenario returns the configuration of the scenario a budgets
// file names: any named scenario (scenarios.ByName, the list of
// `townsim scenarios`), or a scenario YAML file (scenarios.LoadFile),
// read relative to dir, the budgets file's folder.
func ResolveScenario(name, dir string) (sim.Config, error) {
	if IsScenarioFile(name) {
		s, err := scenarios.LoadFile(ScenarioPath(name, dir))
		if err != nil {
			return sim.Config{}, err
		}
		return s.Config, nil
	}
	s, err := scenarios.ByName(name)
	if err != nil {
		return sim.Config{}, fmt.Errorf("unknown scenario %q (known: %s; or a scenario file ending in .yaml)",
			name, strings.Join(scenarios.Names(), ", "))
	}
	return s.Config, nil
}
