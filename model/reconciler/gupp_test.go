package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

func TestGUPP_Tiers(t *testing.T) {
	const (
		warn      = "send_nudge{agent=a1,tier=warn}"
		escalate  = "send_nudge{agent=a1,tier=escalate}"
		escTriage = "create_triage_request{agent=a1,triage_type=stuck_agent,reason=GUPP escalation}"
	)
	forceStop := func(from string) []string {
		return []string{
			"transition_agent{agent=a1,from=" + from + ",to=stalled,reason=GUPP force stop — no SDK activity for 2h}",
			"stop_agent{agent=a1,reason=exceeded 2h GUPP limit}",
			"create_triage_request{agent=a1,triage_type=stuck_agent,reason=GUPP force stop}",
		}
	}
	// A working agent on i1 whose heartbeats continue (activity now) but
	// whose last SDK event was `quiet` ago.
	agent := func(quiet time.Duration, a A) func(f *fixture) {
		return func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
			a.ID, a.Hook = "a1", "i1"
			a.Status = or(a.Status, model.AgentWorking)
			a.EventAt = f.ago(quiet)
			f.agent(a)
		}
	}
	withNudge := func(build func(*fixture), source string, at func(f *fixture) string) func(*fixture) {
		return func(f *fixture) {
			build(f)
			f.nudge("n1", "a1", source, at(f))
		}
	}
	isoAgo := func(d time.Duration) func(f *fixture) string {
		return func(f *fixture) string { return f.ago(d) }
	}
	sqliteAgo := func(d time.Duration) func(f *fixture) string {
		return func(f *fixture) string { return model.SQLiteTime(f.now.Add(-d)) }
	}
	runCases(t, "", []ruleCase{
		{name: "warn after 15 min", rules: []string{"GUPP-warn"}, build: agent(15*time.Minute+time.Second, A{}), want: []string{warn}},
		{name: "15 min is not over", build: agent(15*time.Minute, A{})},
		{name: "warn skipped mid-tool", build: agent(20*time.Minute, A{Tools: `["bash"]`})},
		{name: "NULL tools read as []", rules: []string{"GUPP-warn"}, build: agent(20*time.Minute, A{Tools: "NULL"}), want: []string{warn}},
		{name: "unparsable tools read as []", rules: []string{"GUPP-warn"}, build: agent(20*time.Minute, A{Tools: "[bash"}), want: []string{warn}},
		{name: "tools that are not an array have no length 0", build: agent(20*time.Minute, A{Tools: `{}`})},
		{name: "warn deduped by an ISO nudge 59 min old",
			build: withNudge(agent(20*time.Minute, A{}), "reconciler:warn", isoAgo(59*time.Minute))},
		{name: "warn deduped by a datetime() nudge 59 min old",
			build: withNudge(agent(20*time.Minute, A{}), "reconciler:warn", sqliteAgo(59*time.Minute))},
		{name: "a nudge 61 min old does not dedupe", rules: []string{"GUPP-warn"},
			build: withNudge(agent(20*time.Minute, A{}), "reconciler:warn", isoAgo(61*time.Minute)), want: []string{warn}},
		{name: "another tier's nudge does not dedupe", rules: []string{"GUPP-warn"},
			build: withNudge(agent(20*time.Minute, A{}), "reconciler:escalate", isoAgo(time.Minute)), want: []string{warn}},
		{name: "escalate after 1 h, with a triage request", rules: []string{"GUPP-escalate", "GUPP-escalate"}, build: agent(61*time.Minute, A{Tools: `["bash"]`}),
			want: []string{escalate, escTriage}},
		{name: "escalate deduped",
			build: withNudge(agent(90*time.Minute, A{}), "reconciler:escalate", isoAgo(30*time.Minute))},
		{name: "the plain reconciler row does not dedupe", rules: []string{"GUPP-escalate", "GUPP-escalate"},
			build: withNudge(agent(90*time.Minute, A{}), "reconciler", isoAgo(time.Minute)), want: []string{escalate, escTriage}},
		{name: "force stop after 2 h, never deduped", rules: []string{"GUPP-force-stop", "GUPP-force-stop", "GUPP-force-stop"},
			build: withNudge(agent(2*time.Hour+time.Second, A{}), "reconciler:escalate", isoAgo(time.Minute)), want: forceStop("working")},
		{name: "stalled agent force-stopped again (hazard 9)", rules: []string{"GUPP-force-stop", "GUPP-force-stop", "GUPP-force-stop"},
			build: agent(3*time.Hour, A{Status: "stalled", StalledAt: f0(time.Hour)}), want: forceStop("stalled")},
		{name: "no SDK watermark: the heartbeat is used (and AG-1 sees it stale)", rules: []string{"AG-1", "GUPP-warn"}, build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", Activity: f.ago(20 * time.Minute)})
		}, want: []string{"transition_agent{agent=a1,from=working,to=idle,reason=heartbeat lost (3 missed cycles)}", warn}},
		{name: "empty SDK watermark stops the check", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", EventAt: "''"})
		}},
		{name: "future watermark skipped", build: agent(-time.Hour, A{})},
		{name: "unparsable watermark skipped", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", EventAt: "a while ago"})
		}},
		{name: "mayor skipped", build: func(f *fixture) {
			f.agent(A{ID: "m1", Role: model.RoleMayor, Status: "working", EventAt: f.ago(3 * time.Hour)})
		}},
		{name: "idle agents are not checked", build: func(f *fixture) {
			f.agent(A{ID: "a1", EventAt: f.ago(3 * time.Hour)})
		}},
		{name: "suppressed while draining", opts: Options{Draining: true}, build: agent(3*time.Hour, A{})},
	})

	// The nudge texts are persisted: check them.
	f := newFixture(t)
	agent(20*time.Minute, A{})(f)
	as := f.reconcile(Options{})
	if len(as) != 1 || as[0].Message != "You have been idle for 15 minutes with no tool activity. Please check your progress." {
		t.Errorf("warn message: %+v", as)
	}
	f = newFixture(t)
	agent(90*time.Minute, A{})(f)
	as = f.reconcile(Options{})
	if len(as) != 2 || as[0].Message != "You have been working for over 1 hour without completing your task. Please wrap up or report if you are stuck." {
		t.Errorf("escalate message: %+v", as)
	}
}

