package scenarios

import (
	"testing"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// safety/transition-from-what-was-read fires when a rule's transition
// names a from-status its bead or agent was not in when the reconcile read
// the Town, and stays quiet on transitions that start where their target
// was, on production's null from-status, and on other actions.
func TestTransitionFromFires(t *testing.T) {
	db, err := model.OpenDB("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE beads (bead_id TEXT PRIMARY KEY, status TEXT)`,
		`CREATE TABLE agent_metadata (bead_id TEXT PRIMARY KEY, status TEXT)`,
		`INSERT INTO beads VALUES ('mr-open', 'open'), ('mr-review', 'in_progress'), ('issue-rev', 'in_review')`,
		`INSERT INTO agent_metadata VALUES ('ag-work', 'working'), ('ag-idle', 'idle')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	bead := func(rule, id, from, to string) reconciler.Action {
		return reconciler.Action{Rule: rule, Type: reconciler.TransitionBead, BeadID: id, From: from, To: to}
	}
	agent := func(rule, id, from, to string) reconciler.Action {
		return reconciler.Action{Rule: rule, Type: reconciler.TransitionAgent, AgentID: id, From: from, To: to}
	}
	tests := []struct {
		name  string
		acts  []reconciler.Action
		fires bool
	}{
		{"RQ-3 reopens a reviewing MR", []reconciler.Action{bead("RQ-3", "mr-review", "in_progress", "open")}, false},
		{"RQ-5 pops an open MR, BD-4 an in-review issue", []reconciler.Action{
			bead("RQ-5", "mr-open", "open", "in_progress"), bead("BD-4", "issue-rev", "in_review", "open")}, false},
		{"AG-1 idles a working agent", []reconciler.Action{agent("AG-1", "ag-work", "working", "idle")}, false},
		{"production's null from-status", []reconciler.Action{{Rule: "BD-2", Type: reconciler.TransitionBead,
			BeadID: "mr-open", FromNull: true, To: "failed"}}, false},
		{"not a transition", []reconciler.Action{{Rule: "BD-1", Type: reconciler.DispatchAgent, BeadID: "mr-open", From: "closed"}}, false},
		{"RQ-3 names an open MR as in progress", []reconciler.Action{bead("RQ-3", "mr-open", "in_progress", "open")}, true},
		{"a bead that is not there", []reconciler.Action{bead("BD-3", "gone", "in_progress", "open")}, true},
		{"AG-1 idles an idle agent", []reconciler.Action{agent("AG-1", "ag-idle", "working", "idle")}, true},
		{"one wrong among right ones", []reconciler.Action{
			bead("RQ-5", "mr-open", "open", "in_progress"), bead("RQ-2", "issue-rev", "in_progress", "open")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := propByName(t, PropTransitionFrom).(*transitionFromProp)
			got := firedOn(t, PropTransitionFrom, func(c *checker) {
				p.reconciled(c, db, tt.acts)
				p.everyTick(c, nil, nil)
			})
			if got != tt.fires {
				t.Errorf("fired %v, want %v", got, tt.fires)
			}
			if len(p.pending) != 0 {
				t.Errorf("%d violations still pending after the tick", len(p.pending))
			}
		})
	}
}
