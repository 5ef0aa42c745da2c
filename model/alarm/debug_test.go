package alarm

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// busyTown builds a town whose next tick drains one event and emits
// several kinds of actions: a dispatch (BD-1), a lost-issue reset (BD-3),
// a PR poll (RQ-1), plus the unhook a bead_cancelled event causes.
// It returns the pending event's creation time.
func busyTown(f *fixture) time.Time {
	fresh := t0.Add(-10 * time.Second)
	rig := f.rig("alpha", t0.Add(-time.Hour))
	i1 := f.bead(model.TypeIssue, model.StatusInProgress, rig, t0.Add(-time.Minute))
	f.agent(model.RolePolecat, model.AgentWorking, rig, i1, fresh)
	i2 := f.bead(model.TypeIssue, model.StatusInProgress, rig, t0.Add(-time.Minute))
	f.agent(model.RolePolecat, model.AgentWorking, rig, i2, fresh)
	i3 := f.bead(model.TypeIssue, model.StatusOpen, rig, t0.Add(-time.Hour))
	f.bead(model.TypeIssue, model.StatusInProgress, rig, t0.Add(-10*time.Minute))
	i5 := f.bead(model.TypeIssue, model.StatusInReview, rig, t0.Add(-time.Minute))
	f.mr(model.StatusInProgress, rig, "https://github.com/acme/alpha/pull/5", i5, t0.Add(-time.Minute))
	f.convoy(model.StatusOpen, i1, i3)
	at := t0.Add(-30 * time.Second)
	f.event(model.EventBeadCancelled, "", i2, `{"cancel_status":"failed"}`, at, time.Time{})
	f.event(model.EventBeadCreated, "", i3, `{}`, at.Add(-time.Second), at)
	return at
}

// DryRun drains and reconciles inside a rolled-back savepoint: the state
// is unchanged, and the actions are those the live tick then computes.
func TestDryRunMatchesLiveTickAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	busyTown(f)
	f.t.SetAlarm(t0.Add(time.Minute))
	before := f.dump()
	dr, err := DryRun(f.t, t0)
	if err != nil {
		t.Fatal(err)
	}
	if after := f.dump(); after != before {
		t.Fatalf("dry-run changed the database:\n%s\n---\n%s", before, after)
	}
	if at, _ := f.t.AlarmAt(); !at.Equal(t0.Add(time.Minute)) {
		t.Errorf("dry-run moved the alarm to %v", at)
	}
	res := f.tick()
	if got, want := actionStrings(dr.Actions), actionStrings(res.Actions); !slices.Equal(got, want) {
		t.Fatalf("dry-run actions\n %v\nlive tick\n %v", got, want)
	}
	for _, typ := range []string{reconciler.DispatchAgent, reconciler.PollPR, reconciler.ClearBeadAssignee} {
		if dr.Metrics.ActionsByType[typ] == 0 {
			t.Errorf("fixture emits no %s: %v", typ, dr.Metrics.ActionsByType)
		}
	}
	want := DryRunMetrics{ActionsEmitted: res.Metrics.ActionsEmitted, ActionsByType: res.Metrics.ActionsByType,
		PendingEventCount: 0, EventsDrained: 1}
	if dr.Metrics.ActionsEmitted != want.ActionsEmitted || dr.Metrics.EventsDrained != want.EventsDrained ||
		dr.Metrics.PendingEventCount != 0 || ActionsByTypeJSON(dr.Metrics.ActionsByType) != ActionsByTypeJSON(want.ActionsByType) {
		t.Errorf("dry-run metrics %+v, want %+v", dr.Metrics, want)
	}
}

// DryRun has no per-event tolerance: an event the tick would skip as
// "not found" aborts it, and nothing is kept.
func TestHazard17_DryRunFirstThrowingEventAborts(t *testing.T) {
	f := newFixture(t)
	missing := f.ids.NewID()
	f.event(model.EventAgentDone, missing, "", `{"branch":"b"}`, t0.Add(-time.Second), time.Time{})
	f.event(model.EventBeadCreated, "", "", `{}`, t0, time.Time{})
	before := f.dump()
	if _, err := DryRun(f.t, t0); err == nil || !strings.Contains(err.Error(), "Agent "+missing+" not found") {
		t.Fatalf("err = %v, want the agent-not-found error", err)
	}
	if f.dump() != before {
		t.Error("aborted dry-run left changes")
	}
	// The live tick skips it for good instead.
	if res := f.tick(); res.Metrics.EventsDrained != 2 || res.Metrics.PendingEventCount != 0 {
		t.Errorf("tick metrics %+v", res.Metrics)
	}
}

