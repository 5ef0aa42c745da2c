package differential

import (
	"testing"

	"github.com/townsim/townsim/model"
)

func TestDeltaAndNormalisation(t *testing.T) {
	schema := map[string][]string{"beads": {"bead_id", "status", "metadata"}, "agents": {"bead_id", "status"}}
	beads := func(rows ...[]any) model.TableRows {
		return model.TableRows{Name: "beads", Columns: []string{"rowid", "bead_id", "status", "metadata", "port_only"}, Rows: rows}
	}
	before := []model.TableRows{beads([]any{int64(1), "b-1", "open", "{}", "x"}, []any{int64(2), "b-2", "open", nil, "x"})}
	for _, c := range []struct {
		name  string
		after []model.TableRows
		orig  []Change
		diffs int
		cols  []string
	}{
		{"nothing changed", before, nil, 0, nil},
		{"a column the original lacks changed", []model.TableRows{beads([]any{int64(1), "b-1", "open", "{}", "y"}, []any{int64(2), "b-2", "open", nil, "x"})}, nil, 0, nil},
		{"same update", []model.TableRows{beads([]any{int64(1), "b-1", "closed", "{}", "x"}, []any{int64(2), "b-2", "open", nil, "x"})},
			[]Change{{Table: "beads", RowID: 1, Op: "update", Row: map[string]any{"bead_id": "b-1", "status": "closed", "metadata": "{}"}}}, 0, nil},
		{"other value", []model.TableRows{beads([]any{int64(1), "b-1", "closed", "{}", "x"}, []any{int64(2), "b-2", "open", nil, "x"})},
			[]Change{{Table: "beads", RowID: 1, Op: "update", Row: map[string]any{"bead_id": "b-1", "status": "failed", "metadata": "{}"}}}, 1, []string{"status"}},
		{"new ids and JSON key order", []model.TableRows{beads([]any{int64(1), "b-1", "open", `{"child":"port-id-1","a":1}`, "x"}, []any{int64(2), "b-2", "open", nil, "x"}, []any{int64(3), "port-id-1", "open", nil, "x"})},
			[]Change{
				{Table: "beads", RowID: 1, Op: "update", Row: map[string]any{"bead_id": "b-1", "status": "open", "metadata": `{"a":1,"child":"orig-id-1"}`}},
				{Table: "beads", RowID: 3, Op: "insert", Row: map[string]any{"bead_id": "orig-id-1", "status": "open", "metadata": nil}},
			}, 0, nil},
		{"a delete only one side made", []model.TableRows{beads([]any{int64(1), "b-1", "open", "{}", "x"})}, nil, 1, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := Delta(schema, before, c.after)
			d := compareDeltas(schema, port, c.orig)
			if len(d) != c.diffs {
				t.Fatalf("port %+v vs original %+v: %d differing rows %+v, want %d", port, c.orig, len(d), d, c.diffs)
			}
			if c.cols != nil && (len(d[0].Columns) != len(c.cols) || d[0].Columns[0] != c.cols[0]) {
				t.Errorf("differing columns %v, want %v", d[0].Columns, c.cols)
			}
		})
	}
}

func TestAcceptedBodyWording(t *testing.T) {
	ins := func(body any) *Change {
		return &Change{Table: "beads", RowID: 9, Op: "insert", Row: map[string]any{"body": body}}
	}
	for _, c := range []struct {
		name, kind, typ string
		d               DeltaDiff
		accepted        bool
	}{
		{"feedback body", KindEvent, "pr_feedback_detected", DeltaDiff{Table: "beads", Port: ins("ours"), Original: ins("theirs"), Columns: []string{"body"}}, true},
		{"conflict body", KindEvent, "pr_conflict_detected", DeltaDiff{Table: "beads", Port: ins("ours"), Original: ins("theirs"), Columns: []string{"body"}}, true},
		{"empty body", KindEvent, "pr_feedback_detected", DeltaDiff{Table: "beads", Port: ins(""), Original: ins("theirs"), Columns: []string{"body"}}, false},
		{"body and title", KindEvent, "pr_feedback_detected", DeltaDiff{Table: "beads", Port: ins("a"), Original: ins("b"), Columns: []string{"body", "title"}}, false},
		{"another event", KindEvent, "agent_done", DeltaDiff{Table: "beads", Port: ins("a"), Original: ins("b"), Columns: []string{"body"}}, false},
		{"an action", KindAction, "pr_feedback_detected", DeltaDiff{Table: "beads", Port: ins("a"), Original: ins("b"), Columns: []string{"body"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &StepComparison{Kind: c.kind, Type: c.typ, Rows: []DeltaDiff{c.d}}
			accept(s)
			if got := len(s.Rows) == 0 && len(s.Accepted) == 1; got != c.accepted {
				t.Errorf("accepted %v, want %v (%+v)", got, c.accepted, s)
			}
		})
	}
}
