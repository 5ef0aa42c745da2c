package scenarios

import (
	"time"

	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// wastelandReported: the mayor slings most issues for claimed wasteland
// items (as in wasteland-claims), and the users tag most merge requests
// of those issues with the issue's wanted item through tRPC updateBead
// (which accepts any metadata record), some of the tags malformed for
// production's origin schema; the town has an owner, so the wasteland
// reporter (WL) reports a claim done to the wasteland service once its
// tagged merge requests merged.
func wastelandReported() Scenario {
	s := wastelandClaims()
	c := s.Config
	c.Town.Owner = true
	c.Agents = 4
	c.Workload.IssuesPerHour = 15
	c.Workload.WastelandTagMR = 0.9
	c.Workload.WastelandMalformed = 0.3
	return Scenario{
		Name: "wasteland-reported",
		Purpose: "users tag most merge requests of wasteland issues with the wanted item (updateBead metadata, " +
			"some tags malformed); WL reports the merged claims done",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.PollPR, reconciler.ReportWastelandDone},
			Bounds:  s.Expect.Bounds,
		},
	}
}

// wastelandConvoys: landing-convoys' review-then-land convoys, most of
// them slung for a claimed wanted item (the convoy bead and its tasks
// carry the origin tag), in a town with an owner whose users tag nine in
// ten of the tasks' merge requests with the item. A claim's tasks merge
// into the convoy's feature branch minutes before the landing MR lands
// it, and a third of the landing PRs are closed unmerged (CV-7's retries,
// some convoys failing), so WL must wait for the convoy, not only for
// the tagged MRs.
func wastelandConvoys() Scenario {
	c := landingConvoys()
	c.Town.Owner = true
	c.Workload.ConvoysPerHour = 12
	c.Workload.WastelandConvoy = 0.8
	c.Workload.WastelandTagMR = 0.9
	c.GitHub.LandingClose = 0.3
	return Scenario{
		Name: "wasteland-convoys",
		Purpose: "convoys slung for claimed wasteland items, their tasks' MRs tagged with the item: " +
			"WL reports a claim only once its convoy landed",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.ReportWastelandDone},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// lateDoneDirect: a direct-merge town (merge requests without a PR) where
// half of the gt_done calls arrive 1-10 min late, after the process's exit
// report (late_done), and half of them carry the agent's summary
// (work.done_summary): a refinery's late gt_done finds its hook cleared by
// recovery, and the Town fails the merge request it was reviewing with the
// refinery's summary (or production's default text) and escalates.
func lateDoneDirect() Scenario {
	s := lateExitReports()
	c := s.Config
	c.Town.MergeStrategy = "direct"
	c.Faults.Rates = map[string]float64{sim.FaultLateDone: 0.5}
	c.Work.DoneSummary = 0.5
	c.Duration = 90 * time.Minute
	return Scenario{
		Name: "late-done-direct",
		Purpose: "a direct-merge town where half the gt_done calls come after the exit report, half with a summary: " +
			"refineries' late gt_done fail their merge request after hook loss",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}

// beadsDeletedRoutes: beads-deleted on two rigs with production's tRPC
// deleteBead, which names the rig of the page's route: half of the
// deletes first go through the other rig's route (refused), then through
// the issue's own rig a minute later.
func beadsDeletedRoutes() Scenario {
	s := beadsDeleted()
	c := s.Config
	c.Rigs = 2
	c.Workload.DeleteWrongRig = 0.5
	return Scenario{
		Name:    "beads-deleted-routes",
		Purpose: "users delete issues through rig routes (tRPC deleteBead), half first through the wrong rig's route",
		Config:  c,
		Expect:  s.Expect,
	}
}

// quietWeek: gc-retention's tiny town, idle for a week after 20 min of
// work: the alarm ticks at its idle cadence, GC deletes the idle agents
// after a day, and the housekeeping prunes the processed town events once
// they are older than the 7-day retention.
func quietWeek() Scenario {
	s := gcRetention()
	c := s.Config
	c.Duration = eventRetention + 3*time.Hour
	return Scenario{
		Name:    "quiet-week",
		Purpose: "a tiny town idle for a week after 20 min of work: processed town events are pruned after the 7-day retention",
		Config:  c,
		Expect:  s.Expect,
	}
}

// mrBlockedByReview: users make every new merge request wait for
// another issue under review (tRPC updateBead with depends_on), and GitHub
// answers a PR status poll with 404 now and then for a PR that was
// deleted, which fails the merge request and leaves its issue in review:
// BD-4 must return that issue by its own merge requests only, not close it
// for another issue's merge request that waited on it.
func mrBlockedByReview() Scenario {
	c := Default()
	c.Workload.BlockMR = 1
	// One status answer in 16 is a 404: the poll fails that MR at once and
	// leaves its issue in review for BD-4 (reconciler.md §2.2, §3.3).
	c.GitHub.Errors = sim.APIErrorWeights{OK: 15, NotFound: 1}
	c.GitHub.NotFoundDeletes = true // the 404 is true: the PR is gone, never merged
	c.Duration = 2 * time.Hour
	return Scenario{
		Name: "mr-blocked-by-review",
		Purpose: "users make merge requests wait for another issue under review (updateBead depends_on); " +
			"GitHub's rare 404 fails MRs by poll error (BD-4 returns their issues)",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
