package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// cancelledWhileExiting: users close or fail most issues within minutes
// while four in five agent processes crash, and the container answers
// T4's status checks slowly (2-6 s each). A user's close lands while a
// tick is still polling: the issue is already terminal (the RPC sets it
// at once and only queues bead_cancelled) when the drain applies the
// crashed polecat's earlier exited event, so that application sees a
// working polecat hooked to a terminal bead — which it idles and leaves
// hooked (only a refinery is unhooked there; the cancellation that
// follows in the same drain unhooks the polecat).
func cancelledWhileExiting() Scenario {
	c := Default()
	c.Containers.Healthy = 1
	c.Containers.Crashed = sim.Stage{Weight: 4, After: des.Exp(time.Minute)}
	c.Latency.AgentStatus = des.Uniform(100*time.Millisecond, 20*time.Second)
	c.Workload.Cancel = 0.9
	c.Workload.CancelFailed = 0.5
	c.Workload.CancelAfter = des.Uniform(30*time.Second, 4*time.Minute)
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "cancelled-while-exiting",
		Purpose: "users close or fail most issues within minutes while agent processes crash and T4's status checks answer slowly: " +
			"a close lands between an exit's queued event and its drain",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.TransitionAgent, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
