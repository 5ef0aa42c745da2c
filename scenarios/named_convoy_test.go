package scenarios

import "testing"

// convoyScenarioTests: convoy-single-task slings convoys of one task in
// both merge modes and reaches CV-8's direct close (Expect.Actions has
// close_convoy: CV-7's close of a convoy whose landing MR merged is never
// emitted, since the merge closes the convoy in the same call).
func convoyScenarioTests() []scenarioTest {
	return []scenarioTest{
		{"convoy-single-task", 0, func(t *testing.T, r *run) {
			for _, mode := range []string{"review-then-land", "review-and-merge"} {
				if len(r.grep("rpc", "op=sling_convoy", "tasks=1", "mode="+mode)) == 0 {
					t.Errorf("no %s convoy of one task was slung", mode)
				}
			}
			if len(r.grep("rpc", "op=sling_convoy", "tasks=2")) > 0 {
				t.Errorf("a convoy of two tasks was slung")
			}
		}},
	}
}
