package differential

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

func newExecComparer(t *testing.T) *ExecComparer {
	t.Helper()
	h := startFixture(t)
	if !h.Exec.ApplyEvent || !h.Exec.ApplyAction {
		t.Fatalf("the fixture's executors did not load: %+v", h.Exec)
	}
	return &ExecComparer{Host: h, Events: true, Actions: true, DiffDir: filepath.Join(t.TempDir(), "diffs")}
}

func readStep(t *testing.T, file string) StepRecord {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rec StepRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// The drain's events are compared one by one: an exited container idles
// the agent on both sides; a not_found past the grace idles it in the
// port only (the fixture's deliberate difference), which is saved with
// the state before the event.
func TestEventsCompared(t *testing.T) {
	c := newExecComparer(t)
	town := newTown(t)
	town.SetEventObserver(c)
	old := t0.Add(-time.Hour)
	addAgent(t, town, "a1", old, true)
	addAgent(t, town, "a2", old, true)
	for _, ev := range []struct{ agent, status string }{{"a1", "exited"}, {"a2", "not_found"}} {
		if _, err := town.InsertEvent(t0.Add(-time.Second), model.EventContainerStatus, ev.agent, "", map[string]any{"status": ev.status}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := town.InsertEvent(t0.Add(-time.Second), model.EventBeadCreated, "", "issue-a1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := town.DrainEvents(t0, nil); err != nil {
		t.Fatal(err)
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
	s := c.EventStats
	if s.Compared != 3 || s.Differed != 1 {
		t.Fatalf("event stats %+v: want 3 compared, 1 differing", s)
	}
	want := []TypeCount{{Type: "bead_created", Compared: 1}, {Type: "container_status", Compared: 2, Differed: 1}}
	if !slices.Equal(s.ByType, want) {
		t.Errorf("by type %+v, want %+v", s.ByType, want)
	}
	if len(c.Differences) != 1 {
		t.Fatalf("differences saved: %v", c.Differences)
	}
	rec := readStep(t, c.Differences[0])
	if rec.Kind != KindEvent || rec.Event == nil || *rec.Event.AgentID != "a2" || len(rec.Rows) != 1 {
		t.Fatalf("saved difference: %+v", rec)
	}
	d := rec.Rows[0]
	if d.Table != "agent_metadata" || d.Port == nil || d.Original != nil || d.Port.Row["status"] != "idle" {
		t.Errorf("differing row %+v: want the port's idle a2 only", d)
	}
	if _, err := os.Stat(filepath.Join(c.DiffDir, "event-000001.sqlite")); err != nil {
		t.Error(err)
	}
}

// Actions are compared in their synchronous part and their side effect:
// a transition to stalled agrees; a transition to idle differs (the
// fixture also clears the hook); stop_agent's call agrees but its
// analytics differ (the fixture's Town writes a data point); poll_pr's
// effect agrees on an open PR and differs on a merged one (the fixture
// closes the bead itself).
func TestActionsCompared(t *testing.T) {
	c := newExecComparer(t)
	town := newTown(t)
	pat := "ghp_test"
	if _, err := town.UpdateTownConfig(model.TownConfigUpdate{GitHubCLIPAT: &pat}); err != nil {
		t.Fatal(err)
	}
	addAgent(t, town, "a1", t0, true)
	addAgent(t, town, "a2", t0, true)
	ts := model.ISO(t0.Add(-time.Hour))
	for _, id := range []string{"mr-1", "mr-2"} {
		execSQL(t, town, `INSERT INTO beads (bead_id, type, status, title, created_at, updated_at) VALUES (?, 'merge_request', 'in_progress', 'mr', ?, ?)`, id, ts, ts)
	}
	state := map[string]string{"https://github.com/o/r/pull/1": "open", "https://github.com/o/r/pull/2": "merged"}
	env := &model.InstantEnv{Clock: t0, Respond: func(call model.Call) model.Result {
		if call.Kind == model.CallPRStatus {
			return model.Result{PR: model.PRStatus{OK: true, State: state[call.URL], MergeableState: "clean"}}
		}
		return model.Result{OK: true}
	}}
	actions := []reconciler.Action{
		{Type: reconciler.TransitionAgent, AgentID: "a1", From: "working", To: "stalled", Reason: "r"},
		{Type: reconciler.TransitionAgent, AgentID: "a2", From: "working", To: "idle", Reason: "r"},
		{Type: reconciler.StopAgent, AgentID: "a1", Reason: "r"},
		{Type: reconciler.PollPR, BeadID: "mr-1", PRURL: "https://github.com/o/r/pull/1"},
		{Type: reconciler.PollPR, BeadID: "mr-2", PRURL: "https://github.com/o/r/pull/2"},
	}
	var effects []*reconciler.Effect
	for _, a := range actions {
		eff, err := c.Apply(town, env, a)
		if err != nil {
			t.Fatalf("%s: %v", a.Type, err)
		}
		if eff != nil {
			effects = append(effects, eff)
		}
	}
	for _, eff := range effects {
		if err := eff.Run(env); err != nil {
			t.Fatalf("%s effect: %v", eff.Action.Type, err)
		}
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
	want := []TypeCount{
		{Type: "poll_pr", Compared: 2, Effects: 2, EffectsDiffered: 1, EffectRows: 2},
		{Type: "stop_agent", Compared: 1, Effects: 1, EffectsDiffered: 1, EffectRows: 1},
		{Type: "transition_agent", Compared: 2, Differed: 1},
	}
	if !slices.Equal(c.ActionStats.ByType, want) {
		t.Fatalf("by type %+v, want %+v", c.ActionStats.ByType, want)
	}
	if len(c.Differences) != 3 {
		t.Fatalf("differences saved: %v", c.Differences)
	}
	stop := readStep(t, c.Differences[1])
	if stop.Type != "stop_agent" || !stop.AnalyticsDiffer || len(stop.PortAnalytics) != 0 || len(stop.OriginalAnalytics) != 1 || len(stop.Rows) != 0 {
		t.Errorf("stop_agent difference: %+v", stop.StepComparison)
	}
	c.Differences = slices.Delete(c.Differences, 1, 2)
	sync := readStep(t, c.Differences[0])
	if sync.Part != "sync" || sync.Type != "transition_agent" || len(sync.Rows) != 1 || !slices.Equal(sync.Rows[0].Columns, []string{"current_hook_bead_id"}) {
		t.Errorf("sync difference: %+v", sync.StepComparison)
	}
	eff := readStep(t, c.Differences[1])
	if eff.Part != "effect" || eff.Type != "poll_pr" || len(eff.Rows) != 1 || eff.Rows[0].Original == nil || eff.Rows[0].Port != nil {
		t.Errorf("effect difference: %+v", eff.StepComparison)
	}
	if len(eff.PortCalls) != 1 || eff.PortCalls[0].Kind != "checkPRStatus" || !sameCalls(eff.PortCalls, eff.OriginalCalls) {
		t.Errorf("effect calls: port %+v, original %+v", eff.PortCalls, eff.OriginalCalls)
	}
	if len(eff.Answers) != 1 || eff.Answers[0].Kind != "checkPRStatus" {
		t.Errorf("answers saved: %+v", eff.Answers)
	}
}

// Saved event and action differences replay to the same verdicts with
// townsim diff (ReplaySteps), and the reconcile replay passes them by.
func TestStepsReplay(t *testing.T) {
	c := newExecComparer(t)
	town := newTown(t)
	town.SetEventObserver(c)
	addAgent(t, town, "a1", t0.Add(-time.Hour), true)
	if _, err := town.InsertEvent(t0.Add(-time.Second), model.EventContainerStatus, "a1", "", map[string]any{"status": "not_found"}); err != nil {
		t.Fatal(err)
	}
	if _, err := town.DrainEvents(t0, nil); err != nil {
		t.Fatal(err)
	}
	addAgent(t, town, "a2", t0, true)
	env := &model.InstantEnv{Clock: t0}
	if _, err := c.Apply(town, env, reconciler.Action{Type: reconciler.TransitionAgent, AgentID: "a2", From: "working", To: "idle", Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	if c.Err() != nil || len(c.Differences) != 2 {
		t.Fatalf("err %v, differences %v", c.Err(), c.Differences)
	}
	stats, diffs, err := ReplaySteps(c.Host, c.DiffDir)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Events.Differed != 1 || stats.Actions.Differed != 1 || len(diffs) != 2 {
		t.Fatalf("replayed: %+v, %d differing", stats, len(diffs))
	}
	for _, d := range diffs {
		saved := readStep(t, strings.TrimSuffix(d.State, ".sqlite")+".json")
		if !jsonEqual(d.Comparison.Rows, saved.Rows) {
			t.Errorf("%s replays to %+v, saved %+v", d.State, d.Comparison.Rows, saved.Rows)
		}
	}
	if st, _, err := Replay(c.Host, c.DiffDir); err != nil || st.Compared != 0 {
		t.Errorf("reconcile replay of step records: %+v, %v", st, err)
	}
}

// Comparing events and actions leaves a run as it is: the same trace
// hash as the plain run, with every event and action compared.
func TestExecCompareKeepsTheRun(t *testing.T) {
	plain, err := sim.Run(shortRun(), sim.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := newExecComparer(t)
	res, err := sim.Run(shortRun(), sim.RunOptions{Events: c, Apply: c.Apply})
	if err != nil {
		t.Fatal(err)
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
	if res.TraceHash != plain.TraceHash {
		t.Errorf("comparing events and actions changed the run: trace hash %s, plain %s", res.TraceHash, plain.TraceHash)
	}
	if c.EventStats.Compared == 0 || c.ActionStats.Compared == 0 {
		t.Errorf("compared %d events and %d action steps", c.EventStats.Compared, c.ActionStats.Compared)
	}
	emitted := 0
	for _, tr := range res.TickRecords {
		emitted += tr.Metrics.ActionsEmitted
	}
	synced := 0
	for _, r := range c.ActionStats.ByType {
		synced += r.Compared
	}
	if synced != emitted {
		t.Errorf("%d synchronous parts compared, %d actions emitted", synced, emitted)
	}
}
