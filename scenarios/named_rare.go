package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
)

// Scenarios for the rare branches of the reconciler: each puts the world
// where production reaches a rule the everyday scenarios never fire.

// longStall: sessions that freeze within minutes while their processes
// keep heartbeating, in a direct-merge town (merge requests without a PR).
// GUPP force-stops a frozen agent 2 h after its last SDK event (stalled,
// stop request, triage request); a frozen refinery leaves its merge
// request in_progress without a PR, and once the stopped refinery is idle
// RQ-2 (30 min stale, no working agent) and RQ-3 (2 min stale, no agent
// hooked) return it to the queue.
func longStall() Scenario {
	c := Default()
	c.Rigs = 1
	c.Agents = 3
	c.Town.MergeStrategy = "direct"
	c.Containers.Healthy = 1
	c.Containers.Stuck.Weight = 3
	c.Containers.Stuck.After = des.Uniform(30*time.Second, 3*time.Minute)
	c.Workload.IssuesPerHour = 3
	c.Workload.Unassigned = 0
	c.WorkloadStop = 40 * time.Minute
	c.Duration = 3 * time.Hour
	return Scenario{
		Name: "long-stall",
		Purpose: "sessions that freeze within minutes and keep heartbeating, in a direct-merge town: GUPP's force stop (2 h), " +
			"a frozen refinery's merge request returned to the queue by RQ-2/RQ-3",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.StopAgent, reconciler.TransitionAgent, reconciler.UnhookAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
