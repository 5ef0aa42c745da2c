package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// runChecker runs cfg under a checker and returns the checker with its
// world still open, so a test can ask findings about the final state.
func runChecker(t *testing.T, cfg sim.Config) *checker {
	t.Helper()
	c := newChecker(cfg, Bounds{}.withDefaults(), CheckOptions{})
	w, err := sim.NewWorld(cfg, sim.RunOptions{OnTick: c.afterTick, OnCall: c.onCall, OnAnalytics: c.onAnalytics})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	c.world = w
	w.RunUntil(cfg.Start.Add(cfg.Duration))
	return c
}

func finding(t *testing.T, id string) Finding {
	t.Helper()
	for _, f := range AcceptedFindings() {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no finding %s", id)
	return Finding{}
}

// Every accepted finding explains a violation only inside its stated
// condition: outside it (the same violation, the condition made false)
// the violation stays a failure; inside it the finding applies.
func TestFindingsStayInsideTheirConditions(t *testing.T) {
	cfg := Default()
	cfg.Duration = 15 * time.Minute
	c := runChecker(t, cfg)
	now := c.now
	someAgent := ""
	for _, p := range c.world.Processes() {
		if p.Live && p.BeadID != "" && !c.processUnhooked(p.AgentID) {
			someAgent = p.AgentID
		}
	}
	someBead := ""
	for _, p := range c.world.Processes() {
		if p.AgentID == someAgent {
			someBead = p.BeadID
		}
	}
	workedIssue := ""
	for _, is := range c.world.Issues() {
		if c.beadStatus(c.world.Town().DB(), is.ID) == "in_progress" {
			workedIssue = is.ID
		}
	}
	if workedIssue == "" {
		t.Fatal("no issue in progress in the run")
	}
	setStatus := func(id, st string) {
		if _, err := c.world.Town().DB().Exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, st, id); err != nil {
			t.Fatal(err)
		}
	}
	if someAgent == "" {
		t.Fatal("no live, hooked agent process in the run")
	}
	rig := c.world.Town().DB()
	rigs, _ := rig.Strings(`SELECT id FROM rigs ORDER BY id`)

	for _, tc := range []struct {
		id          string
		v           Violation
		makeTrue    func() // nil: the condition cannot be made true by hand
		restoreTrue func()
	}{
		{id: "breaker-stalls-healthy-work", v: Violation{Property: PropSettle, At: now, Entity: workedIssue},
			makeTrue:    func() { c.breakerOpen = true; setStatus(workedIssue, "open") },
			restoreTrue: func() { c.breakerOpen = false; setStatus(workedIssue, "in_progress") }},
		{id: "breaker-stalls-dispatch-after-heal", v: Violation{Property: PropDispatchResumes, At: now},
			makeTrue: func() { c.breakerOpen = true }, restoreTrue: func() { c.breakerOpen = false }},
		{id: "post-eviction-dispatch-stall", v: Violation{Property: PropDispatchResumes, At: now},
			makeTrue: func() { c.drainingAt = []time.Time{c.healAt} }, restoreTrue: func() { c.drainingAt = nil }},
		{id: "invariant-3-several-pr-mrs", v: Violation{Property: PropInvariant, At: now, Entity: "#3 " + rigs[0]}},
		{id: "invariant-3-review-beside-pr-mr", v: Violation{Property: PropInvariant, At: now, Entity: "#3 " + rigs[0]}},
		{id: "invariant-7-heartbeat-before-ag1", v: Violation{Property: PropInvariant, At: now, Entity: "#7 " + someAgent}},
		{id: "invariant-4-before-bd4", v: Violation{Property: PropInvariant, At: now, Entity: "#4 no-such-issue"}},
		{id: "invariant-5-failed-convoy", v: Violation{Property: PropInvariant, At: now, Entity: "#5 no-such-convoy"}},
		{id: "unhooked-process-keeps-running", v: Violation{Property: PropFalseDeath, At: now, Entity: someAgent}},
		{id: "unhooked-process-flaps", v: Violation{Property: PropFlap, At: now, Entity: someAgent}},
		{id: "unhooked-process-second-owner", v: Violation{Property: PropOneOwner, At: now, Entity: "no-such-bead",
			Detail: "bead has 2 live processes (agents " + someAgent + ")"}},
		{id: "deleted-agent-process-second-owner", v: Violation{Property: PropOneOwner, At: now, Entity: someBead,
			Detail: "bead has 2 live processes (agents " + someAgent + ")"}},
		{id: "deleted-agent-reopens-review", v: Violation{Property: PropTerminalWork, At: now, Entity: someAgent}},
		{id: "already-running-redispatch", v: Violation{Property: PropFalseDeath, At: now, Entity: someAgent},
			makeTrue:    func() { c.alreadyRun = map[string]time.Time{someAgent: now} },
			restoreTrue: func() { c.alreadyRun = map[string]time.Time{} }},
		{id: "already-running-two-owners", v: Violation{Property: PropOneOwner, At: now, Entity: "b",
			Detail: "bead b has 2 live processes (agents " + someAgent + ",x)"},
			makeTrue:    func() { c.alreadyRun = map[string]time.Time{someAgent: now} },
			restoreTrue: func() { c.alreadyRun = map[string]time.Time{} }},
		{id: "triage-batch-is-an-ordinary-issue", v: Violation{Property: PropTriageLeftAlone, At: now, Entity: "no-such-bead", Rule: "BD-3"}},
		{id: "triage-batch-reset-by-ag4", v: Violation{Property: PropTriageLeftAlone, At: now, Entity: "no-such-bead", Rule: "AG-4"}},
		{id: "tick-awaits-untimed-call", v: Violation{Property: PropTickLatency, At: now},
			makeTrue: func() {
				c.tickStart, c.untimed = now.Add(-time.Hour), []time.Time{now.Add(-time.Minute)}
			},
			restoreTrue: func() { c.untimed = nil }},
		{id: "triage-batch-started-as-polecat", v: Violation{Property: PropRoleMatchesBead, At: now, Entity: "no-such-bead"}},
		{id: "stuck-session-awaits-gupp", v: Violation{Property: PropSettle, At: now, Entity: someBead},
			makeTrue:    func() { c.stuckOn = map[string]time.Time{someBead: now.Add(-time.Minute)} },
			restoreTrue: func() { c.stuckOn = map[string]time.Time{} }},
		{id: "cut-write-orphans-mr", v: Violation{Property: PropStarvation, At: now, Entity: someBead}},
		{id: "cut-write-splits-hook-and-assignee", v: Violation{Property: PropHookAssignee, At: now, Entity: someAgent},
			makeTrue: func() {
				c.broken[PropHookAssignee+"\x00"+someAgent] = now.Add(-5 * time.Minute)
				c.faultTimes = map[string][]time.Time{model.FPApplyAction: {now.Add(-5*time.Minute - 10*time.Second)}}
			},
			restoreTrue: func() { c.faultTimes = map[string][]time.Time{} }},
		{id: "ag4-rq6-split-refinery-hook", v: Violation{Property: PropInvariant, At: now, Entity: "#7 " + someAgent},
			makeTrue:    func() { c.splitHook = map[string]time.Time{someAgent: now.Add(-30 * time.Second)} },
			restoreTrue: func() { c.splitHook = map[string]time.Time{} }},
		{id: "destroy-retries-a-cut-tick", v: Violation{Property: PropDeletedTownTicks, At: now},
			makeTrue:    func() { c.lastRetry, c.lastRan = true, false },
			restoreTrue: func() { c.lastRetry, c.lastRan = false, true }},
	} {
		t.Run(tc.id, func(t *testing.T) {
			f := finding(t, tc.id)
			if f.Property != tc.v.Property {
				t.Fatalf("finding explains %s, test violation is %s", f.Property, tc.v.Property)
			}
			c.breakerOpen, c.breakerTicks, c.drainingAt = false, map[int]bool{}, nil
			c.alreadyRun, c.lastRetry, c.lastRan = map[string]time.Time{}, false, true
			// split two minutes ago: outside the window
			c.splitHook = map[string]time.Time{someAgent: now.Add(-2 * time.Minute)}
			c.tickStart, c.untimed = now.Add(-time.Hour), []time.Time{now.Add(-time.Hour + time.Second)}
			// held by a stuck session before the settle window; a fault long
			// before the disagreement began
			c.stuckOn = map[string]time.Time{someBead: now.Add(-c.b.Settle - time.Minute)}
			c.faultTimes = map[string][]time.Time{model.FPApplyAction: {now.Add(-time.Hour)}}
			c.broken[PropHookAssignee+"\x00"+someAgent] = now.Add(-5 * time.Minute)
			if f.Applies(tc.v, c) {
				t.Errorf("%s explains %v outside its condition (%s)", f.ID, tc.v, f.Condition)
			}
			if tc.makeTrue != nil {
				tc.makeTrue()
				if !f.Applies(tc.v, c) {
					t.Errorf("%s does not explain %v inside its condition (%s)", f.ID, tc.v, f.Condition)
				}
				tc.restoreTrue()
			}
		})
	}
}