// DryRun ignores draining (always false), unlike the tick.
func TestHazard17_DryRunIgnoresDraining(t *testing.T) {
	f := newFixture(t)
	rig := f.rig("alpha", t0.Add(-time.Hour))
	f.bead(model.TypeIssue, model.StatusOpen, rig, t0.Add(-time.Hour))
	f.t.KV().Draining, f.t.KV().DrainStartedAt = true, t0
	dr, err := DryRun(f.t, t0)
	if err != nil {
		t.Fatal(err)
	}
	res := f.tick()
	if dr.Metrics.ActionsByType[reconciler.DispatchAgent] != 1 || res.Metrics.ActionsByType[reconciler.DispatchAgent] != 0 {
		t.Errorf("dispatches: dry-run %v, draining tick %v", dr.Metrics.ActionsByType, res.Metrics.ActionsByType)
	}
}

// ReplayEvents re-applies the window's events, processed or not, and
// reconciles: over the window of a pending event it computes the actions
// the live tick then computes, and changes nothing.
func TestReplayReproducesLiveTick(t *testing.T) {
	f := newFixture(t)
	at := busyTown(f)
	before := f.dump()
	rr, err := ReplayEvents(f.t, t0, model.ISO(at.Add(-time.Minute)), model.ISO(t0))
	if err != nil {
		t.Fatal(err)
	}
	if f.dump() != before {
		t.Fatal("replay changed the database")
	}
	if rr.EventsReplayed != 2 || rr.Caveat != ReplayCaveat {
		t.Errorf("replayed %d (caveat %q), want 2 (one processed, one pending)", rr.EventsReplayed, rr.Caveat)
	}
	if len(rr.Agents) != 2 {
		t.Errorf("agent snapshot %+v", rr.Agents)
	}
	for _, a := range rr.Agents {
		if a.Status == model.AgentWorking && !a.Hook.Valid {
			t.Errorf("snapshot agent %+v", a)
		}
	}
	var types []string
	for _, b := range rr.NonTerminalBeads {
		if b.Type == model.TypeAgent || model.Terminal(b.Status) {
			t.Errorf("snapshot holds %+v", b)
		}
		types = append(types, b.Type)
	}
	if !slices.IsSorted(types) || len(rr.NonTerminalBeads) != 6 {
		t.Errorf("bead snapshot %+v, want 6 beads by type", rr.NonTerminalBeads)
	}
	res := f.tick()
	if got, want := actionStrings(rr.Actions), actionStrings(res.Actions); !slices.Equal(got, want) {
		t.Errorf("replay actions\n %v\nlive tick\n %v", got, want)
	}
	// A window before the events replays nothing.
	none, err := ReplayEvents(f.t, t0, model.ISO(t0.Add(-time.Hour)), model.ISO(at.Add(-time.Minute)))
	if err != nil || none.EventsReplayed != 0 {
		t.Errorf("empty window: %+v, %v", none, err)
	}
}

// ReplayEvents compares the window with the stored text: a bound without
// milliseconds sorts after the same second with them (§6.2).
func TestReplayComparesWindowAsText(t *testing.T) {
	f := newFixture(t)
	f.event(model.EventBeadCreated, "", "", `{}`, t0, time.Time{})
	for _, tc := range []struct {
		from string
		want int
	}{
		{"2026-06-01T12:00:00.000Z", 1},
		{"2026-06-01T12:00:00Z", 0},
	} {
		rr, err := ReplayEvents(f.t, t0, tc.from, "2026-06-01T12:00:00.000Z")
		if err != nil {
			t.Fatal(err)
		}
		if rr.EventsReplayed != tc.want {
			t.Errorf("from %s: replayed %d, want %d", tc.from, rr.EventsReplayed, tc.want)
		}
	}
}

// ReplayEvents aborts at the first throwing event and keeps nothing.
func TestHazard17_ReplayFirstThrowingEventAborts(t *testing.T) {
	f := newFixture(t)
	missing := f.ids.NewID()
	f.event(model.EventAgentDone, missing, "", `{"branch":"b"}`, t0, t0)
	before := f.dump()
	if _, err := ReplayEvents(f.t, t0, model.ISO(t0), model.ISO(t0)); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("err = %v", err)
	}
	if f.dump() != before {
		t.Error("aborted replay left changes")
	}
}

// Bad replay input is refused before anything runs, naming the field.
func TestReplayBadInput(t *testing.T) {
	f := newFixture(t)
	ok := model.ISO(t0)
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"missing from", "", ok, `missing required field "from"`},
		{"missing to", ok, "", `missing required field "to"`},
		{"unparsable from", "yesterday", ok, `"from" is not an ISO 8601 timestamp: "yesterday"`},
		{"unparsable to", ok, "2026-13-45", `"to" is not an ISO 8601 timestamp: "2026-13-45"`},
		{"from after to", model.ISO(t0.Add(time.Second)), ok, `"from" (2026-06-01T12:00:01.000Z) is later than "to" (2026-06-01T12:00:00.000Z)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.t.DB().Cost()
			_, err := ReplayEvents(f.t, t0, tc.from, tc.to)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if f.t.DB().Cost() != before {
				t.Error("bad input reached the database")
			}
		})
	}
	if _, err := ReplayEvents(f.t, t0, ok, ok); err != nil {
		t.Errorf("from = to refused: %v", err)
	}
}
