package alarm

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// T3a runs only with rigs, and then only with active work, while
// draining, or within 5 min of the newest rig's creation.
func TestT3aWhenItRuns(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(f *fixture)
		want  bool
	}{
		{"no rigs skips T3", func(f *fixture) {
			f.agent(model.RoleMayor, model.AgentWorking, "", "", t0)
		}, false},
		{"idle town with an old rig skips", func(f *fixture) {
			f.rig("alpha", t0.Add(-RecentRigWindow))
		}, false},
		{"rig created 4 min ago runs", func(f *fixture) {
			f.rig("alpha", t0.Add(-time.Hour))
			f.rig("beta", t0.Add(-4*time.Minute))
		}, true},
		{"active work runs", func(f *fixture) {
			f.rig("alpha", t0.Add(-time.Hour))
			f.agent(model.RoleMayor, model.AgentWorking, "", "", t0)
		}, true},
		{"draining runs", func(f *fixture) {
			f.rig("alpha", t0.Add(-time.Hour))
			f.t.KV().Draining = true
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.setup(f)
			f.tick()
			got := len(f.calls(model.CallWarmUp)) == 1 && len(f.calls(model.CallHealth)) == 1
			if got != tc.want || len(f.calls(model.CallWarmUp)) > 1 {
				t.Errorf("warm-up and health called = %v (calls %d), want %v", got, len(f.calls(model.CallWarmUp)), tc.want)
			}
		})
	}
}

