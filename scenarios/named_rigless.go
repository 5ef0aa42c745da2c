package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
)

// riglessBeads: review-then-land convoys and ordinary issues, about a third
// of which a user moves out of their rig (production's tRPC updateBead
// with rig_id null; workload.unrig) a few minutes to 40 min after
// creation, with the merge requests still open under them. No rule
// dispatches or reviews a bead without a rig, so those wait; a convoy
// with a tracked task left in its rig lands on that rig. It reaches the
// reconciler's rig_id IS NOT NULL tests (CV-7's landing rig, RQ-5's and
// group 2's rigs of open MRs).
func riglessBeads() Scenario {
	c := landingConvoys()
	c.Workload.IssuesPerHour = 10
	c.Workload.Unrig = 0.3
	c.Workload.UnrigAfter = des.Uniform(5*time.Minute, 40*time.Minute)
	c.Work.Refinery = des.Uniform(5*time.Minute, 10*time.Minute) // merge requests queue behind the refinery
	c.WorkloadStop = time.Hour
	return Scenario{
		Name: "rigless-beads",
		Purpose: "a user moves about a third of the issues (and their open merge requests) out of their rig " +
			"(updateBead rig_id null): they wait, the convoys land on a rig a task kept",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
