package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// queueCut: the Town's event queue under the drain's own faults. For the
// first 40 minutes one drain in eight fails to read the queue and one
// event application in twenty throws half-way, so events (container
// status observations among them) wait for the next tick, when the
// alarm observes the same containers again and its upsert meets a
// pending event of the same agent — also when the agent's own reports
// came in since (the container reports some exits twice, some gt_done
// land late), so the agent's newest pending event is not a status. A fifth of the status checks that find
// a polecat's process not running are served a user's deleteAgent of
// that polecat while the alarm awaits the answer
// (workload.delete_agent_while_observed): the alarm then queues a status
// for an agent that is gone, which the drain must skip.
func queueCut() Scenario {
	c := Default()
	c.Rigs = 2
	c.Agents = 6
	c.Faults.Rates = map[string]float64{model.FPDrainRead: 0.125, model.FPEventApply: 0.05,
		sim.FaultDuplicateCompleted: 0.3, sim.FaultLateDone: 0.2}
	c.Faults.Heal = 40 * time.Minute
	c.Workload.DeleteAgentWhileObserved = 0.2
	c.Duration = 90 * time.Minute
	return Scenario{
		Name: "queue-cut",
		Purpose: "the drain's read fails one tick in eight and an event application one in twenty for 40 min " +
			"(status observations wait and meet the next tick's upsert, exit reports come twice, gt_done late); users delete a fifth of the polecats " +
			"whose process the alarm finds not running, while it awaits the container's answer",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// lateConflicts: PRs get review comments, failing checks and conflicts,
// and for seven in ten feedback beads on PRs with comments the PR turns
// dirty halfway through the polecat's work: the Town marks that
// bead has_conflicts instead of opening a conflict bead, and the polecat
// that finishes it resolves the conflicts too.
func lateConflicts() Scenario {
	c := Default()
	c.GitHub.Merge = 1
	c.GitHub.Comments = 2
	c.GitHub.FailingChecks = 1
	c.GitHub.Conflict = 1
	c.GitHub.LateConflict = 0.7
	c.Duration = 90 * time.Minute
	return Scenario{
		Name: "late-conflicts",
		Purpose: "PRs get comments, failing checks and conflicts; most PRs with comments turn dirty while a polecat " +
			"works on their feedback bead (github.late_conflict)",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
