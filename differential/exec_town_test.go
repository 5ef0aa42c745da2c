package differential

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gastownfixture "github.com/townsim/townsim/differential/fixture"
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// The side effects whose writes are Town methods run the checkout's own
// (the fixture's Town.do.ts) against the port's recorded world, and their
// rows are compared: a nudge the container accepted agrees; one it
// refused differs in delivered_at alone (the fixture marks it delivered
// all the same); the saved difference replays to the same verdict.
func TestTownEffectRowsCompared(t *testing.T) {
	c := newExecComparer(t)
	if !c.Host.Exec.TownMethods {
		t.Fatalf("the fixture's Town did not load: %s", c.Host.Exec.TownMethodsError)
	}
	town := newTown(t)
	addAgent(t, town, "a1", t0, true)
	addAgent(t, town, "a2", t0, true)
	env := &model.InstantEnv{Clock: t0, Respond: func(call model.Call) model.Result {
		return model.Result{OK: call.Kind == model.CallSendMessage && call.AgentID == "a1"}
	}}
	var effects []*reconciler.Effect
	for _, id := range []string{"a1", "a2"} {
		eff, err := c.Apply(town, env, reconciler.Action{Type: reconciler.SendNudge, AgentID: id, Message: "hello", Tier: "warn"})
		if err != nil || eff == nil {
			t.Fatalf("send_nudge %s: %v, effect %v", id, err, eff)
		}
		effects = append(effects, eff)
	}
	for _, eff := range effects {
		if err := eff.Run(env); err != nil {
			t.Fatal(err)
		}
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
	want := []TypeCount{{Type: "send_nudge", Compared: 2, Effects: 2, EffectsDiffered: 1, EffectRows: 2}}
	if !slices.Equal(c.ActionStats.ByType, want) {
		t.Fatalf("by type %+v, want %+v", c.ActionStats.ByType, want)
	}
	if len(c.Differences) != 1 {
		t.Fatalf("differences saved: %v", c.Differences)
	}
	rec := readStep(t, c.Differences[0])
	if rec.Part != "effect" || len(rec.Rows) != 1 {
		t.Fatalf("saved difference: %+v", rec.StepComparison)
	}
	d := rec.Rows[0]
	if d.Table != "agent_nudges" || !slices.Equal(d.Columns, []string{"delivered_at"}) || d.Port == nil || d.Original == nil ||
		d.Port.Row["delivered_at"] != nil || d.Original.Row["delivered_at"] == nil || d.Port.Row["agent_bead_id"] != "a2" {
		t.Errorf("differing row %+v: want a2's nudge, delivered in the original only", d)
	}
	answers := map[string]int{}
	for _, a := range rec.Answers {
		answers[a.Kind]++
	}
	if answers["queueNudge"] != 1 || answers["sendMessageToAgent"] != 1 {
		t.Errorf("answers saved: %+v", rec.Answers)
	}
	stats, diffs, err := ReplaySteps(c.Host, c.DiffDir)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Actions.Differed != 1 || len(diffs) != 1 || !jsonEqual(diffs[0].Comparison.Rows, rec.Rows) {
		t.Errorf("replayed: %+v, %+v; saved rows %+v", stats, diffs, rec.Rows)
	}
}

// The world's answers are given to the original in the shape of the
// calls it makes below its Town methods.
func TestWorldAnswers(t *testing.T) {
	at := t0.Add(2 * time.Second)
	world := []WorldCall{
		{Call: model.Call{Kind: model.CallStartAgent}, Result: model.Result{StatusCode: 200}, Before: t0, At: at},
		{Call: model.Call{Kind: model.CallStartAgent}, Result: model.Result{StatusCode: 503, Body: "busy"}, Before: t0, At: at},
		{Call: model.Call{Kind: model.CallStartAgent}, Result: model.Result{Err: "timeout"}, Before: t0, At: at},
		{Call: model.Call{Kind: model.CallSendMessage}, Result: model.Result{OK: true}, At: at},
		{Call: model.Call{Kind: model.CallWastelandBrowse, ItemID: "w-1"}, Result: model.Result{ItemDone: true}, At: at},
		{Call: model.Call{Kind: model.CallWastelandDone}, Result: model.Result{Err: "down"}, At: at},
		{Call: model.Call{Kind: model.CallPRStatus}, At: at},
	}
	got := worldAnswers(world)
	want := []Answer{
		{Kind: "startAgentInContainer", NowMs: at.UnixMilli(), Answer: map[string]any{"started": true, "containerFetchMs": 2000.0}},
		{Kind: "startAgentInContainer", NowMs: at.UnixMilli(), Answer: map[string]any{"started": false, "containerFetchMs": 2000.0}, StartError: "(503) busy"},
		{Kind: "startAgentInContainer", NowMs: at.UnixMilli(), Answer: map[string]any{"started": false, "containerFetchMs": 0.0}, StartError: "EXCEPTION: timeout"},
		{Kind: "sendMessageToAgent", NowMs: at.UnixMilli(), Answer: true},
		{Kind: "browseWantedBoard", NowMs: at.UnixMilli(), Answer: map[string]any{"success": true, "data": []any{map[string]any{"id": "w-1", "status": "done"}}}},
		{Kind: "markWantedItemDone", NowMs: at.UnixMilli(), Throw: "down"},
	}
	if !jsonEqual(got, want) {
		t.Errorf("answers\n%+v\nwant\n%+v", got, want)
	}
}

// A checkout whose Town.do.ts does not load still runs: the handshake
// says why, and the Town-method effects are compared by their calls only
// (no rows, no analytics: the fixture's stop_agent data point is not seen).
func TestTownMethodsUnloadable(t *testing.T) {
	dir := t.TempDir()
	if err := gastownfixture.Write(dir, gastownfixture.Original); err != nil {
		t.Fatal(err)
	}
	town := filepath.Join(dir, "src", "dos", "Town.do.ts")
	if err := os.WriteFile(town, []byte("throw new Error('fixture: no Town here');\nexport class TownDO {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := StartHost(HostOptions{Gastown: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.Exec.TownMethods || !strings.Contains(h.Exec.TownMethodsError, "no Town here") || !h.Exec.ApplyAction {
		t.Fatalf("exec support %+v: want applyAction loaded, the Town not, with its error", h.Exec)
	}
	c := &ExecComparer{Host: h, Actions: true, DiffDir: filepath.Join(t.TempDir(), "diffs")}
	tw := newTown(t)
	addAgent(t, tw, "a1", t0, true)
	env := &model.InstantEnv{Clock: t0}
	eff, err := c.Apply(tw, env, reconciler.Action{Type: reconciler.StopAgent, AgentID: "a1", Reason: "r"})
	if err != nil || eff == nil {
		t.Fatalf("stop_agent: %v, %v", err, eff)
	}
	if err := eff.Run(env); err != nil {
		t.Fatal(err)
	}
	want := []TypeCount{{Type: "stop_agent", Compared: 1, Effects: 1}}
	if c.Err() != nil || !slices.Equal(c.ActionStats.ByType, want) || len(c.Differences) != 0 {
		t.Errorf("err %v, by type %+v (want %+v), differences %v", c.Err(), c.ActionStats.ByType, want, c.Differences)
	}
}
