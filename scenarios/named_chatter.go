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

// convoyTasksClosedInReview: review-then-land convoys whose tasks users
// often close from the edit form (tRPC updateBead with status closed)
// while the task's merge request is still under review, and whose
// pull requests a human closes unmerged a third of the time. A task closed while its merge
// request is open is not counted done until that request ends; when the
// request fails (its PR closed) no Town path recounts the convoy, so only the
// reconciler's convoy rules (CV-5, CV-7 set ready_to_land, CV-8 close)
// move it on.
func convoyTasksClosedInReview() Scenario {
	c := landingConvoys()
	c.Workload.Edit = 0.5
	c.Workload.EditAfter = des.Uniform(5*time.Minute, 15*time.Minute)
	c.Workload.EditClose = 0.8
	c.Work.Refinery = des.Uniform(5*time.Minute, 12*time.Minute)
	c.GitHub.Close = c.GitHub.Merge / 2
	return Scenario{
		Name: "convoy-tasks-closed-in-review",
		Purpose: "users close convoy tasks from the edit form while their merge requests are under review, " +
			"a third of their PRs closed unmerged: the convoy rules' own ready_to_land and close",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.SetConvoyReadyToLand, reconciler.CreateLandingMR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
