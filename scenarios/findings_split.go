package scenarios

import (
	"time"

	"github.com/townsim/townsim/model/reconciler"
)

// splitHookWindow is how long after the split a refinery's invariant #7
// is explained: the re-dispatched refinery's process starts and sends its
// first heartbeat within it (a cold start is at most 45 s in the world,
// production's start call times out at 60 s), after which
// invariant-7-heartbeat-before-ag1 or AG-1 takes over.
const splitHookWindow = time.Minute

// noteSplitHooks records the agents a tick's actions both unhooked by
// AG-4 and re-dispatched by RQ-6: the two rules read the same snapshot, so
// an idle refinery hooked to an in-progress merge request, stale and past
// its cooldown, is handed both, in that order.
func (c *checker) noteSplitHooks(actions []reconciler.Action) {
	var unhooked map[string]bool // most ticks have no AG-4 unhook: no map
	for _, a := range actions {
		switch {
		case a.Rule == "AG-4" && a.Type == reconciler.UnhookAgent:
			if unhooked == nil {
				unhooked = map[string]bool{}
			}
			unhooked[a.AgentID] = true
		case a.Rule == "RQ-6" && a.Type == reconciler.DispatchAgent && unhooked[a.AgentID]:
			c.splitHook[a.AgentID] = c.now
		}
	}
}

// ag4RQ6SplitHook is the finding for invariant #7 right after such a
// pass: dispatch_agent with an agent id sets the refinery working without
// hooking it, so it works the merge request unhooked.
func ag4RQ6SplitHook() Finding {
	return Finding{
		ID: "ag4-rq6-split-refinery-hook", Property: PropInvariant,
		Reason: "AG-4 and RQ-6 read the same snapshot: for an idle refinery hooked to an in-progress merge request, " +
			"stale and past its dispatch cooldown, AG-4 unhooks it and returns the merge request to open while RQ-6 " +
			"re-dispatches it to that merge request; the actions apply in order, and dispatch_agent with an agent id " +
			"sets the agent working and the bead in progress without hooking, so the refinery is working with no hook",
		Spec: "reconciler.md §2.1 AG-4, §2.3 RQ-6, §3 dispatch_agent (no hook when the agent is given), §4.1 #7",
		Condition: "invariant #7 on a refinery that a tick's actions unhooked (AG-4) and re-dispatched (RQ-6) " +
			"within the last minute",
		applies: func(v Violation, c *checker) bool {
			agent, ok := invariantOf(v, 7)
			if !ok {
				return false
			}
			at, ok := c.splitHook[agent]
			return ok && !at.After(c.now) && c.now.Sub(at) <= splitHookWindow
		},
	}
}