// The breaker explains an unsettled issue only when the issue waits for
// what the breaker holds back (dispatch or review), not work in progress.
func TestBreakerFindingNeedsHeldWork(t *testing.T) {
	cfg := Default()
	cfg.Duration = 15 * time.Minute
	c := runChecker(t, cfg)
	c.breakerOpen = true
	f := finding(t, "breaker-stalls-healthy-work")
	for _, is := range c.world.Issues() {
		if st := c.beadStatus(c.world.Town().DB(), is.ID); st == "in_progress" {
			if v := (Violation{Property: PropSettle, At: c.now, Entity: is.ID}); f.Applies(v, c) {
				t.Errorf("the breaker explains issue %s, in progress", is.ID)
			}
			return
		}
	}
	t.Fatal("no issue in progress")
}

// Every finding states its reason, specification section and condition,
// and explains a property the checker judges; ids are unique.
func TestFindingsAreDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range AcceptedFindings() {
		if f.Reason == "" || f.Spec == "" || f.Condition == "" || f.applies == nil {
			t.Errorf("%s is incomplete", f.ID)
		}
		if seen[f.ID] {
			t.Errorf("%s twice", f.ID)
		}
		seen[f.ID] = true
		found := false
		for _, p := range Properties() {
			found = found || p == f.Property
		}
		if !found {
			t.Errorf("%s explains %q, which is not a property", f.ID, f.Property)
		}
	}
}

// A violation whose property no finding explains stays a failure even
// when some finding's condition holds: add matches the property first.
func TestFindingsMatchTheirPropertyOnly(t *testing.T) {
	cfg := Default()
	cfg.Duration = 5 * time.Minute
	c := runChecker(t, cfg)
	c.breakerOpen = true // the breaker findings' condition
	c.add(Violation{Property: PropBeadLost, At: c.now, Entity: "x", Detail: "lost"})
	if len(c.failures) != 1 || !strings.Contains(c.failures[0].Detail, "lost") {
		t.Errorf("failures %v; want the lost bead reported as a failure", c.failures)
	}
}
