package scenarios

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
)

// Finding is an accepted production finding: a property production itself
// breaks, under a stated condition. A violation of Property for which
// Applies is true is reported as the finding and does not fail the run;
// outside the condition it fails as any other violation.
type Finding struct {
	// ID names the finding in summaries.
	ID string
	// Property is the property it explains.
	Property string
	// Reason says why production breaks the property.
	Reason string
	// Spec is the specification section (docs/findings.md restates it).
	Spec string
	// Condition says in words when the finding applies.
	Condition string
	// applies decides it for one violation, from what the run showed.
	applies func(v Violation, c *checker) bool
}

// Applies reports whether the finding explains v in the run c observed.
func (f Finding) Applies(v Violation, c *checker) bool { return f.applies(v, c) }

// AcceptedFindings is the list of production behaviour that breaks the
// properties on purpose (production does it), each with its condition.
func AcceptedFindings() []Finding {
	return []Finding{
		{
			ID: "breaker-stalls-healthy-work", Property: PropSettle,
			Reason: "the dispatch circuit breaker counts every bead dispatched in 30 minutes that is not closed, " +
				"successes included; a town dispatching more than ~20 beads per 30 minutes stops dispatching and reviewing",
			Spec: "reconciler.md §8.1 (hazard 1), §2.0 breaker",
			Condition: "the breaker was open on at least one tick in the issue's last settle window, and the issue " +
				"waits for what the breaker holds back: it is open (BD-1 dispatch), or a merge request tracking it is open (RQ-5 review dispatch)",
			applies: func(v Violation, c *checker) bool {
				if !c.breakerOpenSince(v.At.Add(-c.b.Settle)) {
					return false
				}
				n, _ := c.world.Town().DB().Int(`SELECT count(*) FROM beads b WHERE b.bead_id = ? AND (b.status = 'open'
					OR EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
						WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks'
						  AND m.type = 'merge_request' AND m.status = 'open'))`, v.Entity)
				return n > 0
			},
		},
		{
			ID: "breaker-stalls-dispatch-after-heal", Property: PropDispatchResumes,
			Reason:    "the breaker (hazard 1) keeps dispatch paused after faults stop while enough beads are in flight",
			Spec:      "reconciler.md §8.1",
			Condition: "the breaker was open on a tick after the heal time",
			applies: func(v Violation, c *checker) bool {
				return c.breakerOpenSince(c.healAt)
			},
		},
		{
			ID: "post-eviction-dispatch-stall", Property: PropDispatchResumes,
			Reason: "after an eviction the reconciler dispatches nothing until a new container instance heartbeats " +
				"or the 7-minute drain timeout clears the flag; the nonce hand-off never happens (hazard 3)",
			Spec:      "reconciler.md §1.5, §2.8, §8.3",
			Condition: "a tick reconciled while draining after the heal time",
			applies: func(v Violation, c *checker) bool {
				for _, at := range c.drainingAt {
					if !at.Before(c.healAt) {
						return true
					}
				}
				return false
			},
		},
		{
			ID: "invariant-3-several-pr-mrs", Property: PropInvariant,
			Reason: "RQ-5 and RQ-FT let several PR-backed merge requests of one rig be in progress, " +
				"which invariant #3 forbids; it fires in healthy towns",
			Spec:      "reconciler.md §4.1 #3, §8.2 (hazard 2)",
			Condition: "invariant #3, and the rig has at least two in-progress merge requests with a PR URL",
			applies: func(v Violation, c *checker) bool {
				rig, ok := invariantOf(v, 3)
				if !ok {
					return false
				}
				n, _ := c.world.Town().DB().Int(`SELECT count(*) FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
					WHERE b.type = 'merge_request' AND b.status = 'in_progress' AND b.rig_id = ?
					  AND r.pr_url IS NOT NULL AND r.pr_url != ''`, rig)
				return n >= 2
			},
		},
		{
			ID: "invariant-3-review-beside-pr-mr", Property: PropInvariant,
			Reason: "RQ-5 counts a rig busy only for in-progress merge requests without a PR (a review under way), " +
				"so it pops a PR-less merge request for review while a PR-backed one of the same rig waits in " +
				"progress for its merge; invariant #3 forbids the pair",
			Spec: "reconciler.md §2.3 RQ-5 (busy = in_progress AND pr_url IS NULL), §4.1 #3, §8.2 (hazard 2)",
			Condition: "invariant #3, and the rig's in-progress merge requests are exactly one without a PR URL " +
				"and at least one with",
			applies: func(v Violation, c *checker) bool {
				rig, ok := invariantOf(v, 3)
				if !ok {
					return false
				}
				withPR, _ := c.world.Town().DB().Int(`SELECT count(*) FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
					WHERE b.type = 'merge_request' AND b.status = 'in_progress' AND b.rig_id = ?
					  AND r.pr_url IS NOT NULL AND r.pr_url != ''`, rig)
				without, _ := c.world.Town().DB().Int(`SELECT count(*) FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
					WHERE b.type = 'merge_request' AND b.status = 'in_progress' AND b.rig_id = ?
					  AND (r.pr_url IS NULL OR r.pr_url = '')`, rig)
				return withPR >= 1 && without == 1
			},
		},
		{
			ID: "invariant-7-heartbeat-before-ag1", Property: PropInvariant,
			Reason: "a heartbeat from an unhooked agent's process marks it working until AG-1 idles it on a later tick; " +
				"invariant #7 sees a working agent without a hook in between",
			Spec:      "reconciler.md §4.1 #7, model.md §4.13 touchAgent",
			Condition: "invariant #7, and the agent's last activity is a heartbeat within the last 60 s",
			applies: func(v Violation, c *checker) bool {
				agent, ok := invariantOf(v, 7)
				if !ok {
					return false
				}
				last, _ := c.world.Town().DB().Strings(`SELECT last_activity_at FROM agent_metadata
					WHERE bead_id = ? AND current_hook_bead_id IS NULL`, agent)
				if len(last) == 0 {
					return false
				}
				at, ok := model.ParseTime(last[0])
				return ok && c.now.Sub(at) <= 60*time.Second
			},
		},
		{
			ID: "invariant-4-before-bd4", Property: PropInvariant,
			Reason: "a merge request failed or closed by a side effect (T10) leaves its issue in review until BD-4 " +
				"acts on a later tick (and BD-4 waits until the issue is 5 minutes old); invariant #4 runs at T11, " +
				"after the side effect and before that repair, and fires in between",
			Spec: "reconciler.md §1.2 T10-T11, §4.1 #4, §2.2 BD-4",
			Condition: "invariant #4, every merge request tracking the issue is closed or failed, and the last of " +
				"them changed within the last minute or the issue within the last 5 minutes; not when the last of " +
				"them was failed by RQ-OR (\"polecat failed to create PR\"), which reopens the issue in the same " +
				"reconcile (a rule, not a side effect), unless a fault of the Town's code or a restart cut that " +
				"tick (narrowed in session 4)",
			applies: func(v Violation, c *checker) bool {
				id, ok := invariantOf(v, 4)
				if !ok {
					return false
				}
				db := c.world.Town().DB()
				// The metadata is searched here, not by LIKE in the query: a
				// LIKE beside a bound text takes the model's slow exact-plan path.
				failures, _ := db.Strings(`SELECT COALESCE(e.metadata, '') FROM bead_events e WHERE e.bead_id = (
						SELECT m.bead_id FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
						WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND m.type = 'merge_request'
						ORDER BY m.updated_at DESC LIMIT 1)
					AND e.event_type = 'status_changed' AND e.new_value = 'failed'`, id)
				byOrphanCleanup := slices.ContainsFunc(failures, func(m string) bool {
					return strings.Contains(m, "polecat failed to create PR")
				})
				if byOrphanCleanup && !c.faultNear(c.now.Add(-time.Minute), c.now, townFaultKinds()...) {
					return false
				}
				open, _ := db.Int(`SELECT count(*) FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
					WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND m.type = 'merge_request'
					  AND m.status NOT IN ('closed', 'failed')`, id)
				if open > 0 {
					return false
				}
				recent := func(q string, d time.Duration) bool {
					ts, _ := db.Strings(q, id)
					if len(ts) == 0 {
						return false
					}
					at, ok := model.ParseTime(ts[0])
					return ok && c.now.Sub(at) < d
				}
				return recent(`SELECT max(m.updated_at) FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id
					WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND m.type = 'merge_request'`, time.Minute) ||
					recent(`SELECT updated_at FROM beads WHERE bead_id = ?`, 5*time.Minute)
			},
		},
		{
			ID: "destroy-retries-a-cut-tick", Property: PropDeletedTownTicks,
			Reason: "destroy awaits the container's destroy before it deletes the alarm and the storage; a tick " +
				"that fires during that await throws when the tables vanish under it, and the platform retries " +
				"it; the retry finds no town id and deletes its own alarm (T1)",
			Spec:      "reconciler.md §1.1 platform retry, §1.2 T1; Town destroy()",
			Condition: "the tick after the destroy is a platform retry that stopped at the T1 guard",
			applies:   func(v Violation, c *checker) bool { return c.lastRetry && !c.lastRan },
		},
		{
			ID: "triage-batch-is-an-ordinary-issue", Property: PropTriageLeftAlone,
			Reason: "the triage batch is an issue labelled gt:triage, and the bead rules filter only gt:triage-request " +
				"(BD-1) or nothing at all (BD-1b, BD-2, BD-3, BD-4): when the triage agent is lost, BD-3 resets the batch " +
				"to open and the other bead rules may treat it as ordinary work. T15 sets the batch in_progress " +
				"before it awaits the agent's start (PR #2321), so the rules only ever reach a batch that was lost " +
				"while in progress",
			Spec: "reconciler.md §2.2 BD-1..BD-4 (no gt:triage filter), §1.2 T15 maybeDispatchTriageAgent",
			Condition: "a bead rule (BD-1, BD-1b, BD-2, BD-3, BD-4) acted on the triage batch (label gt:triage, not a " +
				"gt:triage-request) after it had been in progress (a status_changed event to in_progress): a batch " +
				"left open while its start was awaited is not explained",
			applies: func(v Violation, c *checker) bool {
				if !slices.Contains([]string{"BD-1", "BD-1b", "BD-2", "BD-3", "BD-4"}, v.Rule) {
					return false
				}
				db := c.world.Town().DB()
				n, _ := db.Int(`SELECT count(*) FROM bead_events e WHERE e.bead_id = ?
					AND e.event_type = 'status_changed' AND e.new_value = 'in_progress'`, v.Entity)
				return n > 0 && isTriageBatch(db, v.Entity)
			},
		},
		{
			ID: "invariant-5-failed-convoy", Property: PropInvariant,
			Reason:    "the specification lists failed convoys as tripping invariant #5; the port's check accepts 'failed'",
			Spec:      "reconciler.md §4.1 #5",
			Condition: "invariant #5 for a convoy whose status is failed",
			applies: func(v Violation, c *checker) bool {
				convoy, ok := invariantOf(v, 5)
				return ok && c.beadStatus(c.world.Town().DB(), convoy) == model.StatusFailed
			},
		},
		{
			ID: "already-running-redispatch", Property: PropFalseDeath,
			Reason: "a polecat re-dispatched while its old process still runs gets 500 'already running', " +
				"which production counts as started; the old process's reports land on the new hook",
			Spec:      "reconciler.md §3.2, §3.9",
			Condition: "the container answered a start of that agent with 500 'already running' within the grace bound",
			applies: func(v Violation, c *checker) bool {
				at, ok := c.alreadyRun[v.Entity]
				return ok && v.At.Sub(at) <= c.b.Grace
			},
		},
		{
			ID: "unhooked-process-keeps-running", Property: PropFalseDeath,
			Reason: "the Town unhooks an agent without stopping its process — when its bead is cancelled, or when " +
				"AG-1 idles it during a cold start over 90 s — so the process keeps working and heartbeating: " +
				"each heartbeat makes the agent working and AG-1 idles it again, until the process ends",
			Spec:      "model.md §4.13 touchAgent, reconciler.md §2.1 AG-1 and BD-2, first-wave findings 2 and 4",
			Condition: "the agent's live process works on a bead the agent is no longer hooked to",
			applies:   func(v Violation, c *checker) bool { return c.processUnhooked(v.Entity) },
		},
		{
			ID: "unhooked-process-flaps", Property: PropFlap,
			Reason:    "the same orphaned process: working (heartbeat) and idle (AG-1) alternate every 30 s",
			Spec:      "model.md §4.13, reconciler.md §2.1 AG-1",
			Condition: "the flapping agent's live process works on a bead the agent is no longer hooked to",
			applies:   func(v Violation, c *checker) bool { return c.processUnhooked(v.Entity) },
		},
		{
			ID: "unhooked-process-second-owner", Property: PropOneOwner,
			Reason: "the process of an agent unhooked without being stopped (a late exit report of its previous " +
				"process, a cancellation, AG-1 during a slow cold start) keeps working on its bead, which the " +
				"reconciler hands to a second agent",
			Spec: "model.md §4.10 unhookBead, reconciler.md §2.2 BD-3, first-wave finding 4",
			Condition: "at least one of the bead's live processes belongs to an agent no longer hooked to it, " +
				"and at most one to an agent still hooked",
			applies: func(v Violation, c *checker) bool {
				orphans, hooked := c.liveOwners(v.Entity, c.processUnhooked)
				return orphans >= 1 && hooked <= 1
			},
		},
		{
			ID: "deleted-agent-process-second-owner", Property: PropOneOwner,
			Reason: "production's deleteAgent reopens the agent's unfinished issue for the reconciler and deletes " +
				"the agent's rows, but sends the container nothing (Town.do.ts deleteAgent: agents.deleteAgent, then " +
				"the agent's own Durable Object): the deleted agent's process keeps working on the issue, which BD-1 " +
				"hands to a second agent",
			Spec: "model.md §4.6 deleteAgent, reconciler.md §2.2 BD-1",
			Condition: "at least one of the bead's live processes belongs to an agent a user deleted (the world's " +
				"deleteAgent), and at most one to an agent that was not deleted",
			applies: func(v Violation, c *checker) bool {
				deleted, kept := c.liveOwners(v.Entity, c.world.DeletedAgent)
				return deleted >= 1 && kept <= 1
			},
		},
		{
			ID: "deleted-agent-reopens-review", Property: PropTerminalWork,
			Reason: "production's deleteAgent reopens every bead assigned to the agent that is not closed or failed, " +
				"in_review included, while that issue's merge request stays in the review queue: BD-1 dispatches the " +
				"issue again, and when the first merge request merges the issue is closed under the new agent's work",
			Spec:      "model.md §4.6 deleteAgent, §4.17 completeReviewWithResult, reconciler.md §2.2 BD-1",
			Condition: "the terminal bead was in review, assigned to an agent a user deleted, and that delete reopened it",
			applies: func(v Violation, c *checker) bool {
				for _, id := range c.hookOf(v.Entity) {
					if c.world.ReopenedFromReview(id) {
						return true
					}
				}
				return false
			},
		},
		{
			ID: "already-running-two-owners", Property: PropOneOwner,
			Reason: "the same 'already running' race leaves the old process working on the bead while a new one starts",
			Spec:   "reconciler.md §3.2, §3.9",
			Condition: "one of the bead's live agents had a start answered 500 'already running' " +
				"within the grace bound before the violation",
			applies: func(v Violation, c *checker) bool {
				for agent, at := range c.alreadyRun {
					if strings.Contains(v.Detail, agent) && v.At.Sub(at) <= 2*c.b.Grace {
						return true
					}
				}
				return false
			},
		},
		{
			ID: "tick-awaits-untimed-call", Property: PropTickLatency,
			Reason: "production sends warm-up, stop, message, container state, merge and GitHub REST calls without a " +
				"timeout and its tick awaits them (the warm-up waits for the container to boot) and " +
				"its deferred calls with no overall timeout (allSettled): a tick that sends one to a container that " +
				"is still booting, or to a service that does not answer, lasts as long as that call",
			Spec: "reconciler.md §1.2 (allSettled, no overall timeout), §1.4, §3.9 call table, constants (stop / message / " +
				"merge / GitHub REST: no timeout)",
			Condition: "a call production sends without timeout (warm-up, stop, message, container state or stop, merge, " +
				"PR status or feedback) was " +
				"answered during the tick, later than the tick_latency bound after the tick fired",
			applies: func(v Violation, c *checker) bool {
				for _, at := range c.untimed {
					if at.Sub(c.tickStart) > c.b.TickLatency {
						return true
					}
				}
				return false
			},
		},
		{
			ID: "triage-batch-started-as-polecat", Property: PropRoleMatchesBead,
			Reason: "the consequence of triage-batch-is-an-ordinary-issue and triage-batch-reset-by-ag4: once a bead " +
				"rule or AG-4 returns the triage batch to open, BD-1 dispatches it as ordinary work, a full polecat " +
				"start instead of a lightweight triage start",
			Spec: "reconciler.md §2.2 BD-1..BD-3, §2.1 AG-4, §1.2 T15",
			Condition: "the bead is the triage batch (gt:triage, not a request) and triage-batch-is-an-ordinary-issue " +
				"(a bead rule) or triage-batch-reset-by-ag4 (AG-4) explained an action on it earlier in the run",
			applies: func(v Violation, c *checker) bool {
				if !c.explained["triage-batch-is-an-ordinary-issue"][v.Entity] && !c.explained["triage-batch-reset-by-ag4"][v.Entity] {
					return false
				}
				return isTriageBatch(c.world.Town().DB(), v.Entity)
			},
		},
		{
			ID: "stuck-session-awaits-gupp", Property: PropSettle,
			Reason: "a session that froze while heartbeating holds its bead until GUPP force-stops it (2 h after its " +
				"last progress at most); healing the world does not unfreeze a session already stuck, and the bead's " +
				"work starts over after the stop",
			Spec: "reconciler.md §2.5 GUPP (warn 15 min, escalate 1 h, force stop 2 h), constants",
			Condition: "within the issue's last settle window, a live process stuck for no longer than GUPP's 2 h " +
				"force stop (plus the grace bound) worked on the issue or on a merge request tracking it",
			applies: func(v Violation, c *checker) bool {
				held := func(bead string) bool {
					at, ok := c.stuckOn[bead]
					return ok && !at.Before(v.At.Add(-c.b.Settle))
				}
				if held(v.Entity) {
					return true
				}
				mrs, _ := c.world.Town().DB().Strings(`SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ?
					AND dependency_type = 'tracks' ORDER BY bead_id`, v.Entity)
				for _, mr := range mrs {
					if held(mr) {
						return true
					}
				}
				return false
			},
		},
		{
			ID: "cut-write-orphans-mr", Property: PropStarvation,
			Reason: "production wraps no operation in a transaction: a throw while a merge request is submitted can " +
				"leave its bead without the review_metadata row every review-queue rule joins, so no rule ever moves it again",
			Spec:      "model.md §1.2 (no transactions, no rollback), §4.15 submitToReviewQueue; reconciler.md §1.4, §2.3 RQ-1..RQ-4",
			Condition: "the starving bead is a merge request with no review_metadata row, and a fault of the apply path (apply-action, side-effect, event apply) fired within a minute of its creation",
			applies: func(v Violation, c *checker) bool {
				db := c.world.Town().DB()
				ts, _ := db.Strings(`SELECT b.created_at FROM beads b LEFT JOIN review_metadata r ON r.bead_id = b.bead_id
					WHERE b.bead_id = ? AND b.type = 'merge_request' AND r.bead_id IS NULL`, v.Entity)
				if len(ts) != 1 {
					return false
				}
				at, ok := model.ParseTime(ts[0])
				return ok && c.faultNear(at.Add(-time.Minute), at.Add(time.Minute), applyPathFaults...)
			},
		},
		{
			ID: "cut-write-splits-hook-and-assignee", Property: PropHookAssignee,
			Reason: "hooking an agent and setting the bead's assignee are separate statements without a transaction: " +
				"a throw between them leaves the hook and the assignee disagreeing",
			Spec:      "model.md §1.2 (no transactions, no rollback), §4.9 hookBead",
			Condition: "a fault of the apply path fired within a minute before the disagreement began (to the tick)",
			applies: func(v Violation, c *checker) bool {
				since, ok := c.broken[v.Property+"\x00"+v.Entity]
				return ok && c.faultNear(since.Add(-time.Minute), since, applyPathFaults...)
			},
		},
		{
			ID: "triage-batch-reset-by-ag4", Property: PropTriageLeftAlone,
			Reason: "AG-4 cleans up every idle agent hooked to a live bead, whatever the bead's labels: when the " +
				"triage agent goes idle while hooked (its frozen session force-stopped by GUPP, or its heartbeats " +
				"lost), AG-4 unhooks it and returns the triage batch to open like ordinary work",
			Spec:      "reconciler.md §2.1 AG-4 (any role, no label filter)",
			Condition: "AG-4 acted on the triage batch (label gt:triage, not a gt:triage-request)",
			applies: func(v Violation, c *checker) bool {
				if v.Rule != "AG-4" {
					return false
				}
				return isTriageBatch(c.world.Town().DB(), v.Entity)
			},
		},
		{
			ID: "cut-write-blocks-rig", Property: PropInvariant,
			Reason: "the same cut write as cut-write-orphans-mr seen by invariant #3: the merge request without its " +
				"review_metadata row stays in_progress beside the rig's next one",
			Spec:      "model.md §1.2 (no transactions), §4.15 submitToReviewQueue; reconciler.md §4.1 #3",
			Condition: "invariant #3, and the rig has an in-progress merge request with no review_metadata row",
			applies: func(v Violation, c *checker) bool {
				rig, ok := invariantOf(v, 3)
				if !ok {
					return false
				}
				n, _ := c.world.Town().DB().Int(`SELECT count(*) FROM beads b WHERE b.type = 'merge_request'
					AND b.status = 'in_progress' AND b.rig_id = ?
					AND NOT EXISTS (SELECT 1 FROM review_metadata r WHERE r.bead_id = b.bead_id)`, rig)
				return n > 0
			},
		},
		ag4RQ6SplitHook(),
		awaitingApprovalWithoutRig(),
	}
}

