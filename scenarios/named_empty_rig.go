package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
)

// emptyRigBeads: start-failures' town (two of three container starts
// answer 503, so issues sit open and unassigned between dispatches) where
// a user moves 60 % of the issues out of their rig 1–20 min after
// creation, 60 % of those moves sending rig_id as the empty string
// instead of null (workload.unrig_empty: tRPC updateBead takes any
// string; drawn only for issues without an open merge request). An
// issue on the empty-string rig is as rig-less as one on NULL: no rule
// dispatches it or fails it at the attempts cap. It reaches BD-1's
// empty-rig test, which its SQL's rig_id IS NOT NULL does not cover.
func emptyRigBeads() Scenario {
	c := startFailures().Config
	c.Workload.Unrig = 0.6
	c.Workload.UnrigAfter = des.Uniform(time.Minute, 20*time.Minute)
	c.Workload.UnrigEmpty = 0.6
	return Scenario{
		Name: "empty-rig-beads",
		Purpose: "start-failures' town where a user moves 60 % of the issues out of their rig, most of them " +
			"to rig '' (updateBead rig_id ''): they wait like the NULL ones, never dispatched or failed",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.DispatchAgent, reconciler.UnhookAgent},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
