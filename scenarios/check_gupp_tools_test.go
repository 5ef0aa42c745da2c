package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// safety/gupp-warn-spares-running-tool fires on a GUPP warn for an agent
// whose last heartbeat before the tick reported a running tool; and not
// for an empty or absent tool list, a heartbeat that came during the tick,
// or GUPP's escalation (which does not look at tools).
func TestGUPPWarnSparesRunningToolFires(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	before, during := at.Add(-20*time.Second), at.Add(time.Second)
	for _, tc := range []struct {
		name  string
		rule  string
		tools []string
		beat  time.Time
		fires bool
	}{
		{"warn with a tool running", "GUPP-warn", []string{"bash"}, before, true},
		{"warn with no tool", "GUPP-warn", []string{}, before, false},
		{"warn, no tool list sent", "GUPP-warn", nil, before, false},
		{"warn, heartbeat during the tick", "GUPP-warn", []string{"bash"}, during, false},
		{"escalate with a tool running", "GUPP-escalate", []string{"bash"}, before, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &checker{now: at, seen: map[string]bool{}}
			pv := sim.ProcessView{AgentID: "agent-1", Live: true, State: "running", LastHeartbeat: tc.beat, LastTools: tc.tools}
			v := &tickView{rec: &sim.TickRecord{At: at, End: at.Add(2 * time.Second)},
				byAgent: map[string]sim.ProcessView{pv.AgentID: pv}, holds: map[string]bool{}}
			p := propByName(t, PropGUPPWarnSparesTool).(*guppWarnToolProp)
			p.action(c, reconciler.Action{Rule: tc.rule, Type: reconciler.SendNudge, AgentID: "agent-1"}, v)
			wantFired(t, c, PropGUPPWarnSparesTool, tc.fires)
		})
	}
}
