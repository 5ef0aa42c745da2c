package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// queueCut: the Town's event queue under the drain's own faults. For the
// first 40 minutes one drain in eight fails to read the queue and one
// event application in twenty throws half-way, so events (container
// status observations among them) wait for the next tick, when the
// alarm observes the same containers again and its upsert meets a
// pending event of the same agent. A fifth of the status checks that find
// a polecat's process not running are served a user's deleteAgent of
// that polecat while the alarm awaits the answer
// (workload.delete_agent_while_observed): the alarm then queues a status
// for an agent that is gone, which the drain must skip.
func queueCut() Scenario {
	c := Default()
	c.Rigs = 2
	c.Agents = 6
	c.Faults.Rates = map[string]float64{model.FPDrainRead: 0.125, model.FPEventApply: 0.05}
	c.Faults.Heal = 40 * time.Minute
	c.Workload.DeleteAgentWhileObserved = 0.2
	c.Duration = 90 * time.Minute
	return Scenario{
		Name: "queue-cut",
		Purpose: "the drain's read fails one tick in eight and an event application one in twenty for 40 min " +
			"(status observations wait and meet the next tick's upsert); users delete a fifth of the polecats " +
			"whose process the alarm finds not running, while it awaits the container's answer",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// lateConflicts: PRs get review comments, failing checks and conflicts,
// and seven in ten of those with comments turn dirty one CI run later,
// while their feedback bead is often still at work: the Town marks that
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
		Purpose: "PRs get comments, failing checks and conflicts; most PRs with comments turn dirty one CI run later, " +
			"while their feedback bead is at work (github.late_conflict)",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
