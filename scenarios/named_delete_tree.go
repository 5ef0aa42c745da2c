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

// mayorBulkDeletes: delete-parents' town where users delete half of the
// issues (30 % through another rig's route first) and the rig's mayor
// makes 70 % of those rig-routed deletes with its bulk-delete tool (workload.delete_mayor:
// production's mayor tool sends any list, one id included, to deleteBeads
// filtered to its rig) and users send no lists of their own. It reaches
// deleteBeads with one-id lists, through right and wrong rigs.
func mayorBulkDeletes() Scenario {
	c := deleteParents().Config
	c.Workload.Delete = 0.5
	c.Workload.DeleteWrongRig = 0.3
	c.Workload.DeleteBulk = 0
	c.Workload.DeleteMayor = 0.7
	return Scenario{
		Name: "mayor-bulk-deletes",
		Purpose: "delete-parents' town where the mayor's bulk-delete tool makes most of the deletes, often as a " +
			"one-id list: deleteBeads removes the rig's named beads with their descendants and counts them",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