// applyPathFaults are the code faults that cut an action, side effect or
// event apply in the middle (model's failpoints).
var applyPathFaults = []string{model.FPApplyAction, model.FPSideEffect, model.FPEventApply}

// breakerOpenSince reports whether the breaker was open on a tick at or
// after from (as far as the checker has seen).
func (c *checker) breakerOpenSince(from time.Time) bool {
	if c.breakerOpen {
		return true
	}
	for i := len(c.tickTimes) - 1; i >= 0 && !c.tickTimes[i].Before(from); i-- {
		if c.breakerTicks[i+1] {
			return true
		}
	}
	return false
}

// liveOwners counts the live processes working on bead: those whose agent
// picked reports true, and the rest.
func (c *checker) liveOwners(bead string, picked func(agent string) bool) (yes, no int) {
	for _, p := range c.world.Processes() {
		if !p.Live || p.BeadID != bead {
			continue
		}
		if picked(p.AgentID) {
			yes++
		} else {
			no++
		}
	}
	return yes, no
}

// processUnhooked reports that agent's live process works on a bead the
// agent is no longer hooked to (its work was taken from it under it).
func (c *checker) processUnhooked(agent string) bool {
	for _, p := range c.world.Processes() {
		if p.AgentID == agent && p.Live && p.BeadID != "" {
			hook := c.hookOf(agent)
			return len(hook) == 1 && hook[0] != p.BeadID
		}
	}
	return false
}

// invariantOf returns the entity a violation of production invariant n
// names, and whether v is one.
func invariantOf(v Violation, n int) (string, bool) {
	return strings.CutPrefix(v.Entity, "#"+strconv.Itoa(n)+" ")
}

// hookOf returns the bead agent is hooked to ("" = none), as a
// list for the findings that read it.
func (c *checker) hookOf(agent string) []string {
	hook, _ := c.world.Town().DB().Strings(`SELECT COALESCE(current_hook_bead_id, '') FROM agent_metadata WHERE bead_id = ?`, agent)
	return hook
}

// isTriageBatch reports whether bead id is the triage batch: labelled
// gt:triage and not a gt:triage-request. The labels are tested here, not
// by LIKE in the query: a LIKE beside a bound text takes the model's slow
// exact-plan path.
func isTriageBatch(db *model.DB, id string) bool {
	labels, _ := db.Strings(`SELECT labels FROM beads WHERE bead_id = ?`, id)
	return len(labels) == 1 && hasAnyLabel(labels[0], model.LabelTriage) && !hasAnyLabel(labels[0], model.LabelTriageRequest)
}
