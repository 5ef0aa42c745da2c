package differential

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// The host keeps its database between requests and gets only the rows
// that changed: updates, deletions, a table emptied, and a reset must all
// leave it holding exactly the port's state.
func TestIncrementalStateFollowsThePort(t *testing.T) {
	h := startFixture(t)
	town := newTown(t)
	ask := func(step string, want ...string) {
		t.Helper()
		tables, err := town.DB().Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		out, err := h.Reconcile(State{Now: t0, Tables: tables})
		if err != nil || out.Threw {
			t.Fatalf("%s: %+v %v", step, out, err)
		}
		var got []string
		for _, raw := range out.Actions {
			var a struct {
				AgentID string `json:"agent_id"`
			}
			json.Unmarshal(raw, &a)
			got = append(got, a.AgentID)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: actions for %v, want %v", step, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: actions for %v, want %v", step, got, want)
			}
		}
	}
	addAgent(t, town, "a1", t0.Add(-5*time.Minute), true)
	addAgent(t, town, "a2", t0.Add(-5*time.Second), true)
	ask("first state", "a1")
	execSQL(t, town, `UPDATE agent_metadata SET last_activity_at = ? WHERE bead_id = 'a1'`, model.ISO(t0.Add(-time.Second)))
	execSQL(t, town, `UPDATE agent_metadata SET last_activity_at = NULL WHERE bead_id = 'a2'`)
	ask("rows changed", "a2")
	execSQL(t, town, `DELETE FROM agent_metadata WHERE bead_id = 'a2'`)
	addAgent(t, town, "a3", time.Time{}, false)
	ask("a row removed, one added", "a3")
	execSQL(t, town, `DELETE FROM agent_metadata`)
	ask("table emptied")
	addAgent(t, town, "a4", time.Time{}, false)
	h.sent = nil // as after a host error: the next request starts from the empty schema
	ask("after a reset", "a4")
	// A state of another town entirely (townsim diff replays unrelated states).
	other := newTown(t)
	addAgent(t, other, "b1", time.Time{}, false)
	tables, _ := other.DB().Snapshot()
	out, err := h.Reconcile(State{Now: t0, Tables: tables})
	if err != nil || len(out.Actions) != 1 {
		t.Fatalf("another town: %+v %v", out, err)
	}
}

func TestRequestCarriesOnlyChanges(t *testing.T) {
	h := &Host{}
	town := newTown(t)
	addAgent(t, town, "a1", time.Time{}, false)
	snap := func() State {
		tables, err := town.DB().Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		return State{Now: t0, Tables: tables}
	}
	req, err := h.newRequest("reconcile", snap())
	if err != nil || !req.Reset {
		t.Fatalf("first request must reset: %+v %v", req.Reset, err)
	}
	rows := map[string]int{}
	for _, tj := range req.Tables {
		rows[tj.Name] = len(tj.Rows)
	}
	if rows["beads"] != 1 || rows["agent_metadata"] != 1 {
		t.Fatalf("first request rows %v", rows)
	}
	req, _ = h.newRequest("reconcile", snap())
	if req.Reset || len(req.Tables) != 0 {
		t.Fatalf("an unchanged state must send nothing: %+v", req.Tables)
	}
	execSQL(t, town, `UPDATE agent_metadata SET status = 'idle'`)
	execSQL(t, town, `DELETE FROM beads WHERE bead_id = 'a1' AND 0`)
	req, _ = h.newRequest("reconcile", snap())
	if len(req.Tables) != 1 || req.Tables[0].Name != "agent_metadata" || len(req.Tables[0].Rows) != 1 || req.Tables[0].Full {
		t.Fatalf("one changed row: %+v", req.Tables)
	}
	execSQL(t, town, `DELETE FROM agent_metadata`)
	req, _ = h.newRequest("reconcile", snap())
	if len(req.Tables) != 1 || len(req.Tables[0].Delete) != 1 || len(req.Tables[0].Rows) != 0 {
		t.Fatalf("one deleted row: %+v", req.Tables)
	}
}
