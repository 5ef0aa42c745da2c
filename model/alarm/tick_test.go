package alarm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// T1: without a town id the tick deletes the alarm and does nothing else.
func TestT1ExistenceGuard(t *testing.T) {
	for _, tc := range []struct {
		name      string
		townID    string
		wantRan   bool
		wantAlarm bool
	}{
		{"no town id deletes the alarm", "", false, false},
		{"town id runs and re-arms", "town-1", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.t.KV().TownID = tc.townID
			f.t.SetAlarm(t0.Add(-time.Second))
			res, err := Tick(f.t, f.env)
			if err != nil {
				t.Fatal(err)
			}
			if res.Ran != tc.wantRan {
				t.Errorf("Ran = %v, want %v", res.Ran, tc.wantRan)
			}
			at, set := f.t.AlarmAt()
			if set != tc.wantAlarm {
				t.Errorf("alarm set = %v (%v), want %v", set, at, tc.wantAlarm)
			}
			if !tc.wantRan && (len(res.Analytics) > 0 || res.Cost.Statements > 0) {
				t.Errorf("guarded tick did work: %d analytics, cost %+v", len(res.Analytics), res.Cost)
			}
		})
	}
}

// T4: every working or stalled agent, the mayor included, is asked about.
func TestT4AsksWorkingAndStalledAgents(t *testing.T) {
	f := newFixture(t)
	fresh := t0.Add(-10 * time.Second)
	working := f.agent(model.RoleMayor, model.AgentWorking, "", "", fresh)
	stalled := f.agent(model.RolePolecat, model.AgentStalled, "", "", fresh)
	f.agent(model.RolePolecat, model.AgentIdle, "", "", fresh)
	f.agent(model.RolePolecat, model.AgentDead, "", "", fresh)
	f.tick()
	var asked []string
	for _, c := range f.calls(model.CallAgentStatus) {
		asked = append(asked, c.AgentID)
	}
	slices.Sort(asked)
	want := []string{working, stalled}
	slices.Sort(want)
	if !slices.Equal(asked, want) {
		t.Errorf("asked %v, want %v", asked, want)
	}
}

