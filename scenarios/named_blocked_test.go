package scenarios

import "testing"

// blockedScenarioTests: blocked-while-working makes issues in progress
// depend on other issues and moves some back to open, and BD-2 sends an
// idle agent back to its open hook.
func blockedScenarioTests() []scenarioTest {
	return []scenarioTest{
		{"blocked-while-working", 0, func(t *testing.T, r *run) {
			if len(r.grep("rpc", "op=update_bead", "depends_on=")) == 0 {
				t.Errorf("no user made an issue in progress wait for another")
			}
			if len(r.grep("rpc", "op=update_bead", "status=open")) == 0 {
				t.Errorf("no user moved an issue in progress back to open")
			}
			if len(r.grep("action", "dispatch_agent", ",agent=")) == 0 {
				t.Errorf("BD-2 never dispatched")
			}
		}},
	}
}
