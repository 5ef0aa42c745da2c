package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/sim"
)

// worldScenarioTests are TestScenarioReaches' checks of the scenarios of
// named_world.go: each runs at its own duration.
func worldScenarioTests() []scenarioTest {
	return []scenarioTest{
		{"refinery-start-outage", 0, checkRefineryStartOutage},
		{"sling-evicted", 0, checkSlingEvicted},
		{"landing-exhausted", 0, checkLandingExhausted},
		{"landing-rejected", 0, checkLandingRejected},
		{"gc-retention", 0, checkGCRetention},
		{"gitlab-rig", 0, checkGitLabRig},
		{"wasteland-claims", 0, checkWastelandClaims},
		{"wasteland-reported", 0, checkWastelandReported},
		{"wasteland-convoys", 0, checkWastelandConvoys},
		{"late-done-direct", 0, checkLateDoneDirect},
		{"beads-deleted-routes", 0, checkBeadsDeletedRoutes},
		{"quiet-week", 0, checkQuietWeek},
		{"mr-blocked-by-review", 0, checkMRBlockedByReview},
		{"rigless-beads", 0, checkRiglessBeads},
		{"empty-rig-beads", 0, checkEmptyRigBeads},
		{"deleted-in-review", 0, checkDeletedInReview},
		{"mayor-bulk-deletes", 0, checkMayorBulkDeletes},
		{"landing-closed-fast", 0, checkLandingExhausted}, // the same five attempts, faster humans
		{"agents-and-editors", 0, checkAgentsAndEditors},
		{"convoy-tasks-closed-in-review", 0, checkConvoyTasksClosedInReview},
	}
}

// actionField is field key of the action record l ("a=type{k=v,...}").
func actionField(l traceLine, key string) string {
	i := strings.Index(l.text, key+"=")
	if i < 0 {
		return ""
	}
	v := l.text[i+len(key)+1:]
	if j := strings.IndexAny(v, ",}"); j >= 0 {
		v = v[:j]
	}
	return v
}

// AG-3 resets the refinery's attempts only after 30 min without a
// dispatch of it, and its starts succeed after the heal.
func checkRefineryStartOutage(t *testing.T, r *run) {
	if n := r.res.World.Faults[sim.FaultRefineryStartError]; n < 5 {
		t.Errorf("%d refinery starts failed; want at least 5", n)
	}
	if r.cov.Rules["AG-3"] == 0 {
		t.Fatalf("AG-3 never fired: rules %v", r.cov.Rules)
	}
	for _, reset := range r.grep("action", "reset_agent_dispatch_attempts") {
		agent := actionField(reset, "agent")
		var last time.Time
		for _, d := range r.grep("action", "dispatch_agent", "agent="+agent) {
			if d.at.Before(reset.at) {
				last = d.at
			}
		}
		// The records come at the end of their ticks' calls; the rule and
		// the dispatch read the clock at their ticks' starts.
		if last.IsZero() || reset.at.Sub(last) < 30*time.Minute-10*time.Second {
			t.Errorf("AG-3 reset %s at %v, %v after its last dispatch (%v); want 30 min",
				agent, reset.at, reset.at.Sub(last), last)
		}
	}
	heal := r.s.Config.Start.Add(r.s.Config.Faults.Heal)
	ok := false
	for _, p := range r.grep("proc", "job=review", "state=cold_start") {
		ok = ok || !p.at.Before(heal)
	}
	if !ok {
		t.Errorf("no refinery started after the heal at %v", heal)
	}
}

// Every slingBead whose dispatch was lost is dispatched by BD-2 within a
// tick or two.
func checkSlingEvicted(t *testing.T, r *run) {
	lost := r.grep("fault", "kind="+sim.FaultSlingRestart)
	if len(lost) < 2 {
		t.Fatalf("%d slings lost their dispatch; want several", len(lost))
	}
	if r.cov.Rules["BD-2"] == 0 || r.cov.Sometimes[SometimesLostDispatch] == 0 {
		t.Errorf("BD-2 never dispatched a lost hook: rules %v, sometimes %v", r.cov.Rules, r.cov.Sometimes)
	}
	for _, f := range lost {
		bead := traceField(f.text, "bead")
		var at time.Time
		for _, d := range r.grep("action", "dispatch_agent", "bead="+bead) {
			if at.IsZero() {
				at = d.at
			}
		}
		if at.IsZero() || at.Sub(f.at) > time.Minute {
			t.Errorf("bead %s lost its dispatch at %v; first dispatched at %v, want within a minute", bead, f.at, at)
		}
	}
}

