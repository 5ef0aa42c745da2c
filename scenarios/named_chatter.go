package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
)

// agentsAndEditors: healthy-steady where most agents post a status
// message while they work and some after their gt_done (production's
// gt_status tool), and users edit a third of the issues a minute to half
// an hour after creation (tRPC updateBead: title, description, priority,
// the previous issue of the rig as parent), a third of those edits also
// closing the issue. It reaches updateAgentStatusMessage with and without
// a hook and updateBeadFields' field writes and status change.
func agentsAndEditors() Scenario {
	s := healthySteady()
	c := s.Config
	c.Work.StatusMessages = 0.6
	c.Workload.Edit = 0.3
	c.Workload.EditAfter = des.Uniform(time.Minute, 30*time.Minute)
	c.Workload.EditClose = 0.3
	return Scenario{
		Name: "agents-and-editors",
		Purpose: "agents post status messages (gt_status) while they work and after gt_done; users edit a third of the issues " +
			"(tRPC updateBead: title, description, priority, parent), a third of those edits closing them",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.PollPR, reconciler.MergePR},
			Bounds:  s.Expect.Bounds,
		},
	}
}
