package differential

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// The four side effects whose writes are production's Town methods, on
// hand-made states and world answers no simulated run may reach (a start
// that throws, an item already done upstream, a wanted bead without its
// tag), against a real checkout: the rows, calls and analytics of every
// effect agree with the port's. Set TOWNSIM_GASTOWN to a checkout of
// services/gastown (c293a7cb or later) to run it.
func TestTownEffectsAgainstCheckout(t *testing.T) {
	dir := os.Getenv("TOWNSIM_GASTOWN")
	if dir == "" {
		t.Skip("TOWNSIM_GASTOWN names no gastown checkout")
	}
	h, err := StartHost(HostOptions{Gastown: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	if !h.Exec.TownMethods {
		t.Fatalf("the checkout's Town did not load: %s", h.Exec.TownMethodsError)
	}
	const rig, gitURL = "rig-1", "https://github.com/acme/widgets.git"
	cases := []struct {
		name   string
		tagged bool // the wanted bead carries metadata.wasteland
		answer func(model.Call) model.Result
		action func(bead, agent string) reconciler.Action
	}{
		{name: "dispatch, started", answer: status(200, ""), action: dispatch},
		{name: "dispatch, refused", answer: status(503, `{"error":"no capacity","phase":"clone"}`), action: dispatch},
		{name: "dispatch, already running", answer: status(500, "agent already running"), action: dispatch},
		{name: "dispatch, start throws", answer: func(model.Call) model.Result { return model.Result{Err: "network down"} }, action: dispatch},
		{name: "stop", answer: status(200, ""), action: func(_, agent string) reconciler.Action {
			return reconciler.Action{Type: reconciler.StopAgent, AgentID: agent, Reason: "r"}
		}},
		{name: "nudge, delivered", answer: ok(true), action: nudge},
		{name: "nudge, refused", answer: ok(false), action: nudge},
		{name: "wasteland, marked done", tagged: true, answer: ok(true), action: wasteland},
		{name: "wasteland, done upstream already", tagged: true, answer: func(c model.Call) model.Result {
			return model.Result{ItemDone: c.Kind == model.CallWastelandBrowse}
		}, action: wasteland},
		{name: "wasteland, refused", tagged: true, answer: ok(false), action: wasteland},
		{name: "wasteland, bead without its tag", answer: ok(true), action: wasteland},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &ExecComparer{Host: h, Actions: true, DiffDir: filepath.Join(t.TempDir(), "diffs")}
			town := newTown(t)
			if _, err := town.UpdateTownConfig(model.TownConfigUpdate{OwnerUserID: model.Ptr("owner-1")}); err != nil {
				t.Fatal(err)
			}
			if err := town.AddRig(t0, rig, "widgets", gitURL, "main"); err != nil {
				t.Fatal(err)
			}
			if err := town.ConfigureRig(t0, model.RigRuntimeConfig{TownID: "town-1", RigID: rig, GitURL: gitURL, DefaultBranch: "main", UserID: "user-1"}); err != nil {
				t.Fatal(err)
			}
			meta := map[string]any{}
			if tc.tagged {
				meta["wasteland"] = map[string]any{"wasteland_id": "wl-1", "item_id": "item-9"}
			}
			b, err := town.CreateBead(t0, model.CreateBeadInput{Type: model.TypeIssue, Title: "work", RigID: rig, Metadata: meta})
			if err != nil {
				t.Fatal(err)
			}
			agent, err := town.RegisterAgent(t0, model.RolePolecat, "Clover", "Clover-identity", rig)
			if err != nil {
				t.Fatal(err)
			}
			env := &model.InstantEnv{Clock: t0.Add(time.Minute), Respond: tc.answer}
			eff, err := c.Apply(town, env, tc.action(b.ID, agent.ID))
			if err != nil || eff == nil {
				t.Fatalf("apply: %v, effect %v", err, eff)
			}
			if err := eff.Run(env); err != nil {
				t.Logf("the effect rejected: %v", err)
			}
			if c.Err() != nil {
				t.Fatal(c.Err())
			}
			s := c.ActionStats
			if s.Compared != 2 || len(s.ByType) != 1 || s.ByType[0].EffectRows != 1 {
				t.Fatalf("compared %+v: want the synchronous part and the effect, its rows", s)
			}
			for _, f := range c.Differences {
				rec := readStep(t, f)
				t.Errorf("%s differs: rows %+v; calls %+v / %+v; analytics %+v / %+v; errors %q / %q",
					rec.Part, rec.Rows, rec.PortCalls, rec.OriginalCalls, rec.PortAnalytics, rec.OriginalAnalytics, rec.PortError, rec.OriginalError)
			}
		})
	}
}

func dispatch(bead, _ string) reconciler.Action {
	return reconciler.Action{Type: reconciler.DispatchAgent, AgentID: "", BeadID: bead, RigID: "rig-1"}
}

func nudge(_, agent string) reconciler.Action {
	return reconciler.Action{Type: reconciler.SendNudge, AgentID: agent, Message: "are you there?", Tier: "warn"}
}

func wasteland(bead, _ string) reconciler.Action {
	return reconciler.Action{Type: reconciler.ReportWastelandDone, CanonicalBeadID: bead, WastelandID: "wl-1", ItemID: "item-9",
		Evidence: "https://github.com/acme/widgets/pull/42"}
}

func status(code int, body string) func(model.Call) model.Result {
	return func(model.Call) model.Result { return model.Result{StatusCode: code, Body: body, OK: true} }
}

func ok(b bool) func(model.Call) model.Result {
	return func(model.Call) model.Result { return model.Result{OK: b} }
}