// T3a writes the container events through the raw writer (no delivery,
// no user id).
func TestT3aContainerEvents(t *testing.T) {
	started := t0.Add(-time.Minute)
	for _, tc := range []struct {
		name   string
		warm   model.Result
		health model.Result
		want   []model.AnalyticsEvent
	}{
		{"warm container, healthy, no body", model.Result{}, model.Result{StatusCode: 200},
			[]model.AnalyticsEvent{{Event: "container.health_ping", TownID: "town-1", StatusCode: 200}}},
		{"cold start", model.Result{ColdStart: true, Duration: 2500 * time.Millisecond}, model.Result{StatusCode: 200},
			[]model.AnalyticsEvent{
				{Event: "container.cold_start", TownID: "town-1", DurationMs: 2500},
				{Event: "container.health_ping", TownID: "town-1", StatusCode: 200}}},
		{"warm-up throws, error cut to 300", model.Result{Err: strings.Repeat("x", 400)}, model.Result{StatusCode: 200},
			[]model.AnalyticsEvent{
				{Event: "container.cold_start", TownID: "town-1", Error: strings.Repeat("x", 300)},
				{Event: "container.health_ping", TownID: "town-1", StatusCode: 200}}},
		{"health times out", model.Result{}, model.Result{Err: "aborted"},
			[]model.AnalyticsEvent{{Event: "container.health_ping", TownID: "town-1", Error: "timeout"}}},
		{"health non-ok", model.Result{}, model.Result{StatusCode: 503},
			[]model.AnalyticsEvent{{Event: "container.health_ping", TownID: "town-1", StatusCode: 503, Error: "non-ok status 503"}}},
		{"ready and mayor ready", model.Result{}, model.Result{StatusCode: 200, StartedAt: started, MayorReadyAt: started.Add(30 * time.Second)},
			[]model.AnalyticsEvent{
				{Event: "container.health_ping", TownID: "town-1", StatusCode: 200},
				{Event: "container.ready_observed", TownID: "town-1", ContainerStartedAt: model.ISO(started), DurationMs: 60000},
				{Event: "mayor.session_ready", TownID: "town-1", ContainerStartedAt: model.ISO(started), DurationMs: 30000}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if _, err := f.t.UpdateTownConfig(model.TownConfigUpdate{OwnerUserID: model.Ptr("user-9")}); err != nil {
				f.tb.Fatal(err)
			}
			f.rig("alpha", t0.Add(-time.Minute))
			f.answers[model.CallWarmUp] = tc.warm
			f.answers[model.CallHealth] = tc.health
			res := f.tick()
			var got []model.AnalyticsEvent
			for _, e := range res.Analytics {
				if strings.HasPrefix(e.Event, "container.") || strings.HasPrefix(e.Event, "mayor.") {
					got = append(got, e)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

// T3a: mayor.session_ready is reported once per container start.
func TestT3aMayorReadyOncePerContainer(t *testing.T) {
	f := newFixture(t)
	f.rig("alpha", t0.Add(-time.Minute))
	started := t0.Add(-time.Minute)
	f.answers[model.CallHealth] = model.Result{StatusCode: 200, StartedAt: started, MayorReadyAt: started.Add(time.Second)}
	counts := []int{}
	for i := 0; i < 2; i++ {
		counts = append(counts, len(events(f.tick(), "mayor.session_ready")))
	}
	f.answers[model.CallHealth] = model.Result{StatusCode: 200, StartedAt: t0, MayorReadyAt: t0.Add(time.Second)}
	counts = append(counts, len(events(f.tick(), "mayor.session_ready")))
	if !slices.Equal(counts, []int{1, 0, 1}) {
		t.Errorf("session_ready per tick = %v, want [1 0 1]", counts)
	}
	if got := f.t.KV().MayorReadyReportedFor; got != model.ISO(t0) {
		t.Errorf("mayor:ready_reported_for = %s", got)
	}
}

// T3a sends the drain nonce only after 11 min of draining; T8 of the same
// tick then clears the drain (hazard 3: unreachable unless no tick ran
// between 7 and 11 min).
func TestHazard03_DrainNonceHandoff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		started   time.Duration
		wantNonce string
	}{
		{"10 min: no nonce", 10 * time.Minute, ""},
		{"11 min: no nonce", 11 * time.Minute, ""},
		{"12 min: nonce", 12 * time.Minute, "nonce-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.rig("alpha", t0.Add(-time.Hour))
			kv := f.t.KV()
			kv.Draining, kv.DrainNonce, kv.DrainStartedAt = true, "nonce-1", t0.Add(-tc.started)
			f.tick()
			h := f.calls(model.CallHealth)
			if len(h) != 1 || h[0].DrainNonce != tc.wantNonce {
				t.Errorf("health calls %+v, want nonce %q", h, tc.wantNonce)
			}
			if kv.Draining {
				t.Error("T8 did not clear the drain")
			}
		})
	}
}

// T3b refreshes the container token at most once an hour; a failure
// leaves the throttle key alone; a "container down" error counts as done.
func TestT3bTokenRefresh(t *testing.T) {
	for _, tc := range []struct {
		name     string
		last     time.Duration // 0 = never refreshed
		mayor    string        // mayor status, "" = no mayor
		answer   model.Result
		wantCall bool
		wantKV   bool // throttle key moved to t0
	}{
		{"first refresh", 0, model.AgentWorking, model.Result{StatusCode: 200}, true, true},
		{"within the hour skips", 59 * time.Minute, model.AgentWorking, model.Result{StatusCode: 200}, false, false},
		{"after the hour refreshes", time.Hour, model.AgentWorking, model.Result{StatusCode: 200}, true, true},
		{"stalled mayor counts as alive", 0, model.AgentStalled, model.Result{StatusCode: 200}, true, true},
		{"waiting mayor and no work skips", 0, model.AgentWaiting, model.Result{StatusCode: 200}, false, false},
		{"non-2xx leaves the key", 0, model.AgentWorking, model.Result{StatusCode: 500}, true, false},
		{"timeout leaves the key", 0, model.AgentWorking, model.Result{Err: "TimeoutError: signal timed out"}, true, false},
		{"container down counts as done", 0, model.AgentWorking, model.Result{Err: "TypeError: fetch failed"}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.rig("alpha", t0.Add(-time.Hour))
			if tc.mayor != "" {
				// Old activity: a stalled mayor is alive but not active work.
				f.agent(model.RoleMayor, tc.mayor, "", "", t0.Add(-time.Hour))
			}
			kv := f.t.KV()
			if tc.last > 0 {
				kv.LastTokenRefreshAt = t0.Add(-tc.last)
			}
			before := kv.LastTokenRefreshAt
			f.answers[model.CallRefreshToken] = tc.answer
			res := f.tick()
			if got := len(f.calls(model.CallRefreshToken)) == 1; got != tc.wantCall {
				t.Errorf("refresh called = %v, want %v", got, tc.wantCall)
			}
			want := before
			if tc.wantKV {
				want = t0
			}
			if !kv.LastTokenRefreshAt.Equal(want) {
				t.Errorf("lastTokenRefreshAt = %v, want %v", kv.LastTokenRefreshAt, want)
			}
			failed := slices.ContainsFunc(res.Logs, func(s string) bool { return strings.HasPrefix(s, "T3b") })
			if failed != (tc.wantCall && !tc.wantKV) {
				t.Errorf("T3b failure logged = %v; logs %q", failed, res.Logs)
			}
		})
	}
}

// T3c is a stub that keeps its 24 h in-memory throttle.
func TestT3cThrottle(t *testing.T) {
	f := newFixture(t)
	f.rig("alpha", t0.Add(-time.Hour))
	f.tick()
	if got := f.t.KV().LastKiloTokenCheck; !got.Equal(t0) {
		t.Fatalf("first check at %v, want %v", got, t0)
	}
	f.env.Clock = t0.Add(23 * time.Hour)
	f.tick()
	if got := f.t.KV().LastKiloTokenCheck; !got.Equal(t0) {
		t.Errorf("checked again after 23 h (%v)", got)
	}
	f.env.Clock = t0.Add(24 * time.Hour)
	f.tick()
	if got := f.t.KV().LastKiloTokenCheck; !got.Equal(f.env.Clock) {
		t.Errorf("not checked after 24 h (%v)", got)
	}
}

// T16: the idle container stop and each of its skip conditions.
func TestT16IdleStop(t *testing.T) {
	for _, tc := range []struct {
		name       string
		setup      func(f *fixture)
		state      model.Result
		stop       model.Result
		wantState  bool   // getState asked
		wantStop   bool   // stop asked
		wantReason string // idle_stop event reason ("" = no event)
		wantError  string
		wantKV     bool // lastIdleStopAt written
	}{
		{"active work skips", func(f *fixture) {
			f.agent(model.RolePolecat, model.AgentWorking, "", f.bead(model.TypeIssue, model.StatusInProgress, "", t0), t0)
		}, model.Result{State: "running"}, model.Result{}, false, false, "", "", false},
		{"draining skips", func(f *fixture) { f.t.KV().Draining = true },
			model.Result{State: "running"}, model.Result{}, false, false, "", "", false},
		{"stalled mayor skips", func(f *fixture) {
			f.agent(model.RoleMayor, model.AgentStalled, "", "", t0.Add(-time.Hour))
		}, model.Result{State: "running"}, model.Result{}, false, false, "", "", false},
		{"mayor active 5 min ago skips", func(f *fixture) {
			f.agent(model.RoleMayor, model.AgentIdle, "", "", t0.Add(-IdleStopQuietPeriod))
		}, model.Result{State: "running"}, model.Result{}, false, false, "", "", false},
		{"stopped 1 min ago skips", func(f *fixture) { f.t.KV().LastIdleStopAt = t0.Add(-time.Minute) },
			model.Result{State: "running"}, model.Result{}, false, false, "", "", false},
		{"getState throws", func(f *fixture) {}, model.Result{Err: "boom"}, model.Result{}, true, false, "", "", false},
		{"container not running", func(f *fixture) {}, model.Result{State: "stopped"}, model.Result{}, true, false, "", "", false},
		{"no mayor stops", func(f *fixture) {}, model.Result{State: "running"}, model.Result{}, true, true, "no_active_work", "", true},
		{"throttle elapsed stops", func(f *fixture) { f.t.KV().LastIdleStopAt = t0.Add(-IdleStopThrottle) },
			model.Result{State: "healthy"}, model.Result{}, true, true, "no_active_work", "", true},
		{"quiet mayor stops", func(f *fixture) {
			f.agent(model.RoleMayor, model.AgentIdle, "", "", t0.Add(-10*time.Minute-29*time.Second))
		}, model.Result{State: "running"}, model.Result{}, true, true, "mayor_idle_10m", "", true},
		{"mayor without activity stops", func(f *fixture) {
			f.agent(model.RoleMayor, model.AgentWaiting, "", "", time.Time{})
		}, model.Result{State: "running"}, model.Result{}, true, true, "mayor_idle_0m", "", true},
		{"mayor activity unparsable reads NaN", func(f *fixture) {
			id := f.agent(model.RoleMayor, model.AgentIdle, "", "", t0)
			f.exec(`UPDATE agent_metadata SET last_activity_at = 'garbage' WHERE bead_id = ?`, id)
		}, model.Result{State: "running"}, model.Result{}, true, true, "mayor_idle_NaNm", "", true},
		{"stop throws", func(f *fixture) {}, model.Result{State: "running"}, model.Result{Err: "stop failed"},
			true, true, "no_active_work", "stop failed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.setup(f)
			f.answers[model.CallContainerState] = tc.state
			f.answers[model.CallContainerStop] = tc.stop
			before := f.t.KV().LastIdleStopAt
			res := f.tick()
			if got := len(f.calls(model.CallContainerState)) == 1; got != tc.wantState {
				t.Errorf("getState asked = %v, want %v", got, tc.wantState)
			}
			if got := len(f.calls(model.CallContainerStop)) == 1; got != tc.wantStop {
				t.Errorf("stop asked = %v, want %v", got, tc.wantStop)
			}
			ev := events(res, "container.idle_stop")
			if tc.wantReason == "" {
				if len(ev) != 0 {
					t.Errorf("idle_stop events %+v, want none", ev)
				}
			} else {
				want := model.AnalyticsEvent{Event: "container.idle_stop", TownID: "town-1", Reason: tc.wantReason, Error: tc.wantError}
				if len(ev) != 1 || ev[0] != want {
					t.Errorf("idle_stop events %+v, want %+v", ev, want)
				}
			}
			wantKV := before
			if tc.wantKV {
				wantKV = t0
			}
			if got := f.t.KV().LastIdleStopAt; !got.Equal(wantKV) {
				t.Errorf("lastIdleStopAt = %v, want %v", got, wantKV)
			}
		})
	}
}
