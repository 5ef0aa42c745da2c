package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// gc-after-retention fires on deletions the world's facts do not allow
// and on an idle agent kept past the retention, over the rows of a real
// gc-retention run (26 h, which it passed).
func TestGCRetentionFires(t *testing.T) {
	c, db := passedRun(t, "gc-retention", 0)
	exec, _ := rowsOf(t, db)
	view := func() *tickView {
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{Ran: true}, w: c.world, db: db,
			holds: map[string]bool{}}
	}
	const agent = "agent-gc-test"
	started := func(p property, ago time.Duration, lightweight bool, role string) {
		p.(caller).call(c, model.Call{Kind: model.CallStartAgent, AgentID: agent, Role: role, Lightweight: lightweight},
			model.Result{StatusCode: 200}, c.now.Add(-ago))
	}
	gc := func(p property) {
		p.(actor).action(c, reconciler.Action{Rule: "GC", Type: reconciler.DeleteAgent, AgentID: agent}, view())
	}
	// the mayor's row made an idle polecat created at the start of the run
	idleSince := func(created time.Time) {
		exec(`UPDATE agent_metadata SET role = 'polecat', status = 'idle', current_hook_bead_id = NULL WHERE role = 'mayor'`)
		exec(`UPDATE beads SET created_at = ? WHERE bead_id IN (SELECT bead_id FROM agent_metadata WHERE role = 'polecat'
			AND status = 'idle' AND current_hook_bead_id IS NULL)`, model.ISO(created))
	}
	for _, tc := range []struct {
		name    string
		breakIt func(p property)
		fires   bool
	}{
		{"deleted 23 h after its last start", func(p property) { started(p, 23*time.Hour, false, model.RolePolecat); gc(p) }, true},
		{"deleted 25 h after its last start", func(p property) { started(p, 25*time.Hour, false, model.RolePolecat); gc(p) }, false},
		{"a triage agent deleted at once", func(p property) { started(p, time.Hour, true, model.RolePolecat); gc(p) }, false},
		{"a triage RESTART's target deleted at once", func(p property) {
			exec(`UPDATE beads SET metadata = json_object('agent_bead_id', ?, 'resolution_action', 'restart')
				WHERE bead_id = (SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1)`, agent)
			started(p, time.Minute, false, model.RolePolecat)
			gc(p)
		}, false},
		{"the mayor deleted", func(p property) { started(p, 25*time.Hour, false, model.RoleMayor); gc(p) }, true},
		{"a heartbeat 2 h ago", func(p property) {
			started(p, 25*time.Hour, false, model.RolePolecat)
			v := view()
			v.procs = []sim.ProcessView{{AgentID: agent, LastHeartbeat: c.now.Add(-2 * time.Hour)}}
			p.(ticker).tick(c, v)
			gc(p)
		}, true},
		{"an idle agent kept 26 h", func(p property) { idleSince(c.start); p.(ticker).tick(c, view()) }, true},
		{"an idle agent created an hour ago", func(p property) { idleSince(c.now.Add(-time.Hour)); p.(ticker).tick(c, view()) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT gc`)
			defer exec(`ROLLBACK TO gc`)
			c.failures, c.seen = nil, map[string]bool{}
			tc.breakIt(propByName(t, PropGCRetention))
			wantFired(t, c, PropGCRetention, tc.fires)
			if tc.fires {
				t.Log(c.failures[0])
			}
		})
	}
}
