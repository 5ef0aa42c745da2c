package alarm

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// faultFixture is a fixture whose Town has failpoints; every evaluation of
// an enabled point fires while fire is true, and each firing is recorded.
type faultFixture struct {
	*fixture
	faults *model.Faults
	fire   bool
	only   string   // when set, fire only at this target
	fired  []string // "point target"
}

func newFaultFixture(tb testing.TB, point, terms string) *faultFixture {
	tb.Helper()
	ff := &faultFixture{fire: true}
	ff.faults = model.NewFaults(func(name, target string) bool {
		fire := ff.fire && (ff.only == "" || target == ff.only)
		if fire {
			ff.fired = append(ff.fired, name+" "+target)
		}
		return fire
	})
	if point != "" {
		if err := ff.faults.Enable(point, terms); err != nil {
			tb.Fatal(err)
		}
	}
	ff.fixture = newFixtureWith(tb, func(o *model.Options) { o.Faults = ff.faults })
	return ff
}

// busyTown sets up one tick's worth of work: a polecat's agent_done event
// to drain (many writes) and, after it, a review to dispatch (an action
// with a deferred effect). It returns the event id.
func (f *fixture) busyTown() (eventID string) {
	rig := f.rig("r1", t0.Add(-time.Hour))
	b := f.bead(model.TypeIssue, model.StatusOpen, rig, t0.Add(-time.Hour))
	a := f.agent(model.RolePolecat, model.AgentWorking, rig, b, t0.Add(-time.Hour))
	f.answers[model.CallAgentStatus] = model.Result{StatusCode: 200, Status: "exited", ExitReason: "x"}
	return f.event(model.EventAgentDone, a, "", `{"branch":"b1"}`, t0.Add(-time.Minute), time.Time{})
}

func (f *fixture) processed(eventID string) bool {
	f.tb.Helper()
	return f.count(`SELECT COUNT(*) FROM town_events WHERE event_id = ? AND processed_at IS NOT NULL`, eventID) == 1
}

