package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// safety/exit-report-matches-role fires when a refinery's exit report
// fails, reopens or releases its merge request, or another agent's failed
// or eviction report leaves its bead as it was; and stays quiet on the
// effects the spec gives each role, and on a report applied with the
// agent's own gt_done.
func TestExitReportMatchesRoleFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	agent := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	bead := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	at := c.now.Add(time.Hour)
	view := func(d time.Duration) *tickView {
		c.now = at.Add(d)
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{}, w: c.world, db: db,
			byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}}
	}
	second := model.ISO(at.Add(10 * time.Second))
	for _, tc := range []struct {
		name, role, status, reason string
		done                       bool   // the agent's gt_done in the same drain
		event                      string // a status change by the agent in the tick ("" = none)
		endStatus                  string
		unhook                     bool
		fires                      bool
	}{
		{"refinery failed: MR failed", model.RoleRefinery, "failed", "review error", false, "failed", "failed", true, true},
		{"refinery evicted: MR reopened", model.RoleRefinery, "completed", "container eviction", false, "open", "open", true, true},
		{"refinery failed: hook released", model.RoleRefinery, "failed", "", false, "", "in_progress", true, true},
		{"refinery failed: left alone", model.RoleRefinery, "failed", "review error", false, "", "in_progress", false, false},
		{"refinery evicted: left alone", model.RoleRefinery, "completed", "container eviction", false, "", "in_progress", false, false},
		{"polecat failed: bead left", model.RolePolecat, "failed", "agent error", false, "", "in_progress", true, true},
		{"polecat failed: still hooked", model.RolePolecat, "failed", "agent error", false, "failed", "failed", false, true},
		{"polecat failed: bead failed", model.RolePolecat, "failed", "agent error", false, "failed", "failed", true, false},
		{"polecat evicted: bead kept", model.RolePolecat, "completed", "container eviction", false, "", "in_progress", false, true},
		{"polecat evicted: unhooked, bead kept", model.RolePolecat, "completed", "container eviction", false, "", "in_progress", true, true},
		{"polecat completed: bead reopened", model.RolePolecat, "completed", "", false, "open", "open", true, true},
		{"polecat evicted: bead reopened", model.RolePolecat, "completed", "container eviction", false, "open", "open", true, false},
		{"polecat completed", model.RolePolecat, "completed", "", false, "", "in_progress", true, false},
		{"polecat completed: bead failed", model.RolePolecat, "completed", "", false, "failed", "failed", true, true},
		{"with its gt_done", model.RoleRefinery, "failed", "", true, "failed", "failed", true, false},
		{"refinery evicted: MR merged meanwhile", model.RoleRefinery, "completed", "container eviction", false, "", "closed", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			exec(`DELETE FROM town_events`)
			exec(`DELETE FROM bead_events WHERE bead_id = ?`, bead)
			exec(`UPDATE agent_metadata SET role = ?, status = 'working', current_hook_bead_id = ? WHERE bead_id = ?`, tc.role, bead, agent)
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, bead)
			p := propByName(t, PropCompletionByRole).(*completionProp)
			p.tick(c, view(0))
			exec(`INSERT INTO town_events (event_id, event_type, agent_id, payload, created_at, processed_at)
				VALUES (?, 'agent_completed', ?, json_object('status', ?, 'reason', ?), ?, ?)`,
				"ev-c-"+tc.name, agent, tc.status, tc.reason, second, second)
			if tc.done {
				exec(`INSERT INTO town_events (event_id, event_type, agent_id, payload, created_at, processed_at)
					VALUES (?, 'agent_done', ?, '{}', ?, ?)`, "ev-d-"+tc.name, agent, second, second)
			}
			if tc.event != "" {
				exec(`INSERT INTO bead_events (bead_event_id, bead_id, agent_id, event_type, old_value, new_value, created_at)
					VALUES (?, ?, ?, 'status_changed', 'in_progress', ?, ?)`, "be-"+tc.name, bead, agent, tc.event, second)
			}
			exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, tc.endStatus, bead)
			if tc.unhook {
				exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL WHERE bead_id = ?`, agent)
			}
			p.tick(c, view(10*time.Second))
			wantFired(t, c, PropCompletionByRole, tc.fires)
		})
	}
}
