package scenarios

import (
	"testing"
	"time"
)

// reviewScenarioTests are TestScenarioReaches' checks of the scenarios of
// named_review.go.
func reviewScenarioTests() []scenarioTest {
	return []scenarioTest{
		{"landing-queue-review-off", 0, checkLandingQueueReviewOff},
	}
}

// Landing MRs are created and popped, and at least one waited open for
// more than a minute (its rig's refinery was busy landing another): the
// waiting PR-less landing MR the scenario exists for.
func checkLandingQueueReviewOff(t *testing.T, r *run) {
	created := r.grep("action", "create_landing_mr")
	popped := r.grep("action", "transition_bead", "popped for review")
	if len(created) < 3 || len(popped) < 3 {
		t.Fatalf("%d landing MRs created, %d popped; want at least 3 of each", len(created), len(popped))
	}
	waited := 0
	for i, c := range created {
		if i < len(popped) && popped[i].at.Sub(c.at) > time.Minute {
			waited++
		}
	}
	if waited == 0 {
		t.Errorf("no landing MR waited open for the busy refinery")
	}
}