// TestGUPP_StalledPastAutoIdle: a stalled agent past 2.5 h belongs to
// AG-2; GUPP skips it so it is not re-stalled in the same pass.
func TestGUPP_StalledPastAutoIdle(t *testing.T) {
	runCases(t, "", []ruleCase{
		{name: "stalled_at past 2.5 h: AG-2 only", rules: []string{"AG-2"}, build: func(f *fixture) {
			f.agent(A{ID: "a1", Status: "stalled", StalledAt: f.ago(3 * time.Hour), EventAt: f.ago(4 * time.Hour)})
		}, want: []string{"transition_agent{agent=a1,from=stalled,to=idle,reason=stalled_timeout (exceeded 2h 30min)}"}},
		{name: "no stalled_at: the heartbeat decides the skip, and AG-2 does nothing", build: func(f *fixture) {
			f.agent(A{ID: "a1", Status: "stalled", Activity: f.ago(3 * time.Hour)})
		}},
		{name: "unparsable stalled_at: no skip, both fire", rules: []string{"AG-2", "GUPP-force-stop", "GUPP-force-stop", "GUPP-force-stop"}, build: func(f *fixture) {
			f.agent(A{ID: "a1", Status: "stalled", StalledAt: "x", EventAt: f.ago(3 * time.Hour)})
		}, want: []string{
			"transition_agent{agent=a1,from=stalled,to=idle,reason=stalled_timeout (exceeded 2h 30min)}",
			"transition_agent{agent=a1,from=stalled,to=stalled,reason=GUPP force stop — no SDK activity for 2h}",
			"stop_agent{agent=a1,reason=exceeded 2h GUPP limit}",
			"create_triage_request{agent=a1,triage_type=stuck_agent,reason=GUPP force stop}",
		}},
	})
}
