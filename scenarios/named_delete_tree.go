package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
)

// deleteParents: two rigs whose users give half their issues a parent
// (an edit makes an issue the child of the previous issue of its rig,
// as production's updateBead lets them) and delete a fifth of the issues
// through rig routes — half first through the other rig's route, half of
// those as a list with issues deleted before. Deleting a parent removes
// its children with it; a delete through another rig's route removes
// nothing.
func deleteParents() Scenario {
	c := Default()
	c.Rigs = 2
	c.Agents = 4
	c.Workload.Edit = 0.5
	c.Workload.EditAfter = des.Uniform(time.Minute, 5*time.Minute)
	c.Workload.Delete = 0.25
	c.Workload.DeleteAfter = des.Uniform(5*time.Minute, 20*time.Minute)
	c.Workload.DeleteWrongRig = 0.5
	c.Workload.DeleteBulk = 0.5
	c.WorkloadStop = 40 * time.Minute
	c.Duration = time.Hour
	return Scenario{
		Name: "delete-parents",
		Purpose: "users make issues children of earlier ones and delete issues through rig routes (some the wrong " +
			"rig's, some as lists): a delete removes the rig's named beads with their descendants, and nothing else",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
