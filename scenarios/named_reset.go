package scenarios

import (
	"time"

	"github.com/townsim/townsim/model/reconciler"
)

// refineryResetMidReview: a direct-merge town (merge requests without a
// PR) for 2 h, where an admin
// force-resets a third of the refineries at a uniform point of a review
// (production's adminForceResetAgent: unhook, then idle). The merge
// request stays in progress with nobody hooked and no PR yet, which is
// what the review queue's abandoned-review rule (RQ-3) exists for: it
// reopens the review 2 min after its last update, and a refinery takes
// it again. The reset refinery's process is not told: it works on and
// reports gt_done for an agent that lost its hook.
func refineryResetMidReview() Scenario {
	c := Default()
	c.Town.MergeStrategy = "direct" // merge requests without a PR: RQ-3's kind
	c.Workload.ResetRefineryMidReview = 0.3
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "refinery-reset-mid-review",
		Purpose: "an admin force-resets reviewing refineries mid-review; their PR-less merge requests are " +
			"left in progress with nobody hooked (RQ-3) while the processes work on",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// refineryHookedToIssue: the default town for 2 h, where an admin hooks
// the rig's idle refinery to the issue a polecat works on, for a fifth of
// the polecats, at a uniform point of the work (production's hookBead,
// workload.hook_refinery_mid_work): hookBead moves the issue's hook from
// the polecat to the refinery and leaves the refinery idle, hooked to an
// in-progress issue. The review queue re-dispatches an idle refinery
// hooked to its in-progress merge request (RQ-6); an issue is no
// refinery's work, so it must leave this one alone (the issue is
// recovered by the bead rules: BD-3 reopens it, BD-1 dispatches a
// polecat).
func refineryHookedToIssue() Scenario {
	c := Default()
	c.Workload.HookRefineryMidWork = 0.2
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "refinery-hooked-to-issue",
		Purpose: "an admin hooks the rig's idle refinery to an issue a polecat works on (hookBead): a refinery idle " +
			"on an in-progress issue, which the review queue must not dispatch",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