func hasLog(res *TickResult, parts ...string) bool {
	for _, l := range res.Logs {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// Without Options.Faults, and with a registry where nothing is enabled,
// the tick is exactly the plain tick: same actions, same database.
func TestFaultsOffChangeNothing(t *testing.T) {
	plain := newFixture(t)
	plain.busyTown()
	pr := plain.tick()

	ff := newFaultFixture(t, "", "")
	ff.busyTown()
	fr := ff.tick()
	if got, want := actionStrings(fr.Actions), actionStrings(pr.Actions); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("actions differ:\n%v\n%v", got, want)
	}
	if ff.dump() != plain.dump() {
		t.Error("database differs from the plain tick's")
	}
	if len(ff.fired) != 0 {
		t.Errorf("decider consulted for points not enabled: %v", ff.fired)
	}
}

// Each failpoint of reconciler.md §1.3, fired on a busy tick: the Town
// reacts as production does at that throw point.
func TestFailpointsReactAsProduction(t *testing.T) {
	for _, tc := range []struct {
		point string
		terms string
		check func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error)
	}{
		{model.FPRigList, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			// T2 unguarded: the tick aborts before any work, unarmed.
			if err == nil || !strings.Contains(err.Error(), "T2") {
				t.Fatalf("err = %v, want a T2 abort", err)
			}
			if _, set := f.t.AlarmAt(); set || f.processed(ev) || len(res.Actions) > 0 {
				t.Error("aborted tick re-armed, drained or reconciled")
			}
		}},
		{model.FPUpkeep, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			if err != nil || !hasLog(res, "T3a", model.FPUpkeep) || len(f.calls(model.CallHealth)) != 0 {
				t.Errorf("err %v, logs %v, health calls %d: want logged and skipped", err, res.Logs, len(f.calls(model.CallHealth)))
			}
			if !f.processed(ev) {
				t.Error("the tick did not go on after T3a threw")
			}
		}},
		{model.FPObserve, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			// The agent's "exited" status is not recorded this tick.
			if n := f.count(`SELECT COUNT(*) FROM town_events WHERE event_type = 'container_status'`); err != nil || n != 0 {
				t.Errorf("err %v, container_status events %d; want none", err, n)
			}
			if !hasLog(res, "T4", model.FPObserve) {
				t.Errorf("logs %v lack the T4 failure", res.Logs)
			}
		}},
		{model.FPConfigRead, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			if err == nil || !strings.Contains(err.Error(), "T6") || f.processed(ev) {
				t.Errorf("err = %v, processed %v; want a T6 abort before the drain", err, f.processed(ev))
			}
		}},
		{model.FPDrainRead, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			if err != nil || f.processed(ev) || res.Metrics.EventsDrained != 0 || len(res.Reports) == 0 {
				t.Errorf("err %v processed %v drained %d reports %d; want nothing applied and a report",
					err, f.processed(ev), res.Metrics.EventsDrained, len(res.Reports))
			}
		}},
		{model.FPEventNotFound, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			// A "not found" failure marks the event processed unapplied.
			if err != nil || !f.processed(ev) {
				t.Fatalf("err %v processed %v; want processed", err, f.processed(ev))
			}
			if n := f.count(`SELECT COUNT(*) FROM beads WHERE type = 'merge_request'`); n != 0 {
				t.Errorf("%d merge requests: the skipped agent_done was applied", n)
			}
		}},
		{model.FPReconcile, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			if err != nil || len(res.Actions) != 0 || res.Metrics.ActionsEmitted != 0 || len(res.Reports) == 0 {
				t.Errorf("err %v actions %v reports %d; want zero actions and a report", err, actionStrings(res.Actions), len(res.Reports))
			}
			if !f.processed(ev) {
				t.Error("the drain before the reconcile did not run")
			}
		}},
		{model.FPSideEffect, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			m := res.Metrics
			if err != nil || m.SideEffectsAttempted == 0 || m.SideEffectsFailed != m.SideEffectsAttempted {
				t.Errorf("err %v side effects %d/%d failed; want all rejected", err, m.SideEffectsFailed, m.SideEffectsAttempted)
			}
			if len(f.calls(model.CallStartAgent)) != 0 {
				t.Error("a rejected effect still called the container")
			}
		}},
		{model.FPInvariants, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			if err != nil || res.Metrics.InvariantViolations != 0 || !hasLog(res, "T11") {
				t.Errorf("err %v violations %d logs %v; want logged, none counted", err, res.Metrics.InvariantViolations, res.Logs)
			}
		}},
		{model.FPAfterWork, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			// T13 unguarded: the tick aborts after its work, unarmed, so the
			// platform retries it.
			if err == nil || !strings.Contains(err.Error(), "T13") {
				t.Fatalf("err = %v, want a T13 abort", err)
			}
			if !f.processed(ev) || len(res.Actions) == 0 || res.Metrics.SideEffectsAttempted == 0 {
				t.Error("the work before T13 did not run")
			}
			if _, set := f.t.AlarmAt(); set {
				t.Error("an aborted tick re-armed")
			}
		}},
		{model.FPHousekeeping, "return(true)", func(t *testing.T, f *faultFixture, ev string, res *TickResult, err error) {
			n := 0
			for _, l := range res.Logs {
				if strings.HasPrefix(l, "T15 ") && strings.Contains(l, model.FPHousekeeping) {
					n++
				}
			}
			if err != nil || n != 5 {
				t.Errorf("err %v, %d housekeeping failures logged (%v); want all 5", err, n, res.Logs)
			}
		}},
	} {
		t.Run(tc.point, func(t *testing.T) {
			f := newFaultFixture(t, tc.point, tc.terms)
			ev := f.busyTown()
			res, err := Tick(f.t, f.env)
			if len(f.fired) == 0 {
				t.Fatalf("%s never fired", tc.point)
			}
			for _, fired := range f.fired {
				if !strings.HasPrefix(fired, tc.point+" ") {
					t.Errorf("fired %q, want only %s", fired, tc.point)
				}
			}
			tc.check(t, f, ev, res, err)
		})
	}
}

// events/apply throws half-way: the writes before the cut stay, the event
// stays pending, and the next tick (fault healed) applies it.
func TestFailpointEventApplyHalfway(t *testing.T) {
	rows := func(f *faultFixture) int {
		return f.count(`SELECT COUNT(*) FROM bead_events`) + f.count(`SELECT COUNT(*) FROM beads WHERE status != 'open'`)
	}
	for _, tc := range []struct {
		terms     string
		wantWrite bool
	}{
		{"return(0)", false}, // throws at its first write: nothing written
		{"return(2)", true},  // two writes stay
	} {
		t.Run(tc.terms, func(t *testing.T) {
			f := newFaultFixture(t, model.FPEventApply, tc.terms)
			f.fire = false
			ev := f.busyTown()
			before := rows(f)
			f.fire = true
			if _, err := Tick(f.t, f.env); err != nil {
				t.Fatal(err)
			}
			if f.processed(ev) {
				t.Fatal("a thrown event application was marked processed")
			}
			if wrote := rows(f) != before; wrote != tc.wantWrite {
				t.Errorf("partial writes present = %v, want %v", wrote, tc.wantWrite)
			}
			f.fire = false
			f.env.Clock = t0.Add(5 * time.Second)
			f.tick()
			if !f.processed(ev) {
				t.Error("the retried event was not applied once the fault healed")
			}
		})
	}
}

