package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// ruleCase is one table-driven rule case: a state, options, and the exact
// actions Reconcile must emit, in order.
type ruleCase struct {
	name  string
	build func(f *fixture)
	opts  Options
	want  []string
	// rules is the rule id of each wanted action when they do not all
	// come from the rule under test.
	rules []string
}

// runCases runs the cases of the test of one rule: each case's actions
// must all carry that rule's id, unless the case lists its rule ids. With
// rule "" (tests not about one emitting rule) every case that emits
// actions must list them.
func runCases(t *testing.T, rule string, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			c.build(f)
			as := f.expect(c.opts, c.want...)
			switch {
			case c.rules != nil:
				assertRules(t, as, c.rules...)
			case rule != "":
				assertRules(t, as, repeatRule(rule, len(as))...)
			case len(as) > 0:
				t.Errorf("%d actions but no rule ids to check them against", len(as))
			}
		})
	}
}

func TestAG1_HeartbeatCheck(t *testing.T) {
	// The hooked bead: an in_progress issue updated now (BD-3 leaves it alone).
	work := func(f *fixture) { f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"}) }
	runCases(t, "AG-1", []ruleCase{
		{name: "no heartbeat yet", build: func(f *fixture) {
			work(f)
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", Activity: "NULL"})
		}, want: []string{"transition_agent{agent=a1,from=working,to=idle,reason=no heartbeat received since dispatch}"}},
		{name: "empty activity counts as none", build: func(f *fixture) {
			work(f)
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", Activity: "''"})
		}, want: []string{"transition_agent{agent=a1,from=working,to=idle,reason=no heartbeat received since dispatch}"}},
		{name: "heartbeat lost after 90 s", build: func(f *fixture) {
			work(f)
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", Activity: f.ago(91 * time.Second)})
		}, want: []string{"transition_agent{agent=a1,from=working,to=idle,reason=heartbeat lost (3 missed cycles)}"}},
		{name: "fresh heartbeat but no hook", build: func(f *fixture) {
			f.agent(A{ID: "a1", Status: "working"})
		}, want: []string{"transition_agent{agent=a1,from=working,to=idle,reason=working agent has no hook (gt_done already completed)}"}},
		{name: "healthy: fresh heartbeat at 90 s with a hook", build: func(f *fixture) {
			work(f)
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", Activity: f.ago(90 * time.Second)})
		}},
		{name: "unparsable heartbeat is fresh", build: func(f *fixture) {
			work(f)
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", Activity: "yesterday"})
		}},
		{name: "mayor skipped", build: func(f *fixture) {
			f.agent(A{ID: "m1", Role: model.RoleMayor, Status: "working", Activity: "NULL"})
		}},
		{name: "draining skips every row", opts: Options{Draining: true}, build: func(f *fixture) {
			work(f)
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", Activity: "NULL"})
			f.agent(A{ID: "a2", Status: "working"})
		}},
		{name: "rows in insertion order", build: func(f *fixture) {
			f.agent(A{ID: "z1", Status: "working"})
			f.agent(A{ID: "a1", Status: "working"})
		}, want: []string{
			"transition_agent{agent=z1,from=working,to=idle,reason=working agent has no hook (gt_done already completed)}",
			"transition_agent{agent=a1,from=working,to=idle,reason=working agent has no hook (gt_done already completed)}",
		}},
	})
}

func TestAG2_StalledAutoIdle(t *testing.T) {
	work := func(f *fixture) { f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"}) }
	runCases(t, "AG-2", []ruleCase{
		{name: "stalled over 2.5 h with hook", build: func(f *fixture) {
			work(f)
			f.agent(A{ID: "a1", Status: "stalled", Hook: "i1", StalledAt: f.ago(150*time.Minute + time.Second)})
		}, want: []string{
			"transition_agent{agent=a1,from=stalled,to=idle,reason=stalled_timeout (exceeded 2h 30min)}",
			"unhook_agent{agent=a1,reason=stalled_timeout (exceeded 2h 30min)}",
		}},
		{name: "stalled over 2.5 h without hook", build: func(f *fixture) {
			f.agent(A{ID: "a1", Status: "stalled", StalledAt: f.ago(3 * time.Hour)})
		}, want: []string{"transition_agent{agent=a1,from=stalled,to=idle,reason=stalled_timeout (exceeded 2h 30min)}"}},
		{name: "exactly 2.5 h is not over", build: func(f *fixture) {
			f.agent(A{ID: "a1", Status: "stalled", StalledAt: f.ago(150 * time.Minute)})
		}},
		{name: "no stalled_at", build: func(f *fixture) {
			f.agent(A{ID: "a1", Status: "stalled"})
		}},
		{name: "unparsable stalled_at does not skip", build: func(f *fixture) {
			f.agent(A{ID: "a1", Status: "stalled", StalledAt: "garbage"})
		}, want: []string{"transition_agent{agent=a1,from=stalled,to=idle,reason=stalled_timeout (exceeded 2h 30min)}"}},
		{name: "suppressed while draining", opts: Options{Draining: true}, build: func(f *fixture) {
			f.agent(A{ID: "a1", Status: "stalled", StalledAt: f.ago(3 * time.Hour)})
		}},
	})
}

func TestAG3_AttemptReset(t *testing.T) {
	runCases(t, "AG-3", []ruleCase{
		{name: "5 attempts, quiet 31 min", build: func(f *fixture) {
			f.agent(A{ID: "a1", Attempts: 5, Activity: f.ago(31 * time.Minute)})
		}, want: []string{"reset_agent_dispatch_attempts{agent=a1}"}},
		{name: "any status and role, also while draining", opts: Options{Draining: true}, build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress})
			f.agent(A{ID: "r1", Role: model.RoleRefinery, Status: "working", Hook: "i1", Attempts: 7,
				Activity: f.ago(40 * time.Minute), EventAt: model.ISO(fixtureNow)})
		}, want: []string{"reset_agent_dispatch_attempts{agent=r1}"}},
		{name: "4 attempts", build: func(f *fixture) {
			f.agent(A{ID: "a1", Attempts: 4, Activity: f.ago(31 * time.Minute)})
		}},
		{name: "quiet only 29 min", build: func(f *fixture) {
			f.agent(A{ID: "a1", Attempts: 5, Activity: f.ago(29 * time.Minute)})
		}},
		{name: "NULL activity never matches (GC deletes it instead)", rules: []string{"GC"}, build: func(f *fixture) {
			f.agent(A{ID: "a1", Attempts: 5, Activity: "NULL"})
		}, want: []string{"delete_agent{agent=a1,reason=GC: idle > 24h}"}},
	})
}

