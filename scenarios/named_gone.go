package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
)

// goneMidFlight: users remove things while the Town works on them, as
// production's pages let them. Two rigs whose users created them on
// branches other than main (one on develop, one on trunk: createRig takes
// any default branch), so every merge request's target shows whether the
// rig's branch reached it. A fifth of the issues are deleted through rig
// routes — half first through the other rig's route, half of them as a
// list with issues deleted before (deleteBeads, filtered to the route's
// rig, whose count the page shows) — and a fifth as their agent reports
// done. A tenth of the polecats that report done are deleted at once
// (tRPC deleteAgent) while their report is pending and their process has
// yet to exit, and a tenth of the polecats at work are deleted halfway
// through it (their process works on and reports for an agent that is
// gone); an admin force-resets each deleted agent a minute later from a
// stale list.
func goneMidFlight() Scenario {
	c := Default()
	c.Rigs = 2
	c.Town.DefaultBranches = []string{"develop", "trunk"}
	c.Workload.Delete = 0.2
	c.Workload.DeleteAfter = des.Uniform(10*time.Second, 20*time.Minute)
	c.Workload.DeleteOnDone = 0.2
	c.Workload.DeleteWrongRig = 0.5
	c.Workload.DeleteBulk = 0.5
	c.Workload.DeleteAgent = 0.1
	c.Workload.DeleteAgentMidWork = 0.1
	c.Workload.StaleAgentReset = 1
	// Convoys of two or three tasks, unstaged, four times as often as the
	// default town's, half landing as a whole: their tasks' merge requests
	// target the feature branch, their landing merge requests the rig's
	// branch.
	c.Workload.ConvoysPerHour = 2
	c.Workload.ConvoyMinTasks = 2
	c.Workload.ConvoyMaxTasks = 3
	c.Workload.Staged = 0
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "gone-mid-flight",
		Purpose: "rigs on develop and trunk; users delete issues through rig routes (some as lists), and agents " +
			"as they report done, which an admin then force-resets from a stale list",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// handMergedAtDelay: the default town for 2 h, where for 30 % of the PRs
// a human merges the PR by hand just as the town's auto-merge delay is up
// and closes its merge request in the Town's UI, while the Town's poll of
// that PR waits for its feedback answer (github.hand_merge_at_delay). The
// poll goes on with a green answer and queues pr_auto_merge for a merge
// request that is closed when the event is drained: the drain must skip
// an event whose merge request is gone or finished.
func handMergedAtDelay() Scenario {
	c := Default()
	c.GitHub.HandMergeAtDelay = 0.3
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "hand-merged-at-delay",
		Purpose: "humans merge PRs by hand and close their merge requests just as auto-merge is due, during the " +
			"Town's poll: pr_auto_merge is queued for a closed merge request",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
