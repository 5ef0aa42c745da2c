package scenarios

import (
	"testing"
	"time"
)

// resetScenarioTests: refinery-reset-mid-review reaches RQ-3 within its
// first hour, after an admin's reset of a reviewing refinery;
// refinery-hooked-to-issue has an admin hook a refinery to an issue.
func resetScenarioTests() []scenarioTest {
	return []scenarioTest{
		{"refinery-reset-mid-review", time.Hour, func(t *testing.T, r *run) {
			if len(r.grep("rpc", "op=admin_force_reset_agent", "mid_review=true")) == 0 {
				t.Errorf("no admin reset a reviewing refinery in the first hour")
			}
			if r.cov.Rules["RQ-3"] == 0 {
				t.Errorf("RQ-3 never fired in the first hour: %v", r.cov.Rules)
			}
		}},
		{"refinery-hooked-to-issue", time.Hour, func(t *testing.T, r *run) {
			if len(r.grep("rpc", "op=hook_bead", "by=admin", `err=""`)) == 0 {
				t.Errorf("no admin hooked a refinery to an issue in the first hour")
			}
		}},
	}
}
