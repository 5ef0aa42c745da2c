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

// prChecksPaginated: a third of the PRs run more CI check runs than one
// page of GitHub's check-runs listing (over 100, a large CI matrix).
// Production reads only the first page, so its feedback reports unchecked
// runs and never that all checks pass: with auto-resolve on (the new-town
// default) every poll of such a PR with no live feedback bead creates one
// ("unchecked CI runs"), and auto-merge never merges it; humans, who see
// every run, merge it once green.
func prChecksPaginated() Scenario {
	c := Default()
	c.Rigs = 2
	c.Agents = 4
	c.GitHub.ManyChecks = 0.35
	c.WorkloadStop = 50 * time.Minute
	c.Duration = 90 * time.Minute
	return Scenario{
		Name: "pr-checks-paginated",
		Purpose: "a third of the PRs run over 100 CI check runs, more than the one page production reads: " +
			"feedback reports unchecked runs, auto-resolve creates feedback beads for them, auto-merge waits for humans",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// wastelandUntagged: wasteland-reported where, for half the wanted items
// the Town reports done, the user who claimed the item removes its tag
// from the claim's beads while the Town's done call is still answering
// (workload.wasteland_untag): the Town's stamp then finds beads that are
// no longer tagged and must leave them so.
func wastelandUntagged() Scenario {
	s := wastelandReported()
	c := s.Config
	c.Workload.WastelandUntag = 0.5
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "wasteland-untagged",
		Purpose: "wasteland-reported where users remove half the claims' tags while the Town's done call answers: " +
			"the report's stamp must not land on a bead that is no longer tagged",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.PollPR, reconciler.ReportWastelandDone},
			Bounds:  s.Expect.Bounds,
		},
	}
}

// agentsFail: a quarter of the polecats' work ends in a failed exit
// report (work.failed: the agent gave up, agent_completed(failed) without
// gt_done) and some sessions end without gt_done (containers.exited:
// agent_completed(completed)), while refineries' reviews fail now and
// then (work.review_fail). The Town fails a non-refinery's hooked bead on
// a failed report, leaves it alone on a plain completed one, and leaves a
// refinery's merge request to the reconcile rules (model.md §4.19).
func agentsFail() Scenario {
	c := Default()
	c.Rigs = 2
	c.Agents = 4
	c.Work.Done, c.Work.Failed = 3, 1
	c.Work.ReviewFail = 0.3
	c.Containers.Exited = sim.Stage{Weight: 0.3, After: des.Uniform(2*time.Minute, 10*time.Minute)}
	c.WorkloadStop = 50 * time.Minute
	c.Duration = 90 * time.Minute
	return Scenario{
		Name: "agents-fail",
		Purpose: "polecats whose work ends in a failed exit report, sessions that end without gt_done, failing reviews: " +
			"each exit report's effect on the hooked bead depends on the agent's role",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
