package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// stuckInTool: sessions that freeze within minutes, half of them inside a
// tool call that never returns (a hung command). Production's container
// reports the session's running tools on every heartbeat, so the frozen
// ones keep naming that tool: GUPP's warn tier (15 min silent with no tool
// running) spares them, its escalation (1 h) and force stop (2 h) do not.
// The other half are silent with no tool and are warned.
func stuckInTool() Scenario {
	c := Default()
	c.Agents = 4
	c.Containers.Healthy = 1
	c.Containers.Stuck = sim.Stage{Weight: 2, After: des.Uniform(time.Minute, 5*time.Minute)}
	c.Containers.StuckInTool = 0.5
	c.WorkloadStop = 40 * time.Minute
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "stuck-in-tool",
		Purpose: "sessions frozen within minutes, half inside a hung tool call whose heartbeats keep reporting it: " +
			"GUPP warns only the silent ones with no tool running, escalates both",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.SendNudge, reconciler.CreateTriageRequest},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
