package scenarios

import (
	"testing"

	"github.com/townsim/townsim/model"
)

// cutScenarioTests: merge-cut cuts event applications, and BD-4's safety
// net closes an issue whose merge the cut left half-done.
func cutScenarioTests() []scenarioTest {
	return []scenarioTest{
		{"merge-cut", 0, func(t *testing.T, r *run) {
			if r.res.World.Faults[model.FPEventApply] == 0 {
				t.Errorf("no event application was cut: faults %v", r.res.World.Faults)
			}
			if len(r.grep("action", "transition_bead", "to=closed", "reconciler safety net")) == 0 {
				t.Errorf("BD-4 never closed an issue whose merge request merged")
			}
		}},
	}
}
