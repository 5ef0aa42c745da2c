package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// mergeCut: the default town where a fifth of the drain's event
// applications throw after their first write (the events/apply failpoint,
// production's no-transaction error model): a refinery's gt_done that
// merges is cut after its merge request closed and before its issue did,
// so BD-4's safety net, not the inline close, ends the issue; the event
// stays pending and is applied again on the next tick. Faults stop at
// 1 h 30 so that the run settles.
func mergeCut() Scenario {
	c := Default()
	c.Faults.Rates = map[string]float64{model.FPEventApply: 0.2}
	c.Faults.Heal = 90 * time.Minute
	c.Duration = 150 * time.Minute
	return Scenario{
		Name:    "merge-cut",
		Purpose: "a fifth of event applications throw after their first write: merges cut between the merge request and its issue, BD-4 closes the issue",
		Config:  c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