// T4: the answer is mapped (§3.9) and recorded unless it is "running";
// Phase 0 of the same tick applies what T4 recorded.
func TestT4StatusFilterAndSameTickDrain(t *testing.T) {
	for _, tc := range []struct {
		name        string
		answer      model.Result
		wantPayload string // "" = nothing recorded
		wantIdled   bool   // Phase 0 idled the agent before reconcile ran
	}{
		{"running records nothing", model.Result{StatusCode: 200, Status: "running"}, "", false},
		{"404 records not_found, applied in the same tick", model.Result{StatusCode: 404}, `{"status":"not_found"}`, true},
		{"500 records unknown", model.Result{StatusCode: 500}, `{"status":"unknown"}`, false},
		{"thrown call records unknown", model.Result{Err: "timeout"}, `{"status":"unknown"}`, false},
		{"2xx without status records unknown", model.Result{StatusCode: 200}, `{"status":"unknown"}`, false},
		{"2xx exited keeps the exit reason", model.Result{StatusCode: 200, Status: "exited", ExitReason: "oom"},
			`{"exit_reason":"oom","status":"exited"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.answers[model.CallAgentStatus] = tc.answer
			issue := f.bead(model.TypeIssue, model.StatusInProgress, "", t0.Add(-time.Minute))
			// Older than the 180 s not_found grace and the 90 s heartbeat staleness.
			agent := f.agent(model.RolePolecat, model.AgentWorking, "", issue, t0.Add(-10*time.Minute))
			res := f.tick()
			payload := f.str(`SELECT payload FROM town_events WHERE event_type = 'container_status'`)
			if tc.wantPayload == "" {
				if payload != "<none>" || res.Metrics.EventsDrained != 0 {
					t.Fatalf("recorded %s (drained %d), want nothing", payload, res.Metrics.EventsDrained)
				}
			} else {
				if payload != tc.wantPayload {
					t.Errorf("payload = %s, want %s", payload, tc.wantPayload)
				}
				if got := f.str(`SELECT processed_at FROM town_events WHERE event_type = 'container_status'`); got != model.ISO(t0) {
					t.Errorf("processed_at = %s, want this tick (%s)", got, model.ISO(t0))
				}
				if res.Metrics.EventsDrained != 1 {
					t.Errorf("EventsDrained = %d, want 1", res.Metrics.EventsDrained)
				}
			}
			// AG-1 sees a working agent only if Phase 0 did not idle it first.
			ag1 := false
			for _, a := range res.Actions {
				if a.Type == reconciler.TransitionAgent && a.AgentID == agent && a.From == model.AgentWorking {
					ag1 = true
				}
			}
			if ag1 == tc.wantIdled {
				t.Errorf("AG-1 transition emitted = %v, want %v (actions %v)", ag1, !tc.wantIdled, actionStrings(res.Actions))
			}
		})
	}
}

// T6: a town config that fails to read aborts the tick, which does not re-arm.
func TestHazard16_ConfigErrorAbortsWithoutRearm(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfgErr  error
		wantErr bool
	}{
		{"config error aborts", errors.New("town config: merge_strategy \"x\" is not direct or pr"), true},
		{"valid config re-arms", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.t.KV().ConfigErr = tc.cfgErr
			old := t0.Add(-time.Second)
			f.t.SetAlarm(old)
			res, err := Tick(f.t, f.env)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			at, _ := f.t.AlarmAt()
			if tc.wantErr {
				if !strings.Contains(err.Error(), "T6") || !at.Equal(old) {
					t.Errorf("err %q, alarm %v: want a T6 error and the alarm left at %v", err, at, old)
				}
				if len(events(res, "reconciler_tick")) != 0 {
					t.Error("aborted tick emitted reconciler_tick")
				}
			} else if !at.Equal(t0.Add(model.IdleInterval)) {
				t.Errorf("alarm = %v, want %v", at, t0.Add(model.IdleInterval))
			}
		})
	}
}

// T9: a throwing reconcile yields zero actions, a report, and the tick
// still completes and re-arms.
func TestT9ReconcileErrorStillRearms(t *testing.T) {
	f := newFixture(t)
	f.bead(model.TypeIssue, model.StatusInProgress, "", t0.Add(-time.Hour))
	if err := f.t.DB().ExecRaw(`ALTER TABLE convoy_metadata RENAME TO convoy_metadata_gone`); err != nil {
		t.Fatal(err)
	}
	res, err := Tick(f.t, f.env)
	if err != nil {
		t.Fatalf("tick: %v", err)
	}
	if res.Metrics.ActionsEmitted != 0 || len(res.Actions) != 0 {
		t.Errorf("actions = %v, want none", actionStrings(res.Actions))
	}
	if len(res.Reports) != 1 || res.Reports[0].Level != "error" {
		t.Errorf("reports = %+v, want one error", res.Reports)
	}
	if !slices.ContainsFunc(res.Logs, func(s string) bool { return strings.HasPrefix(s, "T9 reconcile failed") }) {
		t.Errorf("logs = %q, want the reconcile failure", res.Logs)
	}
	if len(events(res, "reconciler_tick")) != 1 {
		t.Error("no reconciler_tick")
	}
	if at, ok := f.t.AlarmAt(); !ok || !at.After(t0) {
		t.Errorf("alarm = %v %v, want re-armed", at, ok)
	}
}

// T9: an action whose synchronous part throws is logged with its type;
// the actions after it still run. (transition_bead catches its own
// errors, as production's does; clear_bead_assignee does not.)
func TestT9ThrowingActionIsLoggedAndNextRuns(t *testing.T) {
	f := newFixture(t)
	stale := t0.Add(-10 * time.Minute)
	// BD-3 resets both lost in-progress issues: transition_bead + clear_bead_assignee each.
	first := f.bead(model.TypeIssue, model.StatusInProgress, "", stale)
	second := f.bead(model.TypeIssue, model.StatusInProgress, "", stale)
	if err := f.t.DB().ExecRaw(fmt.Sprintf(`CREATE TRIGGER boom BEFORE UPDATE ON beads
		WHEN OLD.bead_id = '%s' BEGIN SELECT RAISE(ABORT, 'boom'); END`, first)); err != nil {
		t.Fatal(err)
	}
	res := f.tick()
	if want := []string{reconciler.ClearBeadAssignee + ": boom"}; !slices.Equal(res.ApplyErrors, want) {
		t.Fatalf("ApplyErrors = %q, want %q; actions %v", res.ApplyErrors, want, actionStrings(res.Actions))
	}
	if len(res.Actions) != 4 || res.Actions[1].Type != reconciler.ClearBeadAssignee || res.Actions[1].BeadID != first {
		t.Fatalf("actions %v, want BD-3 for both beads", actionStrings(res.Actions))
	}
	if !slices.Contains(res.Logs, "T9 applyAction failed: clear_bead_assignee: boom") {
		t.Errorf("logs = %q", res.Logs)
	}
	if got := f.str(`SELECT status FROM beads WHERE bead_id = ?`, first); got != model.StatusInProgress {
		t.Errorf("throwing bead status = %s, want in_progress", got)
	}
	if got := f.str(`SELECT status FROM beads WHERE bead_id = ?`, second); got != model.StatusOpen {
		t.Errorf("next bead status = %s, want open", got)
	}
}

// T10: every deferred effect runs; a returned error counts as failed.
func TestT10SideEffectAccounting(t *testing.T) {
	ok := func(model.Env) error { return nil }
	bad := func(model.Env) error { return errors.New("rejected") }
	for _, tc := range []struct {
		name                       string
		runs                       []func(model.Env) error
		attempted, succeeded, fail int
	}{
		{"none", nil, 0, 0, 0},
		{"all fulfil", []func(model.Env) error{ok, ok}, 2, 2, 0},
		{"one rejects", []func(model.Env) error{ok, bad, ok}, 3, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var effs []*reconciler.Effect
			ran := 0
			for _, r := range tc.runs {
				effs = append(effs, &reconciler.Effect{Run: func(e model.Env) error { ran++; return r(e) }})
			}
			var m Metrics
			runSideEffects(newFixture(t).t, &model.InstantEnv{Clock: t0}, effs, &m)
			if m.SideEffectsAttempted != tc.attempted || m.SideEffectsSucceeded != tc.succeeded ||
				m.SideEffectsFailed != tc.fail || ran != len(tc.runs) {
				t.Errorf("got %d/%d/%d (ran %d), want %d/%d/%d", m.SideEffectsAttempted, m.SideEffectsSucceeded,
					m.SideEffectsFailed, ran, tc.attempted, tc.succeeded, tc.fail)
			}
		})
	}
}

// T10 (hazard 19): a dispatch whose container start fails is a succeeded
// side effect.
func TestHazard19_FailedStartCountsAsSucceeded(t *testing.T) {
	f := newFixture(t)
	f.answers[model.CallStartAgent] = model.Result{StatusCode: 500, Body: "no capacity"}
	rig := f.rig("alpha", t0.Add(-time.Hour))
	f.bead(model.TypeIssue, model.StatusOpen, rig, t0.Add(-time.Hour))
	res := f.tick()
	m := res.Metrics
	if m.ActionsByType[reconciler.DispatchAgent] != 1 || len(f.calls(model.CallStartAgent)) != 1 {
		t.Fatalf("actions %v, start calls %d: want one dispatch", actionStrings(res.Actions), len(f.calls(model.CallStartAgent)))
	}
	if m.SideEffectsAttempted != 1 || m.SideEffectsSucceeded != 1 || m.SideEffectsFailed != 0 {
		t.Errorf("side effects %d/%d/%d, want 1/1/0", m.SideEffectsAttempted, m.SideEffectsSucceeded, m.SideEffectsFailed)
	}
}

// T8: the drain flag clears itself strictly after 7 minutes.
func TestT8DrainSafetyNet(t *testing.T) {
	for _, tc := range []struct {
		name      string
		started   time.Time
		wantClear bool
	}{
		{"after 7 min clears", t0.Add(-DrainTimeout - time.Millisecond), true},
		{"exactly 7 min keeps", t0.Add(-DrainTimeout), false},
		{"6 min keeps", t0.Add(-6 * time.Minute), false},
		{"no start time keeps", time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			kv := f.t.KV()
			kv.Draining, kv.DrainNonce, kv.DrainStartedAt = true, "nonce-1", tc.started
			f.tick()
			if cleared := !kv.Draining; cleared != tc.wantClear {
				t.Fatalf("cleared = %v, want %v", cleared, tc.wantClear)
			}
			if tc.wantClear && (kv.DrainNonce != "" || !kv.DrainStartedAt.IsZero()) {
				t.Errorf("nonce %q start %v left behind", kv.DrainNonce, kv.DrainStartedAt)
			}
		})
	}
}

// T17: 5 s while there is active work, 5 min otherwise, from the time
// the tick ends.
func TestT17Rearm(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(f *fixture)
		active bool
	}{
		{"idle town re-arms in 5 min", func(f *fixture) {}, false},
		{"working agent re-arms in 5 s", func(f *fixture) {
			issue := f.bead(model.TypeIssue, model.StatusInProgress, "", t0)
			f.agent(model.RolePolecat, model.AgentWorking, "", issue, t0.Add(-10*time.Second))
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.setup(f)
			// Every call takes a second of virtual time.
			f.env.Respond = func(c model.Call) model.Result {
				f.env.Clock = f.env.Clock.Add(time.Second)
				return f.answers[c.Kind]
			}
			res := f.tick()
			want := f.env.Clock.Add(model.IdleInterval)
			if tc.active {
				want = f.env.Clock.Add(model.ActiveInterval)
			}
			if at, _ := f.t.AlarmAt(); !at.Equal(want) || res.ActiveWork != tc.active {
				t.Errorf("alarm %v active %v, want %v active %v", at, res.ActiveWork, want, tc.active)
			}
		})
	}
}

// T12: reconciler_tick carries the metrics in production's slots (§5.3);
// WallClockMs is virtual time from T5 to T12, side effects included and
// T3/T4 calls excluded.
func TestT12ReconcilerTickSlots(t *testing.T) {
	f := newFixture(t)
	f.t.KV().Config.OwnerUserID = "user-9"
	f.env.Respond = func(c model.Call) model.Result {
		d := 100 * time.Millisecond
		if c.Kind == model.CallStartAgent {
			d = 1500 * time.Millisecond
		}
		f.env.Clock = f.env.Clock.Add(d)
		return f.answers[c.Kind]
	}
	rig := f.rig("alpha", t0.Add(-time.Hour))
	f.bead(model.TypeIssue, model.StatusOpen, rig, t0.Add(-time.Hour))
	f.event(model.EventBeadCreated, "", "", `{}`, t0.Add(-time.Second), time.Time{})
	res := f.tick()
	if len(f.calls(model.CallWarmUp)) != 1 {
		t.Fatalf("T3 did not run: calls %+v", f.env.Calls)
	}
	ev := events(res, "reconciler_tick")
	if len(ev) != 1 {
		t.Fatalf("reconciler_tick events: %+v", res.Analytics)
	}
	m := res.Metrics
	want := model.AnalyticsEvent{
		Event: "reconciler_tick", UserID: "user-9", Delivery: "internal", TownID: "town-1",
		Label: `{"dispatch_agent":1}`, DurationMs: 1500, Value: 1, Double3: 1, Double4: 1, Double5: 1,
		Double6: 0, Double7: float64(m.InvariantViolations), Double8: float64(m.PendingEventCount),
	}
	if ev[0] != want {
		t.Errorf("reconciler_tick =\n %+v\nwant\n %+v", ev[0], want)
	}
	if m.WallClockMs != 1500 || m.EventsDrained != 1 || m.ActionsEmitted != 1 {
		t.Errorf("metrics %+v", m)
	}
	if !slices.ContainsFunc(f.analytics, func(e model.AnalyticsEvent) bool { return e == want }) {
		t.Error("reconciler_tick did not reach Options.Analytics")
	}
}

// T12: reconciler_tick's blob10 is JSON.stringify(actionsByType): the
// types in the order of their first emission, not sorted.
func TestActionsByTypeLabel(t *testing.T) {
	as := func(types ...string) []reconciler.Action {
		var out []reconciler.Action
		for _, typ := range types {
			out = append(out, reconciler.Action{Type: typ})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   []reconciler.Action
		want string
	}{
		{"no actions", nil, "{}"},
		{"first-emission order", as("transition_bead", "dispatch_agent", "transition_bead", "poll_pr", "dispatch_agent", "transition_bead"),
			`{"transition_bead":3,"dispatch_agent":2,"poll_pr":1}`},
	} {
		if got := ActionsByTypeLabel(tc.in); got != tc.want {
			t.Errorf("%s: ActionsByTypeLabel = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// ActionsByTypeJSON renders a map with sorted keys, "{}" when empty.
func TestActionsByTypeJSON(t *testing.T) {
	for _, tc := range []struct {
		in   map[string]int
		want string
	}{
		{nil, "{}"},
		{map[string]int{}, "{}"},
		{map[string]int{"poll_pr": 2, "dispatch_agent": 1, "transition_bead": 3},
			`{"dispatch_agent":1,"poll_pr":2,"transition_bead":3}`},
	} {
		if got := ActionsByTypeJSON(tc.in); got != tc.want {
			t.Errorf("ActionsByTypeJSON(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// T15: processed events older than 7 days are pruned; pending ones never.
func TestT15PrunesOldProcessedEvents(t *testing.T) {
	f := newFixture(t)
	old := t0.Add(-8 * 24 * time.Hour)
	pruned := f.event(model.EventBeadCreated, "", "", `{}`, old, old)
	recent := f.event(model.EventBeadCreated, "", "", `{}`, t0.Add(-24*time.Hour), t0.Add(-24*time.Hour))
	f.tick()
	if f.count(`SELECT count(*) FROM town_events WHERE event_id = ?`, pruned) != 0 {
		t.Error("old processed event kept")
	}
	if f.count(`SELECT count(*) FROM town_events WHERE event_id = ?`, recent) != 1 {
		t.Error("recent processed event pruned")
	}
}

// T7 (hazard 15): one unparsable pending row fails the whole read: nothing
// is applied, EventsDrained is 0, the failure is reported, the tick goes on.
func TestHazard15_UnparsableEventBlocksTheDrain(t *testing.T) {
	f := newFixture(t)
	good := f.event(model.EventBeadCreated, "", "", `{}`, t0.Add(-2*time.Second), time.Time{})
	f.event("bogus_type", "", "", `{}`, t0.Add(-time.Second), time.Time{})
	for i := 0; i < 2; i++ {
		res := f.tick()
		if res.Metrics.EventsDrained != 0 || res.Metrics.PendingEventCount != 2 || len(res.Reports) != 1 {
			t.Fatalf("tick %d: metrics %+v reports %+v", i, res.Metrics, res.Reports)
		}
		if got := f.str(`SELECT processed_at FROM town_events WHERE event_id = ?`, good); got != "" {
			t.Fatalf("good event processed at %q behind a bad row", got)
		}
		if at, ok := f.t.AlarmAt(); !ok || !at.After(t0) {
			t.Fatal("tick did not re-arm")
		}
	}
}