// A convoy is failed only after its fifth landing MR, and each new
// landing MR waits CV-7's backoff after the one before.
func checkLandingExhausted(t *testing.T, r *run) {
	created := map[string][]time.Time{}
	for _, l := range r.grep("action", "create_landing_mr") {
		c := actionField(l, "convoy")
		created[c] = append(created[c], l.at)
	}
	failed := r.grep("action", "fail_convoy")
	if len(failed) == 0 {
		t.Fatalf("no convoy failed; landing MRs by convoy %v", created)
	}
	for _, f := range failed {
		c := actionField(f, "convoy")
		ats := created[c]
		if len(ats) != 5 {
			t.Errorf("convoy %s failed after %d landing MRs; want 5", c, len(ats))
		}
		for i := 1; i < len(ats); i++ {
			wait := time.Duration(1<<i) * 30 * time.Second
			if ats[i].Sub(ats[i-1]) < wait {
				t.Errorf("convoy %s: landing MR %d came %v after the one before; want at least %v",
					c, i+1, ats[i].Sub(ats[i-1]), wait)
			}
		}
	}
	if r.cov.Sometimes[SometimesConvoyFailed] == 0 {
		t.Errorf("the convoy-failed branch was not counted: %v", r.cov.Sometimes)
	}
}

// Once CV-7 suppressed a convoy's respawn, that convoy gets no new
// landing MR.
func checkLandingRejected(t *testing.T, r *run) {
	first := map[string]time.Time{}
	for _, e := range r.grep("action", "emit_event", "event=reconciler.respawn_suppressed") {
		c := actionField(e, "convoyId")
		if _, ok := first[c]; !ok {
			first[c] = e.at
		}
	}
	if len(first) == 0 {
		t.Fatalf("CV-7 never suppressed a respawn")
	}
	for _, l := range r.grep("action", "create_landing_mr") {
		c := actionField(l, "convoy")
		if at, ok := first[c]; ok && l.at.After(at) {
			t.Errorf("convoy %s got a landing MR at %v after its respawn was suppressed at %v", c, l.at, at)
		}
	}
}

// GC deletes an idle agent 24 h after the last trace record naming it
// (its last activity is no later), within a few ticks of the idle cadence.
func checkGCRetention(t *testing.T, r *run) {
	deleted := r.grep("action", "delete_agent", "reason=GC: idle > 24h")
	if len(deleted) == 0 {
		t.Fatalf("GC deleted no agent")
	}
	for _, d := range deleted {
		agent := actionField(d, "agent")
		var last time.Time
		for _, l := range r.lines {
			if l.at.Before(d.at) && strings.Contains(l.text, agent) {
				last = l.at
			}
		}
		if idle := d.at.Sub(last); idle < 24*time.Hour || idle > 24*time.Hour+15*time.Minute {
			t.Errorf("GC deleted %s %v after the last record naming it; want 24 h (plus up to 15 min of idle ticks)",
				agent, idle)
		}
	}
}

// The GitLab rig's merge requests are polled through the GitLab path and
// answered; no feedback fetch or merge call names one; they merge.
func checkGitLabRig(t *testing.T, r *run) {
	const gl = "https://gitlab.example.com/"
	polled := 0
	for _, c := range r.grep("call", "url="+gl) {
		switch kind := traceField(c.text, "kind"); kind {
		case "github.pr_status":
			if traceField(c.text, "code") == "200" {
				polled++
			}
		default:
			t.Errorf("a %s call for a GitLab merge request: %s", kind, c.text)
		}
	}
	if r.cov.Sometimes[SometimesGitLabPolled] != polled {
		t.Errorf("the gitlab-mr-polled branch counted %d of %d answered polls", r.cov.Sometimes[SometimesGitLabPolled], polled)
	}
	merged := len(r.grep("pr", "url="+gl, "event=merged_by_human"))
	if polled == 0 || merged == 0 {
		t.Errorf("GitLab merge requests: %d status answers, %d merged; want both", polled, merged)
	}
	if n := len(r.grep("call", "url=https://github.com/")); n == 0 {
		t.Errorf("the GitHub rig made no calls")
	}
}

// The mayor slings wasteland-tagged issues: several items, at least one
// with more than one issue, each sling accepted.
func checkWastelandClaims(t *testing.T, r *run) {
	items := map[string]int{}
	for _, l := range r.grep("rpc", "op=sling_bead", "wasteland_item=") {
		if traceField(l.text, "err") != "" {
			t.Errorf("a wasteland sling failed: %s", l.text)
		}
		items[traceField(l.text, "wasteland_item")]++
	}
	most := 0
	for _, n := range items {
		most = max(most, n)
	}
	if len(items) < 2 || most < 2 {
		t.Errorf("wasteland items %v; want several, one with more than one issue", items)
	}
}
