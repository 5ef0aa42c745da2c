package scenarios

import (
	"strings"
	"testing"
	"time"
)

// reviewScenarioTests are TestScenarioReaches' checks of the scenarios of
// named_review.go.
func reviewScenarioTests() []scenarioTest {
	return []scenarioTest{
		{"landing-queue-review-off", 0, checkLandingQueueReviewOff},
		{"pr-mirrors", 0, checkPRMirrors},
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

// Polecats report PRs under both mirrors (another forge, another GitLab
// host), and every such MR the Town polled was polled once: it failed at
// its first poll.
func checkPRMirrors(t *testing.T, r *run) {
	hosts := map[string]int{}
	polled := 0
	for _, l := range r.grep("pr", "event=mirrored") {
		_, reported, _ := strings.Cut(l.text, "reported=")
		hosts[strings.Split(reported, "/")[2]]++
		n := len(r.grep("action", "poll_pr{", "pr_url="+reported+"}"))
		if n > 1 {
			t.Errorf("%s polled %d times", reported, n)
		}
		polled += n
	}
	if hosts["git.mirror.example"] == 0 || hosts["gitlab.mirror.example"] == 0 || polled == 0 {
		t.Errorf("mirrored PRs by host %v, %d polled; want both mirrors, some polled", hosts, polled)
	}
}
