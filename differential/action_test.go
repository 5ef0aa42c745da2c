package differential

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/townsim/townsim/model/reconciler"
)

// One action of every type, as production writes it.
var productionActions = []string{
	`{"type":"transition_bead","bead_id":"b","from":null,"to":"open","reason":"r","actor":"system"}`,
	`{"type":"assign_bead","bead_id":"b","agent_id":"a"}`,
	`{"type":"clear_bead_assignee","bead_id":"b"}`,
	`{"type":"create_mr_bead","source_bead_id":"s","agent_id":"a","rig_id":"r","branch":"x","target_branch":"main","pr_url":"u","summary":"s"}`,
	`{"type":"create_landing_mr","convoy_id":"c","rig_id":"r","feature_branch":"f","target_branch":"main"}`,
	`{"type":"close_sibling_mrs","source_bead_id":"s","exclude_mr_id":"m"}`,
	`{"type":"set_review_pr_url","bead_id":"b","pr_url":"u"}`,
	`{"type":"transition_agent","agent_id":"a","from":"working","to":"idle","reason":"r"}`,
	`{"type":"reset_agent_dispatch_attempts","agent_id":"a"}`,
	`{"type":"hook_agent","agent_id":"a","bead_id":"b"}`,
	`{"type":"unhook_agent","agent_id":"a","reason":"r"}`,
	`{"type":"clear_agent_checkpoint","agent_id":"a"}`,
	`{"type":"delete_agent","agent_id":"a","reason":"r"}`,
	`{"type":"update_convoy_progress","convoy_id":"c","closed_beads":3}`,
	`{"type":"set_convoy_ready_to_land","convoy_id":"c"}`,
	`{"type":"close_convoy","convoy_id":"c"}`,
	`{"type":"fail_convoy","convoy_id":"c","reason":"r"}`,
	`{"type":"dispatch_agent","agent_id":"","bead_id":"b","rig_id":"r"}`,
	`{"type":"stop_agent","agent_id":"a","reason":"r"}`,
	`{"type":"poll_pr","bead_id":"b","pr_url":"u"}`,
	`{"type":"merge_pr","bead_id":"b","pr_url":"u"}`,
	`{"type":"send_nudge","agent_id":"a","message":"m","tier":"warn"}`,
	`{"type":"create_triage_request","agent_id":"a","triage_type":"t","reason":"r"}`,
	`{"type":"notify_mayor","message":"m"}`,
	`{"type":"emit_event","event_name":"e","data":{"convoyId":"c","suppressedAttempt":2}}`,
	`{"type":"report_wasteland_done","canonical_bead_id":"b","wasteland_id":"w","item_id":"i","evidence":"e"}`,
}

func TestActionRoundTripEveryType(t *testing.T) {
	seen := map[string]bool{}
	for _, raw := range productionActions {
		a, err := ParseAction(json.RawMessage(raw))
		if err != nil {
			t.Fatalf("parse %s: %v", raw, err)
		}
		seen[a.Type] = true
		enc, err := EncodeAction(a)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Replace(raw, `"suppressedAttempt":2`, `"suppressedAttempt":"2"`, 1)
		if string(enc) != want {
			t.Errorf("round trip:\n got %s\nwant %s", enc, want)
		}
	}
	for _, typ := range reconciler.ActionTypes {
		if !seen[typ] {
			t.Errorf("no round-trip case for %s", typ)
		}
	}
}

func TestParseActionFields(t *testing.T) {
	a, err := ParseAction(json.RawMessage(productionActions[0]))
	if err != nil || !a.FromNull || a.From != "" || a.Actor != "system" {
		t.Errorf("transition_bead from null: %+v %v", a, err)
	}
	a, _ = ParseAction(json.RawMessage(`{"type":"emit_event","event_name":"e","data":{"z":"1","a":2,"m":{"x":true}}}`))
	if got := a.EventData; len(got) != 3 || got[0] != [2]string{"z", "1"} || got[1] != [2]string{"a", "2"} || got[2] != [2]string{"m", `{"x":true}`} {
		t.Errorf("data must keep its key order and read numbers as text: %v", got)
	}
	a, err = ParseAction(json.RawMessage(`{"type":"create_mr_bead","source_bead_id":"s","agent_id":"a","rig_id":"r","branch":"x","target_branch":"main"}`))
	if err != nil || a.PRURL != "" || a.Summary != "" {
		t.Errorf("optional pr_url and summary: %+v %v", a, err)
	}
}

