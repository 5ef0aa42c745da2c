package scenarios

import (
	"fmt"
	"strings"
)

// registry lists the named scenarios in the order `townsim scenarios`
// shows them; each entry builds a fresh value, so callers may change what
// they get.
var registry = []func() Scenario{
	defaultScenario,
	healthySteady,
	coldStartStorm,
	crashLoops,
	evictionDrain,
	longDrain,
	containerOutage,
	githubOutage,
	githubFlaky,
	reviewFeedbackLoops,
	reworkLoops,
	convoyReviewThenLand,
	convoyReviewAndMerge,
	heldAndBlocked,
	cancellations,
	stuckAgents,
	idleTown,
	townDeleted,
	freshTown,
	swarm,
	prAwaitingApproval,
	autoMergeOff,
	autoMergeFlagOff,
	mergesFailing,
	landingMRFailing,
	lateExitReports,
	mergeCut,
	codeReviewOff,
	townReviewOff,
	triageStartFails,
	beadsDeleted,
	longStall,
	startFailures,
	directReviewOff,
	largeFleet,
	refineryStartOutage,
	slingEvicted,
	landingExhausted,
	landingRejected,
	gcRetention,
	gitlabRig,
	wastelandClaims,
	wastelandReported,
	wastelandConvoys,
	lateDoneDirect,
	beadsDeletedRoutes,
	quietWeek,
	mrBlockedByReview,
	convoyLandReviewOff,
	slowConflictFixes,
	riglessBeads,
	emptyRigBeads,
	deletedInReview,
	mayorBulkDeletes,
	landingClosedFast,
	quietMayor,
	heldAfterMayor,
	stopNeverTakes,
	restartStopLost,
	landingQueueReviewOff,
	prMirrors,
	prForks,
	triageAgentCrashes,
	lateAlarmsQuietTown,
	stuckInTool,
	prChecksPaginated,
	wastelandUntagged,
	agentsFail,
	agentsAndEditors,
	convoyTasksClosedInReview,
	goneMidFlight,
	deleteParents,
	queueCut,
	lateConflicts,
	cancelledWhileExiting,
	refineryResetMidReview,
	prLateChange,
	conflictsEscalated,
	githubTokenRefused,
	convoySingleTask,
	blockedWhileWorking,
	reviewAndMergeReviewOff,
	refineryHookedToIssue,
	handMergedAtDelay,
}

// All returns every named scenario, in listing order.
func All() []Scenario {
	out := make([]Scenario, len(registry))
	for i, build := range registry {
		out[i] = build()
	}
	return out
}

// Names returns the names of the named scenarios, in listing order.
func Names() []string {
	all := All()
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	return names
}

// ByName returns the named scenario called name.
func ByName(name string) (Scenario, error) {
	for _, build := range registry {
		if s := build(); s.Name == name {
			return s, nil
		}
	}
	return Scenario{}, fmt.Errorf("no scenario is named %q; the named scenarios are: %s",
		name, strings.Join(Names(), ", "))
}
