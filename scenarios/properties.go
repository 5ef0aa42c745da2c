package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// A property is its own small type with its own state. The checker feeds
// it what it observes through the hooks the type implements (any subset
// of everyTicker, reconcileWatcher, ticker, actor, caller, ender) and asks it, at the end,
// whether it could be judged in the run (unjudger). Every property is
// listed once in the properties table below, with its family and what
// its oracle reads.
type property interface{}

// everyTicker sees every tick, also those after the town was destroyed.
type everyTicker interface {
	everyTick(c *checker, rec *sim.TickRecord, w *sim.World)
}

// reconcileWatcher sees each reconcile pass's actions on the Town it read,
// before they are applied; it must read only unmetered (model.DB's
// ObserveRows), so that the tick's cost figures stay the port's.
type reconcileWatcher interface {
	reconciled(c *checker, db *model.DB, acts []reconciler.Action)
}

// ticker sees every tick of a living town, after its actions.
type ticker interface{ tick(c *checker, t *tickView) }

// actor sees every action a tick's reconcile emitted.
type actor interface {
	action(c *checker, a reconciler.Action, t *tickView)
}

// caller sees every external call of the Town and its answer.
type caller interface {
	call(c *checker, call model.Call, r model.Result, now time.Time)
}

// ender judges what is decided over the whole run (not for a destroyed
// town: its tables are gone).
type ender interface {
	end(c *checker, w *sim.World, db *model.DB)
}

// unjudger says why the property could not be judged in the run ("" when
// it was): its deadline fell outside the run, or the behaviour it judges
// never happened. A property without it is judged on every tick.
type unjudger interface{ unjudged(c *checker) string }

// tickView is what one tick shows the properties: the world's record of
// it, the port's result (nil when the tick threw before returning one),
// the Town's database, the world's processes (read once per tick), and
// the graced conditions that hold on this tick.
type tickView struct {
	rec     *sim.TickRecord
	res     *alarm.TickResult
	w       *sim.World
	db      *model.DB
	procs   []sim.ProcessView
	byAgent map[string]sim.ProcessView
	hour    int
	holds   map[string]bool
}

// PropertyInfo describes one property of the table for documentation
// and listings.
type PropertyInfo struct {
	// Name is "<family>/<name>".
	Name string
	// Family is safety, liveness, bounds or differential.
	Family string
	// Reads says what the property's oracle reads: the world's facts
	// (processes, calls, issues, time), the Town's rows, or — named as
	// such — a figure of the port's own.
	Reads string
}

// propertySpec is one row of the table: the property's description and
// the constructor of its per-run state.
type propertySpec struct {
	PropertyInfo
	new func() property
}

