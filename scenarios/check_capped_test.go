package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// safety/capped-work-failed fires when the reconcile leaves alive an open,
// unassigned issue at its attempt cap (BD-1, not while draining) or an
// idle agent's open hooked bead at the cap (BD-2, draining or not); it
// stays quiet when the reconcile fails the bead, under the cap, and on a
// held or blocked issue.
func TestCappedWorkFailedFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	issue := one(`SELECT bead_id FROM beads WHERE type = 'issue' AND rig_id IS NOT NULL ORDER BY bead_id LIMIT 1`)
	blocker := one(`SELECT bead_id FROM beads WHERE type = 'issue' AND bead_id != ? ORDER BY bead_id LIMIT 1`, issue)
	agent := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	limit := c.world.Town().Knobs().MaxDispatchAttempts
	reset := func() {
		exec(`UPDATE beads SET dispatch_attempts = 0 WHERE type = 'issue'`)
		exec(`UPDATE agent_metadata SET status = 'working', current_hook_bead_id = NULL WHERE bead_id = ?`, agent)
		exec(`UPDATE beads SET assignee_agent_bead_id = NULL WHERE assignee_agent_bead_id IS NOT NULL`)
		exec(`DELETE FROM bead_dependencies WHERE bead_id = ? AND dependency_type = 'blocks'`, issue)
		exec(`UPDATE beads SET status = 'open', labels = '[]', dispatch_attempts = ? WHERE bead_id = ?`, limit, issue)
	}
	failIt := []reconciler.Action{{Rule: "BD-1", Type: reconciler.TransitionBead, BeadID: issue, From: model.StatusOpen, To: model.StatusFailed}}
	tests := []struct {
		name     string
		setup    func()
		acts     []reconciler.Action
		draining bool
		fires    bool
	}{
		{"BD-1 row at the cap left alive", nil, nil, false, true},
		{"BD-1 row at the cap failed", nil, failIt, false, false},
		{"BD-1 row while draining", nil, nil, true, false},
		{"under the cap", func() { exec(`UPDATE beads SET dispatch_attempts = ? WHERE bead_id = ?`, limit-1, issue) }, nil, false, false},
		{"held issue", func() { exec(`UPDATE beads SET labels = ? WHERE bead_id = ?`, `["`+model.LabelHeld+`"]`, issue) }, nil, false, false},
		{"live blocker", func() {
			exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, blocker)
			exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'blocks')`, issue, blocker)
		}, nil, false, false},
		{"BD-2 hooked bead at the cap left alive, draining", func() {
			exec(`UPDATE beads SET assignee_agent_bead_id = ? WHERE bead_id = ?`, agent, issue)
			exec(`UPDATE agent_metadata SET status = 'idle', current_hook_bead_id = ? WHERE bead_id = ?`, issue, agent)
		}, nil, true, true},
		{"BD-2 hooked bead at the cap failed", func() {
			exec(`UPDATE beads SET assignee_agent_bead_id = ? WHERE bead_id = ?`, agent, issue)
			exec(`UPDATE agent_metadata SET status = 'idle', current_hook_bead_id = ? WHERE bead_id = ?`, issue, agent)
		}, []reconciler.Action{{Rule: "BD-2", Type: reconciler.TransitionBead, BeadID: issue, FromNull: true, To: model.StatusFailed}}, false, false},
		{"BD-2 hooked bead of a working agent", func() {
			exec(`UPDATE beads SET assignee_agent_bead_id = ? WHERE bead_id = ?`, agent, issue)
			exec(`UPDATE agent_metadata SET status = 'working', current_hook_bead_id = ? WHERE bead_id = ?`, issue, agent)
		}, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reset()
			if tt.setup != nil {
				tt.setup()
			}
			c.failures = nil
			c.seen = map[string]bool{}
			p := propByName(t, PropCappedWorkFailed).(*cappedWorkProp)
			p.reconciled(c, db, tt.acts)
			p.tick(c, &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, w: c.world, db: db,
				res: &alarm.TickResult{Ran: true, Draining: tt.draining}})
			wantFired(t, c, PropCappedWorkFailed, tt.fires)
		})
	}
}
