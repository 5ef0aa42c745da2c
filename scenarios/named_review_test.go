package scenarios

import (
	"slices"
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
		{"triage-agent-crashes", 0, checkTriageAgentCrashes},
		{"late-alarms-quiet-town", 0, checkLateAlarmsQuietTown},
		{"stuck-in-tool", 0, checkStuckInTool},
		{"pr-checks-paginated", 0, checkPRChecksPaginated},
		{"wasteland-untagged", 0, checkWastelandUntagged},
		{"agents-fail", 0, checkAgentsFail},
		{"review-and-merge-review-off", time.Hour, checkReviewAndMergeReviewOff},
	}
}

// A review-and-merge convoy is slung within the first hour, and merge
// requests of the rigs with code review off are fast-tracked after it:
// the state in which the review-off rules must still take the rigs' MRs.
func checkReviewAndMergeReviewOff(t *testing.T, r *run) {
	convoys := r.grep("rpc", "op=sling_convoy", "mode=review-and-merge")
	if len(convoys) == 0 {
		t.Fatalf("no review-and-merge convoy in the first hour")
	}
	fast := r.grep("action", "transition_bead", "skip to poll_pr")
	if len(fast) == 0 || fast[len(fast)-1].at.Before(convoys[0].at) {
		t.Errorf("no fast-track after the first review-and-merge convoy (%d fast-tracks)", len(fast))
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

// A triage agent crashed, and a triage batch was started again after that
// crash (BD-1's dispatch of the reset batch or a new batch of T15).
func checkTriageAgentCrashes(t *testing.T, r *run) {
	triage := map[string]bool{} // "agent n" of triage processes
	var starts []time.Time
	for _, l := range r.grep("proc", "job=triage") {
		f := strings.Fields(l.text)
		triage[f[0]+" "+f[1]] = true
		starts = append(starts, l.at)
	}
	var crashed time.Time
	for _, l := range r.grep("fault", "kind=crashed") {
		f := strings.Fields(l.text)
		if triage[f[0]+" "+f[1]] {
			crashed = l.at
			break
		}
	}
	if crashed.IsZero() {
		t.Fatalf("no triage agent crashed (%d triage processes)", len(starts))
	}
	if !slices.ContainsFunc(starts, func(at time.Time) bool { return at.After(crashed) }) {
		t.Errorf("no triage process started after the crash at %v", crashed)
	}
}

// The alarm fired late by more than RQ-3's 2 minutes while PR-backed merge
// requests waited in progress (polled before and after the gap).
func checkLateAlarmsQuietTown(t *testing.T, r *run) {
	long := 0
	for _, l := range r.grep("fault", "kind=clock_step") {
		_, late, _ := strings.Cut(l.text, "late=")
		if d, err := time.ParseDuration(late); err == nil && d > 2*time.Minute {
			long++
		}
	}
	polls := len(r.grep("action", "poll_pr{"))
	if long == 0 || polls < 10 {
		t.Errorf("%d alarms over 2 min late, %d polls; want some of each", long, polls)
	}
	ticks := r.grep("tick")
	gap := time.Duration(0)
	for i := 1; i < len(ticks); i++ {
		gap = max(gap, ticks[i].at.Sub(ticks[i-1].at))
	}
	if gap <= 2*time.Minute {
		t.Errorf("the longest gap between ticks is %v; want one over RQ-3's 2 min", gap)
	}
}

// Some sessions froze inside a tool call, and GUPP both warned (the
// sessions silent with no tool) and escalated (those too, and the ones in
// a tool).
func checkStuckInTool(t *testing.T, r *run) {
	inTool := r.grep("proc", "stuck_in_tool=")
	warned := r.grep("action", "send_nudge{", "tier=warn")
	escalated := r.grep("action", "send_nudge{", "tier=escalate")
	if len(inTool) == 0 || len(warned) == 0 || len(escalated) == 0 {
		t.Errorf("%d sessions stuck in a tool, %d GUPP warns, %d escalations; want some of each", len(inTool), len(warned), len(escalated))
	}
}

// Some PRs run more check runs than one page, and a polecat pushed a fix
// to one of them (its feedback bead, created for the unchecked runs).
func checkPRChecksPaginated(t *testing.T, r *run) {
	fixed := 0
	many := r.grep("pr", "event=many_checks")
	for _, l := range many {
		_, url, _ := strings.Cut(l.text, "url=")
		url, _, _ = strings.Cut(url, " ")
		fixed += len(r.grep("pr", "url="+url+" ", "event=fixed"))
	}
	if len(many) == 0 || fixed == 0 {
		t.Errorf("%d PRs with paginated checks, %d fixes pushed to them; want some of each", len(many), fixed)
	}
}

// Users removed tags while the Town's done call answered, and some items
// were reported done.
func checkWastelandUntagged(t *testing.T, r *run) {
	untags := r.grep("rpc", "op=update_bead", "untag=true")
	reports := r.grep("action", "report_wasteland_done")
	if len(untags) == 0 || len(reports) == 0 {
		t.Errorf("%d untags, %d reports; want some of each", len(untags), len(reports))
	}
}

// Polecats sent failed exit reports, sessions exited without gt_done, and
// refineries' reviews failed.
func checkAgentsFail(t *testing.T, r *run) {
	failed := r.grep("rpc", "op=agent_completed", "status=failed", "agent error")
	reviews := r.grep("rpc", "op=agent_completed", "status=failed", "review error")
	exited := r.grep("proc", "session ended")
	if len(failed) == 0 || len(reviews) == 0 || len(exited) == 0 {
		t.Errorf("%d failed polecat reports, %d failed reviews, %d sessions ended; want some of each", len(failed), len(reviews), len(exited))
	}
}