// reconciler/apply-action throws half-way through dispatch_agent's
// writes: the agent's status write (before the cut) stays, the bead's
// (after it) is not made, the throw is recorded, and the dispatch's
// deferred effect is not queued. The actions before it are unaffected.
func TestFailpointApplyActionHalfway(t *testing.T) {
	f := newFaultFixture(t, model.FPApplyAction, "return(1)")
	f.only = reconciler.DispatchAgent
	rig := f.rig("r1", t0.Add(-time.Hour))
	b := f.bead(model.TypeIssue, model.StatusOpen, rig, t0.Add(-time.Hour))
	a := f.agent(model.RolePolecat, model.AgentIdle, rig, b, t0.Add(-time.Hour))
	res, err := Tick(f.t, f.env)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ApplyErrors) != 1 || !strings.HasPrefix(res.ApplyErrors[0], "dispatch_agent: injected fault") {
		t.Fatalf("apply errors %v; want dispatch_agent's injected throw only", res.ApplyErrors)
	}
	if got := f.str(`SELECT status FROM agent_metadata WHERE bead_id = ?`, a); got != model.AgentWorking {
		t.Errorf("agent status %q: the write before the cut did not stay", got)
	}
	if got := f.str(`SELECT status FROM beads WHERE bead_id = ?`, b); got == model.StatusInProgress {
		t.Error("the bead write after the cut was made")
	}
	if res.Metrics.SideEffectsAttempted != 0 || len(f.calls(model.CallStartAgent)) != 0 {
		t.Errorf("the thrown dispatch's effect ran (%d attempted)", res.Metrics.SideEffectsAttempted)
	}
}

// kv/write: T8's auto-clear of a stale drain fails and aborts the tick,
// leaving the town draining; a heartbeat from a new container instance
// cannot clear it either (the RPC fails).
func TestFailpointKVWrite(t *testing.T) {
	f := newFaultFixture(t, model.FPKVWrite, "return(true)")
	kv := f.t.KV()
	kv.Draining, kv.DrainNonce, kv.DrainStartedAt = true, "n1", t0.Add(-8*time.Minute)
	kv.ContainerInstanceID = "old"
	if _, err := Tick(f.t, f.env); err == nil || !strings.Contains(err.Error(), "T8") {
		t.Fatalf("err = %v, want a T8 abort", err)
	}
	if !kv.Draining {
		t.Fatal("the failed KV write cleared the drain flag")
	}
	rig := f.rig("r1", t0.Add(-time.Hour))
	a := f.agent(model.RolePolecat, model.AgentWorking, rig, "", t0)
	if _, err := f.t.Heartbeat(t0, a, model.HeartbeatInput{ContainerInstanceID: "new"}); err == nil || !kv.Draining {
		t.Errorf("heartbeat err %v, draining %v; want the RPC to fail and the drain to stay", err, kv.Draining)
	}
	f.fire = false
	if _, err := Tick(f.t, f.env); err != nil || kv.Draining {
		t.Errorf("healed tick: err %v, draining %v; want the drain cleared", err, kv.Draining)
	}
}

// Two Towns with different failpoints, ticking in parallel goroutines, do
// not see each other's points: each registry is the Town's own.
func TestFaultsArePerTown(t *testing.T) {
	var wg sync.WaitGroup
	results := make([]*TickResult, 2)
	errs := make([]error, 2)
	fixtures := []*faultFixture{newFaultFixture(t, model.FPReconcile, "return(true)"), newFaultFixture(t, "", "")}
	for i, f := range fixtures {
		f.busyTown()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				results[i], errs[i] = Tick(f.t, f.env)
			}
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if len(fixtures[1].fired) != 0 {
		t.Errorf("the town without failpoints fired %v", fixtures[1].fired)
	}
	if len(fixtures[0].fired) != 20 {
		t.Errorf("the town with reconciler/reconcile fired %d times in 20 ticks", len(fixtures[0].fired))
	}
}

func TestFaultsEnableRejectsUnknownPoints(t *testing.T) {
	f := model.NewFaults(func(string, string) bool { return true })
	if err := f.Enable("alarm/T99-nope", "return(true)"); err == nil || !strings.Contains(err.Error(), "alarm/T99-nope") {
		t.Errorf("err = %v, want one naming the point", err)
	}
	if err := f.Enable(model.FPReconcile, "bogus((("); err == nil {
		t.Error("bad failpoint terms accepted")
	}
	if got := f.Enabled(); len(got) != 0 {
		t.Errorf("Enabled = %v after failed enables", got)
	}
}