func TestAG4_IdleWithHook(t *testing.T) {
	runCases(t, "AG-4", []ruleCase{
		{name: "T: hooked bead closed", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.agent(A{ID: "a1", Hook: "i1"})
		}, want: []string{"unhook_agent{agent=a1,reason=hooked bead is terminal}", "clear_agent_checkpoint{agent=a1}"}},
		{name: "T: hooked bead failed", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusFailed})
			f.agent(A{ID: "a1", Hook: "i1"})
		}, want: []string{"unhook_agent{agent=a1,reason=hooked bead is terminal}", "clear_agent_checkpoint{agent=a1}"}},
		{name: "M: hooked bead missing", build: func(f *fixture) {
			f.foreignKeysOff()
			f.agent(A{ID: "a1", Hook: "ghost"})
		}, want: []string{"unhook_agent{agent=a1,reason=hooked bead does not exist}", "clear_agent_checkpoint{agent=a1}"}},
		{name: "L: in_progress bead, stale heartbeat", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
			f.agent(A{ID: "a1", Hook: "i1", Activity: f.ago(2 * time.Minute)})
		}, want: []string{
			"unhook_agent{agent=a1,reason=idle agent hooked to live bead (dispatch failed)}",
			"transition_bead{bead=i1,from=in_progress,to=open,actor=system,reason=agent went idle without completing work — reset for re-dispatch}",
		}},
		{name: "L: open bead, stale heartbeat; BD-2 dispatches from the snapshot", rules: []string{"AG-4", "AG-4", "BD-2"}, build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Assignee: "a1"})
			f.agent(A{ID: "a1", Hook: "i1", Activity: "NULL"})
		}, want: []string{
			"unhook_agent{agent=a1,reason=idle agent hooked to live bead (dispatch failed)}",
			"transition_bead{bead=i1,from=open,to=open,actor=system,reason=agent went idle without completing work — reset for re-dispatch}",
			"dispatch_agent{bead=i1,agent=a1,rig=r1}",
		}},
		{name: "live bead with fresh heartbeat keeps its hook", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
			f.agent(A{ID: "a1", Hook: "i1", Activity: f.ago(90 * time.Second)})
		}},
		{name: "in_review bead: nothing", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInReview, Assignee: "a1"})
			f.agent(A{ID: "a1", Hook: "i1", Activity: f.ago(time.Hour)})
		}},
		{name: "active while draining", opts: Options{Draining: true}, build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.agent(A{ID: "a1", Hook: "i1"})
		}, want: []string{"unhook_agent{agent=a1,reason=hooked bead is terminal}", "clear_agent_checkpoint{agent=a1}"}},
	})
}

// TestReconcileClockMilliseconds: the rules read the clock as Date.now()
// does, in whole milliseconds. 90 s and half a millisecond after the last
// heartbeat is still exactly 90 000 ms, which is not stale (strict >).
func TestReconcileClockMilliseconds(t *testing.T) {
	runCases(t, "AG-1", []ruleCase{
		{name: "sub-millisecond past the threshold is not stale", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", Activity: f.ago(90 * time.Second)})
			f.now = f.now.Add(500 * time.Microsecond)
		}},
		{name: "one millisecond past the threshold is stale", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", Activity: f.ago(90 * time.Second)})
			f.now = f.now.Add(time.Millisecond)
		}, want: []string{"transition_agent{agent=a1,from=working,to=idle,reason=heartbeat lost (3 missed cycles)}"}},
	})
}
