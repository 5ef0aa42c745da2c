package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// liveness/gupp-warns-silent-agent fires when a heartbeating session frozen
// with no tool running gets no GUPP warn by 18 min; and stays quiet when
// it was warned (now or within the hour before), when a tool runs, when
// the Town drained meanwhile, or when no heartbeat after the freeze
// reached the Town.
func TestGUPPWarnsSilentAgentFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	agent := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	exec(`UPDATE agent_metadata SET status = 'working' WHERE bead_id = ?`, agent)
	stuck := c.now.Add(time.Hour)
	for _, tc := range []struct {
		name     string
		tools    []string
		warnAt   time.Duration // since the freeze; 0 = never
		drainAt  time.Duration // a draining tick since the freeze; 0 = none
		beatLate bool          // the last heartbeat came before the freeze
		fires    bool
	}{
		{"silent, never warned", []string{}, 0, 0, false, true},
		{"silent, warned at 15 min", []string{}, 15*time.Minute + 5*time.Second, 0, false, false},
		{"silent, warned 40 min before the freeze", []string{}, -40 * time.Minute, 0, false, false},
		{"silent, warned 2 h before the freeze", []string{}, -2 * time.Hour, 0, false, true},
		{"a tool running", []string{"bash"}, 0, 0, false, false},
		{"the Town drained", []string{}, 0, 10 * time.Minute, false, false},
		{"no heartbeat since the freeze", []string{}, 0, 0, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			beat := stuck.Add(17 * time.Minute)
			if tc.beatLate {
				beat = stuck.Add(-time.Second)
			}
			pv := sim.ProcessView{AgentID: agent, Role: model.RolePolecat, State: "running", Live: true, Stuck: true,
				StuckAt: stuck, LastHeartbeat: beat, LastTools: tc.tools}
			p := propByName(t, PropGUPPWarnsSilent).(*guppWarnSilentProp)
			tick := func(d time.Duration, draining bool) {
				c.now = stuck.Add(d)
				v := &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{Draining: draining}, w: c.world, db: db,
					procs: []sim.ProcessView{pv}, byAgent: map[string]sim.ProcessView{agent: pv}, holds: map[string]bool{}}
				if tc.warnAt != 0 && d == tc.warnAt {
					p.action(c, reconciler.Action{Rule: "GUPP-warn", Type: reconciler.SendNudge, AgentID: agent}, v)
				}
				p.tick(c, v)
			}
			if tc.warnAt < 0 {
				tick(tc.warnAt, false)
			}
			for _, d := range []time.Duration{0, tc.drainAt, 15*time.Minute + 5*time.Second, 18*time.Minute + 5*time.Second} {
				tick(d, tc.drainAt != 0 && d == tc.drainAt)
			}
			wantFired(t, c, PropGUPPWarnsSilent, tc.fires)
		})
	}
}
