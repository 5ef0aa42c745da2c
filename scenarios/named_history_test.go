package scenarios

import "testing"

// historyScenarioTests are TestScenarioReaches' checks of the scenarios
// added for production's own bugs (named_history.go).
func historyScenarioTests() []scenarioTest {
	return []scenarioTest{
		{"convoy-land-review-off", 0, checkConvoyLandReviewOff},
		{"slow-conflict-fixes", 0, checkSlowConflictFixes},
	}
}

// With code review off everywhere, every MR RQ-5 pops for a refinery is a
// landing MR (no review-and-merge convoys here): a landing MR is created
// and popped.
func checkConvoyLandReviewOff(t *testing.T, r *run) {
	if len(r.grep("action", "create_landing_mr")) == 0 {
		t.Fatalf("no landing MR was created")
	}
	if len(r.grep("action", "transition_bead", "popped for review")) == 0 {
		t.Errorf("RQ-5 never popped a landing MR for a refinery")
	}
}

// A conflicting PR is rebased (its conflicts fixed) and merge calls are
// made in the run: the property no-merge-call-on-conflicting-pr is judged.
func checkSlowConflictFixes(t *testing.T, r *run) {
	if len(r.grep("pr", "event=opened", "plan=conflict")) == 0 {
		t.Fatalf("no PR conflicted")
	}
	if len(r.grep("pr", "event=fixed", "conflicts=true")) == 0 {
		t.Errorf("no conflict was fixed")
	}
	if len(r.grep("call", "kind=github.merge_pr")) == 0 {
		t.Errorf("no merge call")
	}
}