func TestParseActionStrict(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`{"type":"teleport_agent","agent_id":"a"}`, `"teleport_agent" is not one the port knows`},
		{`{"type":"assign_bead","bead_id":"b"}`, "has no agent_id"},
		{`{"type":"assign_bead","bead_id":"b","agent_id":"a","urgency":1}`, "keys the port does not know: urgency"},
		{`{"type":"assign_bead","bead_id":7,"agent_id":"a"}`, "bead_id"},
		{`{"type":"update_convoy_progress","convoy_id":"c","closed_beads":"3"}`, "closed_beads"},
		{`{"bead_id":"b"}`, "no string type"},
		{`[1]`, "action"},
	} {
		if _, err := ParseAction(json.RawMessage(tc.raw)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseAction(%s) = %v, want an error containing %q", tc.raw, err, tc.want)
		}
	}
}

func TestCompareVerdicts(t *testing.T) {
	mayor := func(m string) reconciler.Action { return reconciler.Action{Type: reconciler.NotifyMayor, Message: m} }
	raw := func(m string) json.RawMessage {
		enc, _ := EncodeAction(mayor(m))
		return enc
	}
	for _, tc := range []struct {
		name         string
		port         []reconciler.Action
		portErr      error
		orig         Outcome
		same, order  bool
		onlyP, onlyO int
	}{
		{name: "equal", port: []reconciler.Action{mayor("a"), mayor("b")}, orig: Outcome{Actions: []json.RawMessage{raw("a"), raw("b")}}, same: true},
		{name: "both empty", orig: Outcome{}, same: true},
		{name: "order", port: []reconciler.Action{mayor("a"), mayor("b")}, orig: Outcome{Actions: []json.RawMessage{raw("b"), raw("a")}}, order: true},
		{name: "duplicate counts", port: []reconciler.Action{mayor("a"), mayor("a")}, orig: Outcome{Actions: []json.RawMessage{raw("a")}}, onlyP: 1},
		{name: "extra original", port: []reconciler.Action{mayor("a")}, orig: Outcome{Actions: []json.RawMessage{raw("a"), raw("c")}}, onlyO: 1},
		{name: "original key order does not matter", port: []reconciler.Action{{Type: reconciler.AssignBead, BeadID: "b", AgentID: "a"}},
			orig: Outcome{Actions: []json.RawMessage{json.RawMessage(`{"agent_id":"a","type":"assign_bead","bead_id":"b"}`)}}, same: true},
		{name: "unparsable original", orig: Outcome{Actions: []json.RawMessage{json.RawMessage(`{"type":"teleport"}`)}}, onlyO: 1},
		{name: "both threw", portErr: errBoom, orig: Outcome{Threw: true, Error: "x"}, same: true},
		{name: "only original threw", orig: Outcome{Threw: true, Error: "x"}},
		{name: "only port threw", portErr: errBoom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(tc.port, tc.portErr, tc.orig)
			if c.Same != tc.same || c.OrderOnly != tc.order || len(c.OnlyPort) != tc.onlyP || len(c.OnlyOriginal) != tc.onlyO {
				t.Errorf("got same=%v order=%v onlyPort=%d onlyOriginal=%d", c.Same, c.OrderOnly, len(c.OnlyPort), len(c.OnlyOriginal))
			}
		})
	}
}

type boom struct{}

func (boom) Error() string { return "reconcileGC: boom" }

var errBoom error = boom{}

func TestTableCounts(t *testing.T) {
	var tab Table
	tab.Add(&Comparison{Same: true})
	tab.Add(&Comparison{PortError: "reconcileGC: boom", ThrowRule: "reconcileGC"})
	tab.Add(&Comparison{OriginalError: "zod", ThrowRule: "reconcileBeads"})
	tab.Add(&Comparison{OnlyPort: []Entry{{Rule: "reconcileGUPP", Type: "send_nudge"}}, OnlyOriginal: []Entry{{Rule: "reconcileAgents", Type: "transition_agent"}, {Type: "notify_mayor"}}})
	tab.Add(&Comparison{OrderOnly: true})
	want := []Row{
		{Rule: "reconcileAgents", Type: "transition_agent", OnlyOriginal: 1},
		{Rule: "reconcileBeads", Type: ThrewType, OnlyOriginal: 1},
		{Rule: "reconcileGUPP", Type: "send_nudge", OnlyPort: 1},
		{Rule: "reconcileGC", Type: ThrewType, OnlyPort: 1},
		{Rule: "?", Type: "(order)", Reordered: 1},
		{Rule: "?", Type: "notify_mayor", OnlyOriginal: 1},
	}
	if len(tab.Rows) != len(want) {
		t.Fatalf("rows %+v", tab.Rows)
	}
	for i := range want {
		if tab.Rows[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, tab.Rows[i], want[i])
		}
	}
}
