package scenarios

import (
	"github.com/townsim/townsim/model/reconciler"
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