// properties is THE table of every property Check judges, in the order
// they are fed each tick.
var properties = []propertySpec{
	// safety
	{PropertyInfo{PropInvariant, "safety", "the tick's T11 result: production's own runtime invariants (by design the port's check, not an oracle of its own)"},
		func() property { return invariantProp{} }},
	{PropertyInfo{PropOneOwner, "safety", "the world's processes: live, not told to stop, role, bead"},
		func() property { return oneOwnerProp{} }},
	{PropertyInfo{PropDrainDispatch, "safety", "the tick's actions and the port's drain flag of that reconcile (res.Draining: the port's own figure)"},
		func() property { return drainDispatchProp{} }},
	{PropertyInfo{PropTransitionFrom, "safety", "the reconcile's transition actions (from-status) and, read unmetered between reconcile and apply, the named beads' and agents' status"},
		newTransitionFromProp},
	{PropertyInfo{PropReviewSplitByPR, "safety", "the reconcile's RQ-1 (poll, merge), RQ-2, RQ-3 and RQ-4 actions and, read unmetered between reconcile and apply, the named MR's type, status, PR URL, auto_merge_pending flag and rig, the rig's code_review override; the town's setting from the world's configuration"},
		newReviewSplitProp},
	{PropertyInfo{PropReviewOffRulesWhereOff, "safety", "the tick's RQ-FT and RQ-OR transitions; rows: the bead's type, rig and PR URL, the rig's code_review override; the town's setting from the world's configuration"},
		func() property { return &reviewOffRulesProp{} }},
	{PropertyInfo{PropCappedWorkFailed, "safety", "read unmetered between reconcile and apply: open unassigned issues in a rig (labels, blockers, staged convoys, attempts) with their rig's config override, idle non-refinery agents' open hooked beads and their attempts; the configured cap; the reconcile's failing transitions; the port's drain flag (res.Draining) only to pause BD-1's rows"},
		func() property { return &cappedWorkProp{} }},
	{PropertyInfo{PropDispatchPick, "safety", "each reconcile dispatch_agent naming no agent (its bead and rig) and each sling RPC; rows just before and just after that one apply or RPC (unmetered snapshots): agents' role, rig, status and hook, the bead's type, new agents and new issues"},
		func() property { return &dispatchPickProp{} }},
	{PropertyInfo{PropTerminalWork, "safety", "rows: agent_metadata status and hook, the hooked bead's status"},
		terminalWorkProp},
	{PropertyInfo{PropRigMatch, "safety", "rows: the agent's and its hooked bead's rig"},
		rigMatchProp},
	{PropertyInfo{PropHookAssignee, "safety", "rows: the agent's hook, the bead's assignee"},
		hookAssigneeProp},
	{PropertyInfo{PropBeadLost, "safety", "the world's list of issues users created and deleted; the beads rows"},
		func() property { return beadLostProp{} }},
	{PropertyInfo{PropCompletedNotRedone, "safety", "rows: issues seen closed on an earlier tick; the tick's dispatch and transition actions"},
		func() property { return &completedNotRedoneProp{closed: map[string]time.Time{}} }},
	{PropertyInfo{PropRoleMatchesBead, "safety", "the container start calls (role, lightweight, bead) and the bead's type and labels"},
		func() property { return &roleMatchesProp{} }},
	{PropertyInfo{PropOneHookPerBead, "safety", "rows: agent_metadata hooks"},
		func() property { return oneHookPerBeadProp{} }},
	{PropertyInfo{PropFailedWithCause, "safety", "rows: failed issues and MRs, their last status_changed bead event; the world's cancellations"},
		func() property { return &failedWithCauseProp{} }},
	{PropertyInfo{PropIdleHookReleased, "safety", "rows: idle agents and the status of the bead they are hooked to; the tick record (ran, duration)"},
		func() property { return idleHookReleasedProp{} }},
	{PropertyInfo{PropConvoyCloses, "safety", "rows: closed convoys, their merge mode, the merge requests and issues that track them"},
		func() property { return &convoyClosesProp{} }},
	{PropertyInfo{PropAuditLog, "safety", "the world's issues; rows: issues' status between ticks, their bead_events (created, status_changed, metadata)"},
		func() property { return &auditLogProp{status: map[string]string{}, created: map[string]bool{}} }},
	{PropertyInfo{PropCauseInWorld, "safety", "rows: failed MRs' failureReason, failureKind and PR URL, failed beads' last status_changed reason; the world's token and GitLab settings, its PRs, its answers to the Town's PR status calls, the Town's start calls; fault times (excuses)"},
		newCauseInWorldProp},
	{PropertyInfo{PropResetEarned, "safety", "the Town's start calls by agent; the tick's reset_agent_dispatch_attempts actions; the configured attempt cap; fault times (excuses)"},
		func() property { return &attemptResetEarnedProp{starts: map[string]int{}} }},
	{PropertyInfo{PropResetRecord, "safety", "each reset_agent_dispatch_attempts action (agent) and the rows just before and just after its apply (unmetered snapshots): agents' status, hook and attempts; beads' type, status, dispatch_attempts and last_dispatch_attempt_at; review rows' retry_count"},
		func() property { return &resetRecordProp{} }},
	{PropertyInfo{PropRigExists, "safety", "rows: every bead's rig_id against the town's rigs (every 12 ticks and at the end)"},
		func() property { return &rigExistsProp{} }},
	{PropertyInfo{PropStatusLog, "safety", "rows: bead_events status_changed old and new values (at the end)"},
		func() property { return &statusLogProp{} }},
	{PropertyInfo{PropLiveSessionHook, "safety", "the tick's AG-4 unhook actions; the world's process of the agent (running, last heartbeat); rows: the agent's hook at the previous tick's end, that bead's status, whether its last_activity_at is NULL"},
		func() property { return &liveSessionHookProp{} }},
	{PropertyInfo{PropWastelandReportFounded, "safety", "the Town's successful wasteland done calls (item, evidence); the world's MR tags (which are valid); rows: the tagged MRs' status and review_metadata PR URL, convoys carrying the item"},
		func() property { return &wastelandFoundedProp{} }},
	{PropertyInfo{PropReviewExplained, "safety", "rows: review_completed bead events (message, time); the Town's input queue: refineries' agent_done events (summary, PR URL) and PR status changes, by the drain that applied them"},
		func() property { return &reviewExplainedProp{} }},
	{PropertyInfo{PropAgentStatusShown, "safety", "the world's agent status messages (text, time, the agent's hook as listed just before, its row just after); rows: agent_status bead events (bead, agent, time, value, metadata), the agent's name and rig, the rig's name"},
		func() property { return &agentStatusShownProp{} }},
	{PropertyInfo{PropUserEditApplied, "safety", "the world's field edits (values sent, the issue's status before, its row just after: title, body, priority, parent, status, updated_at); rows: fields_updated bead events (actor, changed names) of issues still there"},
		func() property { return &userEditProp{} }},
	{PropertyInfo{PropDeleteRoute, "safety", "the world's deletes through a rig's route: the rig named, the issue's rig and row as the user saw them before, its row after"},
		func() property { return &deleteRouteProp{} }},
	{PropertyInfo{PropDeleteCount, "safety", "the world's deletes through a rig's route: the count each answered, whether it named a list, the issue's row before and after, the town's bead rows just before and just after"},
		func() property { return &deleteCountProp{} }},
	{PropertyInfo{PropDeleteSubtree, "safety", "the world's deletes through a rig's route: the rig named, the ids named, the bead rows (id, parent, rig) just before and the ids just after, the count answered"},
		func() property { return &deleteSubtreeProp{} }},
	{PropertyInfo{PropAgentGone, "safety", "the world's agent deletes (the agent's row, its hooked bead's status and every other bead's status and assignee just before and after, the error) and the admin's force resets of them (error, row after); rows each tick: agents, agent_metadata and assignees naming a deleted agent"},
		func() property { return &agentGoneProp{} }},
	{PropertyInfo{PropDoneRecord, "safety", "the drain's agent_done events (agent, branch, PR URL) and the rows just before and just after each one's application (unmetered snapshots): the agent's role, hook and status, the hook bead's labels, creator and status, merge requests' status, assignee, updated_at, metadata, review rows and tracks edges, new beads and bead events"},
		func() property { return &doneRecordProp{} }},
	{PropertyInfo{PropContainerStatusRecord, "safety", "the drain's container_status events (agent, status) and the rows just before and just after each one's application (unmetered snapshots): every agent's role, status, hook and checkpoint, the hooked bead's status, every bead's status"},
		func() property { return &containerStatusRecordProp{} }},
	{PropertyInfo{PropMergedSourceCloses, "safety", "rows at each tick's end: issues' status and updated_at, the status of the merge requests tracking them; the world's deleteAgent reopens; the tick record (fired, ran) and fault times (excuses)"},
		func() property { return &mergedSourceProp{} }},
	{PropertyInfo{PropExitRecord, "safety", "the drain's agent_completed events (agent, status, reason) and the rows just before and just after each one's application (unmetered snapshots): the agent's role, hook, status and dispatch_attempts; the hooked bead's status and assignee; new status_changed bead events and their failure reason"},
		func() property { return &exitRecordProp{} }},
	{PropertyInfo{PropReviewResultRecord, "safety", "the drain's pr_status_changed events (merge request, merged or closed) and the rows just before and just after each one's application (unmetered snapshots): the MR's status, metadata and review row; its source's status and assignee; the MRs tracking the source; new bead events"},
		func() property { return &reviewResultProp{} }},
	{PropertyInfo{PropTargetBranch, "safety", "the world's rigs (the default branch each was created with); rows: new merge requests' rig and review_metadata target_branch (or its absence), the convoy their source tracks (merge mode, feature branch); fault times"},
		func() property { return &targetBranchProp{} }},
	{PropertyInfo{PropAnalyticsRig, "safety", "the Town's analytics data points (bead id, rig id) as the world's sink receives them; rows: the bead's rig_id at the end of that tick"},
		func() property { return &analyticsRigProp{} }},
	{PropertyInfo{PropClosedAfterMerge, "safety", "the world's cancellations and its GitHub (when each PR merged, seen at tick ends); rows: closed issues, their labels and close time, the merge requests tracking each (tracks edges), their status and PR URL (at the end)"},
		func() property { return &closedAfterMergeProp{} }},
	{PropertyInfo{PropDispatchCap, "safety", "the Town's start calls (bead, lightweight, send time); agents' hooks (start calls, rows at each tick's end); the tick's dispatch, failure and reset_agent_dispatch_attempts actions; the configured cap; fault times (excuses)"},
		func() property { return &dispatchCapProp{dispatchLedger: newDispatchLedger()} }},
	{PropertyInfo{PropDispatchCooldown, "safety", "the Town's start calls (bead, lightweight, send time); agents' hooks; the tick's dispatch and reset_agent_dispatch_attempts actions; the cooldown ladder; fault times (excuses)"},
		func() property { return &dispatchCooldownProp{dispatchLedger: newDispatchLedger()} }},
	{PropertyInfo{PropBreakerPausesAll, "safety", "the tick's dispatch_agent actions; the breaker notice the same reconcile emitted (BD-CB: the port's own figure, as the drain flag)"},
		func() property { return &breakerPausesProp{} }},
	{PropertyInfo{PropBlockedNotDispatched, "safety", "the tick's BD-1 and BD-2 dispatch actions; rows at the tick's end: the bead's blocks edges and their blockers' status, the staged flag of the convoys it tracks; the world's dependency edits (time)"},
		func() property { return &blockedNotDispatchedProp{} }},
	{PropertyInfo{PropRedispatchSparesWorking, "safety", "the world's processes at each tick's end (live, running, stuck, finished, draining, start, last heartbeat reaching the Town, bead); the tick's BD-2 dispatch actions; fault times (excuses)"},
		func() property { return &redispatchSparesWorkingProp{} }},
	{PropertyInfo{PropOpenAssigneeHooked, "safety", "rows: open issues with a rig, their assignee and labels; agent_metadata hooks (graced)"},
		openAssigneeHookedProp},
	{PropertyInfo{PropContainerStatusQueued, "safety", "the container's answers to T4's status checks (status, exit reason, time); rows: the agent's container_status town_events (id, payload, created_at, pending) as each answer arrived and at the tick's end"},
		func() property { return &containerStatusQueuedProp{} }},
	{PropertyInfo{PropDrainSettles, "safety", "rows: town_events created_at and processed_at each tick; the tick's start, whether it threw; fault times (drain read, event apply, rig list, config read: excuses)"},
		newDrainSettlesProp},
	{PropertyInfo{PropPRTroubleHandedOn, "safety", "rows: pr_conflict_detected and pr_feedback_detected town_events processed in the tick (mr_bead_id); the MR's status and target branch; its unfinished blockers (labels, has_conflicts, conflict_target_branch, has_feedback); escalations naming it and their escalation_metadata; fault times (excuse)"},
		func() property { return &prTroubleProp{} }},
	{PropertyInfo{PropMergeOnGreen, "safety", "the Town's GitHub feedback answers (comments, checks, review decision, merge state, null, thrown) and merge calls, by PR URL"},
		func() property { return &mergeOnGreenProp{} }},
	{PropertyInfo{PropOneFeedbackBead, "safety", "rows: merge requests' blocks dependencies, the blockers' labels and status (each tick)"},
		func() property { return &oneFeedbackBeadProp{} }},
	{PropertyInfo{PropApprovalWaitPaired, "safety", "the Town's analytics data points (pr.awaiting_approval_detected and _resolved: bead, duration) and when each arrived; rows: the MR's created_at; fault times (excuses)"},
		func() property { return &approvalWaitPairedProp{} }},
	{PropertyInfo{PropPollFailureNamed, "safety", "the Town's PR status answers (HTTP status, invalid reason, keys) and pr.poll_failed data points; rows: failed MRs' failureReason, failureKind, failureMessage and PR URL"},
		func() property { return &pollFailureNamedProp{} }},
	{PropertyInfo{PropPollRecord, "safety", "the tick's poll_pr actions (MR, PR URL) and the world's first status answer for that URL in the tick; rows on ticks with a poll: every merge request's has_conflicts, conflicts_detected_at, poll_error_kind and poll counts, and every other bead's has_conflicts; fault times (excuses)"},
		func() property { return &pollRecordProp{} }},
	{PropertyInfo{PropForeignMerge, "safety", "the Town's merge calls and the tick's merge_pr actions, by PR URL; the world's PRs (opened outside the rig's repository: github.fork); rows for such a merge_pr: the MR's auto_merge_pending; fault times (excuses)"},
		func() property { return &foreignMergeProp{} }},
	{PropertyInfo{PropAutoMergeWaits, "safety", "the Town's feedback answers (green or not, null, thrown), status answers (dirty) and merge answers by PR URL; the world's auto-merge setting; rows on ticks with a feedback answer: new pr_auto_merge town events (PR URL, created_at), how many MRs carry that URL; fault times (excuses)"},
		func() property { return &autoMergeWaitsProp{} }},
	// liveness
	{PropertyInfo{PropSettle, "liveness", "the world's issues (creation time), the heal time, the beads' status at the end"},
		func() property { return &settleProp{} }},
	{PropertyInfo{PropReadyDispatched, "liveness", "rows at each tick's end: open issues in a rig, their labels, assignee (its status, role and hook), blocks edges and blockers' status, staged convoys, dispatch counter and stamp; the configured cap and cooldown ladder; the tick's dispatch actions and breaker notice; the port's drain flag (res.Draining); fault times (excuses)"},
		func() property { return &readyDispatchedProp{} }},
	{PropertyInfo{PropQueueDrains, "liveness", "rows: unprocessed town_events after each tick and at the end"},
		func() property { return &queueDrainsProp{} }},
	{PropertyInfo{PropEventAge, "liveness", "rows: the oldest unprocessed town_events row's created_at against the clock"},
		func() property { return &eventAgeProp{} }},
	{PropertyInfo{PropFlap, "liveness", "rows: every bead's status, every agent's status with its hook, over time"},
		func() property { return &flapProp{status: map[string]string{}, changes: map[string][]time.Time{}} }},
	{PropertyInfo{PropRetryStorm, "liveness", "the tick's dispatch_agent actions, by bead and simulated hour"},
		func() property { return &retryStormProp{dispatches: map[[2]any]int{}} }},
	{PropertyInfo{PropLifeDispatches, "liveness", "the tick's dispatch_agent actions, by bead over the run"},
		func() property { return &lifeDispatchesProp{n: map[string]int{}} }},
	{PropertyInfo{PropMRFate, "liveness", "the world's GitHub (a PR merged or closed), the Town's PR status answers (merged, closed) and successful merge calls; rows: the MR with that PR URL"},
		func() property {
			return &mrFateProp{fate: map[string]time.Time{}, answers: map[string]int{}, attempts: map[string]int{}, world: map[string]bool{}, ran: map[string]int{}}
		}},
	{PropertyInfo{PropFailingPollsFailMR, "liveness", "the Town's PR status and feedback calls and answers (class of each: ok, transient, non-transient HTTP, invalid, thrown); rows: the merge requests with that PR URL and their status; fault times (excuses)"},
		func() property { return &failingPollsFailMRProp{} }},
	{PropertyInfo{PropPRPolled, "liveness", "rows: in-progress merge requests and their PR URLs; the Town's PR status calls; the tick records; the world's token settings"},
		func() property { return &prPolledProp{waiting: map[string]int{}} }},
	{PropertyInfo{PropStarvation, "liveness", "rows: non-terminal issues' and merge requests' updated_at; the heal time"},
		func() property { return starvationProp{} }},
	{PropertyInfo{PropConvoyLands, "liveness", "rows: open convoys whose tracked issues are all closed or failed, their landing merge requests; the tick's drain flag (a pause, not the oracle)"},
		func() property { return &convoyLandsProp{since: map[string]time.Time{}} }},
	{PropertyInfo{PropReviewApplied, "liveness", "the world's refinery processes that sent gt_done; rows: the hooked merge request's PR URL and status"},
		func() property { return &reviewAppliedProp{since: map[string]time.Time{}} }},
	{PropertyInfo{PropAutoMergeCall, "liveness", "the scenario's auto-merge settings; the Town's GitHub feedback and status answers and merge calls; the world's PRs merged by hand as auto-merge was due"},
		func() property { return &autoMergeCallProp{green: map[string]time.Time{}, due: map[string]time.Time{}} }},
	{PropertyInfo{PropReviewPopped, "liveness", "rows: open and in-progress merge requests by rig, the rig's code_review override; the world's live refinery processes; refinery start calls; breaker and drain ticks (pauses)"},
		func() property { return &reviewPoppedProp{since: map[string]time.Time{}} }},
	{PropertyInfo{PropReviewRetried, "liveness", "rows: in-progress merge requests without a PR URL, their blockers and awaiting_approval; the world's live refinery processes; refinery start calls; tick records; breaker and drain ticks (pauses)"},
		func() property { return &reviewRetriedProp{since: map[string]time.Time{}, ticks: map[string]int{}} }},
	{PropertyInfo{PropWastelandClaimReported, "liveness", "the world's MR tags (valid ones), its wasteland service (items done), the scenario's town owner; rows: the tagged MRs' status and PR URL; tick times"},
		func() property { return &wastelandReportedProp{} }},
	{PropertyInfo{PropEventsPruned, "liveness", "rows: processed town_events' created_at and processed_at against the clock (every 12 ticks)"},
		func() property { return &eventsPrunedProp{} }},
	{PropertyInfo{PropDeterminism, "liveness", "the trace hash of a second run"},
		func() property { return determinismProp{} }},
	{PropertyInfo{PropStalledIdled, "liveness", "the Town's stop and start calls by agent; the world's process of the agent (live or not); the agent's status row — not stalled_at"},
		func() property { return &stalledIdledProp{} }},
	{PropertyInfo{PropIdleLiveHook, "liveness", "rows: idle agents, their hook and that bead's status; the world's process of the agent (live or not); tick records (start, result); fault times (code faults and Town restarts restart the clock)"},
		func() property { return &idleLiveHookProp{} }},
	// bounds
	{PropertyInfo{PropFalseDeath, "bounds", "the world's process of the agent an idle or re-dispatch action names: state, stuck, drained, done, last heartbeat"},
		func() property { return &falseDeathProp{} }},
	{PropertyInfo{PropEventsPerAgent, "bounds", "rows: town_events and agent_metadata counts; the clock"},
		func() property { return eventsPerAgentProp{} }},
	{PropertyInfo{PropPokes, "bounds", "the Town's container calls (status, start, stop, message) by simulated hour"},
		func() property { return &pokesProp{pokes: map[int]int{}} }},
	{PropertyInfo{PropMerges, "bounds", "the Town's GitHub merge calls by PR and simulated hour"},
		func() property { return &mergesProp{merges: map[[2]any]int{}} }},
	{PropertyInfo{PropLandingMRs, "bounds", "rows: system-created merge requests by convoy"},
		func() property { return &landingMRsProp{} }},
	{PropertyInfo{PropNudges, "bounds", "the tick's send_nudge actions by agent and simulated hour"},
		func() property { return &nudgesProp{nudges: map[[2]any]int{}} }},
	{PropertyInfo{PropDispatchResumes, "bounds", "the heal time, rows: open issues not held, the tick's dispatch_agent actions"},
		func() property { return &dispatchResumesProp{} }},
	{PropertyInfo{PropIdleCadence, "bounds", "the world's live processes (the mayor's session included) and the non-terminal issue and MR rows (not the port's active-work flag); tick times"},
		func() property { return &idleCadenceProp{} }},
	{PropertyInfo{PropActiveCadence, "bounds", "the world's processes (live, running, heartbeat within a minute) and tick records — not the port's active-work flag"},
		func() property { return &activeCadenceProp{} }},
	{PropertyInfo{PropExitIdle, "bounds", "the container's status answers (exited) and start calls; the world's processes; the agent's row"},
		func() property { return &exitIdleProp{exited: map[string]*exitSeen{}} }},
	{PropertyInfo{PropDrainClears, "bounds", "the world's eviction count (when it grew); the drain flag each reconcile saw (the judged value)"},
		func() property { return &drainClearsProp{} }},
	{PropertyInfo{PropTriageLeftAlone, "bounds", "the tick's actions and the target bead's labels"},
		func() property { return triageLeftAloneProp{} }},
	{PropertyInfo{PropDeletedTownTicks, "bounds", "the world's destroy time and tick records"},
		func() property { return &deletedTownProp{} }},
	{PropertyInfo{PropTickLatency, "bounds", "the world's tick record: simulated start and end of each tick"},
		func() property { return &tickLatencyProp{} }},
	{PropertyInfo{PropStatementsPerTick, "bounds", "the world's count of each tick's own SQL statements; rows: agents and non-terminal beads"},
		func() property { return &statementsPerTickProp{} }},
	{PropertyInfo{PropGitHubCalls, "bounds", "the Town's GitHub status and feedback calls by PR and simulated hour"},
		func() property { return &githubCallsProp{calls: map[[2]any]int{}} }},
	{PropertyInfo{PropGCRetention, "bounds", "the Town's start calls (lightweight ones mark triage agents) and the role its calls name; the heartbeats of the world's processes; rows: idle unhooked polecats and refineries, their creation and hooked events; the tick's GC delete_agent actions; fault times (excuses)"},
		func() property {
			return &gcAfterRetentionProp{last: map[string]time.Time{}, triage: map[string]bool{}, role: map[string]string{}}
		}},
	{PropertyInfo{PropLandingBackoff, "bounds", "rows: system-created merge requests by convoy and their creation times; CV-7's cooldown constants"},
		func() property { return &landingBackoffProp{} }},
	{PropertyInfo{PropBlameHasActor, "safety", "the world's polecat processes (the beads they ran on); rows: polecats' hooks each tick, failed merge requests, the bead each tracks, their status_changed events"},
		func() property { return &blameProp{worked: map[string]bool{}} }},
	// differential
	{PropertyInfo{PropDifferential, "differential", "the original TypeScript reconcile, applyEvent and applyAction on the same state (CheckOptions.Differences)"},
		func() property { return &differentialProp{} }},
	// production's own bugs (check_history.go)
	{PropertyInfo{PropDirtyNotMerged, "safety", "the Town's PR status answers (mergeable_state dirty) and merge calls; the scenario's auto-merge delay"},
		func() property { return &dirtyNotMergedProp{} }},
	{PropertyInfo{PropGUPPAfterDispatch, "bounds", "the Town's start calls (time, lightweight); the world's process of the agent (when it started); the stale_heartbeat fault's times; the tick's GUPP actions"},
		func() property { return &guppAfterDispatchProp{} }},
	{PropertyInfo{PropConvoyFailsLast, "safety", "rows: convoys newly failed, the merge requests tracking them and their status"},
		func() property { return &convoyFailsLastProp{} }},
	{PropertyInfo{PropFollowUpNotReview, "safety", "rows: merge requests created since the last tick, the labels of the bead each tracks"},
		func() property { return &followUpNotReviewedProp{} }},
	{PropertyInfo{PropReviewOffQueue, "liveness", "rows: open and PR-less in-progress merge requests of rigs with code review off; the world's live refinery processes; breaker and drain ticks (pauses)"},
		func() property { return &reviewOffQueueProp{} }},
	{PropertyInfo{PropLandingSuppressed, "safety", "the Town's PR feedback answers (review required, blocked); rows: system-created merge requests tracking a convoy, their PR URL, status and creation time"},
		func() property { return &landingSuppressedProp{} }},
	{PropertyInfo{PropGUPPSparesMayor, "safety", "the tick's GUPP actions and the role of the agent each names"},
		func() property { return &guppSparesMayorProp{} }},
	{PropertyInfo{PropOpenIssueCadence, "bounds", "rows: open issues with a rig and no assignee at a tick's end; the world's tick records — not the port's active-work flag"},
		func() property { return &openIssueCadenceProp{} }},
	{PropertyInfo{PropReviewHasReviewer, "safety", "rows: merge requests without a PR URL newly in_progress, agent hooks; the Town's start calls; fault times (excuses)"},
		func() property { return &reviewHasReviewerProp{started: map[string]time.Time{}} }},
	{PropertyInfo{PropUnpollableFailsFast, "bounds", "rows: in-progress merge requests and their PR URLs; the world's GitHub token and GitLab settings; the scenario's PR poll interval; tick records"},
		func() property {
			return &unpollableFailsFastProp{since: map[string]time.Time{}, ticks: map[string]int{}}
		}},
	{PropertyInfo{PropTriageServed, "liveness", "rows: open triage requests, the patrol's triage batches; the world's live processes on a batch; the Town's lightweight start calls; breaker and drain ticks (pauses)"},
		func() property { return &triageServedProp{} }},
	{PropertyInfo{PropCompletionByRole, "safety", "the Town's input queue: the exit reports and gt_done calls each drain applied (agent, status, reason); rows: agents' role and hook and the hooked bead's status at the previous tick's end, the bead's status_changed events in the tick, hooks at the tick's end; the tick's actions"},
		func() property { return &completionProp{} }},
	{PropertyInfo{PropGUPPWarnSparesTool, "safety", "the tick's GUPP-warn actions; the world's process of the agent: when its last heartbeat reached the Town and the active tools it reported"},
		func() property { return &guppWarnToolProp{} }},
	{PropertyInfo{PropFeedbackGetsFixer, "liveness", "the Town's GitHub feedback answers (comments, failing checks, unchecked runs) and the status answer that follows each; rows: the merge request with that PR URL, its gt:pr-feedback and gt:pr-conflict blockers (status, closed_at); fault times (excuses)"},
		func() property { return &feedbackFixProp{} }},
	{PropertyInfo{PropWastelandStampOnTag, "safety", "rows: beads' metadata.wasteland (stamp, wasteland_id, item_id) at the end; the world's beads whose tag a user removed"},
		func() property { return &wastelandStampProp{} }},
	{PropertyInfo{PropGUPPWarnsSilent, "liveness", "the world's processes (frozen since, last heartbeat's time and tools, role); the tick's GUPP-warn actions; the Town's start calls; the agent's status row; the drain flag each tick saw; fault times (excuses)"},
		func() property { return &guppWarnSilentProp{} }},
	{PropertyInfo{PropFeedbackAskedFor, "safety", "the Town's GitHub feedback answers (whether each asked for a fix); rows: gt:pr-feedback beads, their pr_url and creation time; fault times (excuses)"},
		func() property { return &feedbackAskedProp{} }},
	{PropertyInfo{PropPRReviewWaits, "safety", "rows: in-progress merge requests with a PR URL and nobody hooked at a tick's end, and whether they are open at the next"},
		func() property { return &prReviewWaitsProp{} }},
	{PropertyInfo{PropTimedRuleEdges, "safety", "rows at each tick's end: agents' status, role, hook, stamps (stalled, activity, last event), attempts and tools; issues' and merge requests' status and update time; tracks and blocks edges; review PR URLs; the latest reconciler nudge per agent and source; the tick's actions and start time; the drain flag the reconcile saw; the attempt cap knob; fault times (excuses)"},
		func() property { return &timedRuleProp{} }},
	{PropertyInfo{PropConvoyEndStays, "safety", "the tick's actions (the convoy each names); rows: closed and failed convoys' status, closed_at and landed_at at each tick's end"},
		func() property { return &convoyEndProp{} }},
	{PropertyInfo{PropLandingWhenReady, "safety", "the tick's create_landing_mr actions; rows at that tick's end: the convoy's merge mode and feature branch, its tracked issues' status, the merge requests tracking them and it"},
		func() property { return &landingReadyProp{} }},
	{PropertyInfo{PropConvoyProgress, "liveness", "rows at each tick's end: open convoys' closed_beads and the count of their tracked issues closed or failed; the tick's result (reconciled cleanly) and fault times (a pause)"},
		func() property { return &convoyProgressProp{} }},
	{PropertyInfo{PropReviewOffPops, "safety", "the tick's RQ-5 transitions; rows: the popped MR's rig, creator and parent's merge mode, the rig's code_review override; the town's code review setting from the world's configuration"},
		func() property { return &reviewOffPopsProp{} }},
}

// differentialProp: a tick whose reconcile the original emitted other
// actions for fails.
type differentialProp struct{}

func (differentialProp) everyTick(c *checker, rec *sim.TickRecord, w *sim.World) {
	if c.opts.Differences == nil {
		return
	}
	if n := c.opts.Differences(); n > c.differences {
		c.violation(PropDifferential, fmt.Sprint("tick ", c.ticks), "the original's reconcile, event application or "+
			"action executor did otherwise than the port's on this tick's state (%d differences so far)", n)
		c.differences = n
	}
}

func (differentialProp) unjudged(c *checker) string {
	if c.opts.Differences == nil {
		return "not a differential run"
	}
	return ""
}

// Properties lists every property Check judges, sorted.
func Properties() []string {
	ps := make([]string, 0, len(properties))
	for _, p := range properties {
		ps = append(ps, p.Name)
	}
	slices.Sort(ps)
	return ps
}

// PropertyTable describes every property Check judges, in table order.
func PropertyTable() []PropertyInfo {
	out := make([]PropertyInfo, 0, len(properties))
	for _, p := range properties {
		out = append(out, p.PropertyInfo)
	}
	return out
}
