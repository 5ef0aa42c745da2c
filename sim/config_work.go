package sim

import (
	"time"

	"github.com/townsim/townsim/des"
)

// WorkConfig describes agent work and its outcomes.
type WorkConfig struct {
	// Polecat is how long a polecat works on an ordinary issue.
	Polecat des.Dist `yaml:"polecat"`
	// Fixup is how long a polecat works on rework, PR feedback, PR
	// conflict and triage beads.
	Fixup des.Dist `yaml:"fixup"`
	// Done and Failed weigh how a polecat's work ends: gt_done (then
	// agent_completed(completed)) or agent_completed(failed).
	Done   float64 `yaml:"done"`
	Failed float64 `yaml:"failed"`
	// DoneSummary is the fraction of gt_done calls that carry a summary
	// of the work (gt_done's optional summary: a refinery's becomes the
	// review's message, a polecat's the merge request's body). Nothing is
	// drawn while it is 0.
	DoneSummary float64 `yaml:"done_summary"`
	// StatusMessages is the fraction of agent jobs (polecats' and
	// refineries') whose agent posts a status message while it works
	// (production's gt_status tool, updateAgentStatusMessage), and,
	// drawn apart, of gt_done calls followed by one more before the
	// process exits. Nothing is drawn while it is 0.
	StatusMessages float64 `yaml:"status_messages"`
	// DoneToCompleted is the gap between gt_done and the process exit report.
	DoneToCompleted des.Dist `yaml:"done_to_completed"`
	// MayorSession is how long the mayor's session lasts before it exits
	// (agent_completed, the mayor turns idle); "" Kind = it never ends.
	MayorSession des.Dist `yaml:"mayor_session"`
	// MayorQuiet makes the mayor wait for its user as production's mayor
	// does: its session answers once when it starts running and then sits
	// quiet, so its heartbeats carry the SDK watermark of that start (an
	// ever older last_event_at) instead of a fresh one. false = every
	// heartbeat reports fresh SDK activity.
	MayorQuiet bool `yaml:"mayor_quiet"`
	// Refinery is how long a refinery reviews.
	Refinery des.Dist `yaml:"refinery"`
	// Approve, RequestChanges and ReviewFail weigh a review's end.
	Approve        float64 `yaml:"approve"`
	RequestChanges float64 `yaml:"request_changes"`
	ReviewFail     float64 `yaml:"review_fail"`
	// Triage is the action a triage agent resolves each request with, by
	// the request's triage_type (zero value = the defaults).
	Triage TriageActions `yaml:"triage"`
}

// WorkloadConfig describes the users.
type WorkloadConfig struct {
	// IssuesPerHour is the mean issue arrival rate; 0 derives the rate that
	// sustains the fleet: Agents per mean polecat work time.
	IssuesPerHour float64 `yaml:"issues_per_hour"`
	// MaxOpen closes the users' loop: while this many of their issues are
	// not terminal, arriving issues (Poisson and bursts) are dropped, as
	// users who wait for a stalled town before adding work. 0 = open loop.
	MaxOpen int `yaml:"max_open"`
	// NoInitialFill skips slinging Agents issues at the start.
	NoInitialFill bool `yaml:"no_initial_fill"`
	// Diurnal is the amplitude (0 ≤ a < 1) of a daily cosine on the rate.
	Diurnal float64 `yaml:"diurnal"`
	// PeakHour is the UTC hour of the daily peak.
	PeakHour float64 `yaml:"peak_hour"`
	// BurstEvery is the time between bursts ("" Kind = no bursts).
	BurstEvery des.Dist `yaml:"burst_every"`
	// BurstSize is the number of issues slung in a burst.
	BurstSize int `yaml:"burst_size"`
	// Unassigned is the fraction of issues created with a rig and no
	// assignee (t.CreateBead), which BD-1 dispatches.
	Unassigned float64 `yaml:"unassigned"`
	// ConvoysPerHour is the convoy arrival rate.
	ConvoysPerHour float64 `yaml:"convoys_per_hour"`
	// ConvoyMinTasks and ConvoyMaxTasks bound a convoy's task count.
	ConvoyMinTasks int `yaml:"convoy_min_tasks"`
	ConvoyMaxTasks int `yaml:"convoy_max_tasks"`
	// ConvoyDepends is the probability that a task depends on the one before.
	ConvoyDepends float64 `yaml:"convoy_depends"`
	// ReviewAndMerge is the fraction of convoys in review-and-merge mode.
	ReviewAndMerge float64 `yaml:"review_and_merge"`
	// Staged is the fraction of convoys created staged.
	Staged float64 `yaml:"staged"`
	// StartDelay is how long a staged convoy waits for t.StartConvoy.
	StartDelay des.Dist `yaml:"start_delay"`
	// HeldPerHour is the arrival rate of held beads.
	HeldPerHour float64 `yaml:"held_per_hour"`
	// DestroyAfter is when, after the start, the user deletes the town
	// (production's destroy: alarm deleted, storage wiped); 0 = never.
	DestroyAfter time.Duration `yaml:"destroy_after"`
	// HoldFor is how long a held bead waits for t.StartHeldBead.
	HoldFor des.Dist `yaml:"hold_for"`
	// Cancel is the fraction of issues a user cancels.
	Cancel float64 `yaml:"cancel"`
	// CancelAfter is when, after creation, the user cancels.
	CancelAfter des.Dist `yaml:"cancel_after"`
	// CancelFailed is the fraction of cancellations that mark the bead
	// failed instead of closed.
	CancelFailed float64 `yaml:"cancel_failed"`
	// Delete is the fraction of issues a user deletes (t.DeleteBead),
	// whatever their state and pending events.
	Delete float64 `yaml:"delete"`
	// DeleteAfter is when, after creation, the user deletes.
	DeleteAfter des.Dist `yaml:"delete_after"`
	// DeleteOnDone is the fraction of issues a user deletes the moment an
	// agent reports gt_done on them, while that report is still pending.
	DeleteOnDone float64 `yaml:"delete_on_done"`
	// DeleteInReview is the fraction of issues in review (their merge
	// request open or in review) a user deletes, each looked at once
	// within 10 s of reaching in_review; the merge request stays, an
	// orphan whose source_bead_id names no bead. Drawn from its own
	// stream; nothing is drawn while it is 0.
	DeleteInReview float64 `yaml:"delete_in_review"`
	// DeleteWrongRig switches the users' deletes to production's tRPC
	// deleteBead, which names the rig of the page's route: the fraction
	// of deletes a user first sends through another rig's route (refused:
	// the bead is not in that rig), then, a minute later, through the
	// bead's own rig. While it is 0 the world deletes without a rig.
	DeleteWrongRig float64 `yaml:"delete_wrong_rig"`
	// DeleteBulk is the fraction of the rig-routed deletes (only with
	// DeleteWrongRig > 0) a user sends as a list: production's tRPC
	// deleteBead takes one id or several, and a list goes to the Town's
	// deleteBeads, filtered to the route's rig, whose count the page
	// shows. The list is the issue and the ids of up to two issues the
	// user deleted before (a stale selection). Nothing is drawn while it
	// is 0; a delete with no earlier deleted issue goes alone.
	DeleteBulk float64 `yaml:"delete_bulk"`
	// DeleteMayor is the fraction of the rig-routed deletes (only with
	// DeleteWrongRig > 0) the rig's mayor makes with its bulk-delete tool
	// instead of the user: the tool sends any list, a single id included,
	// to the Town's deleteBeads filtered to its rig. The list is the
	// issue and up to two issues deleted before (often the issue alone).
	// Drawn from its own stream before DeleteBulk; nothing is drawn while
	// it is 0.
	DeleteMayor float64 `yaml:"delete_mayor"`
	// DeleteAgent is the fraction of polecats' gt_done reports on an
	// ordinary issue after which a user deletes the reporting agent at
	// once from its rig's page (production's tRPC deleteAgent), while
	// the report is still pending and the process has yet to exit: the
	// Town drops the agent's pending events and reopens its unfinished
	// beads, and the container's exit report then names an agent that is
	// gone. Nothing is drawn while it is 0.
	DeleteAgent float64 `yaml:"delete_agent"`
	// DeleteAgentMidWork is the fraction of polecat processes on an
	// ordinary issue whose agent a user deletes halfway through the work
	// (tRPC deleteAgent). Production's deleteAgent does not stop the
	// container's process: it works on, heartbeats for an agent that is
	// gone and reports gt_done and its exit for it, while the Town has
	// reopened the issue for another agent. Nothing is drawn while it is 0.
	DeleteAgentMidWork float64 `yaml:"delete_agent_mid_work"`
	// DeleteAgentWhileObserved is the fraction of the alarm's container
	// status checks (T4) of a polecat whose process is not running (the
	// container answers exited, not_found or another non-running status)
	// during which a user deletes that agent (tRPC deleteAgent): the
	// Town serves the delete while the alarm awaits the container's
	// answer, as a Durable Object interleaves requests at every await,
	// so the alarm records the answer for an agent that is gone and its
	// drain meets an event whose agent no longer exists. Nothing is drawn
	// while it is 0.
	DeleteAgentWhileObserved float64 `yaml:"delete_agent_while_observed"`
	// StaleAgentReset is the fraction of those deleted agents an admin
	// force-resets a minute later from a list loaded before the delete
	// (production's adminForceResetAgent: unhookBead, then
	// updateAgentStatus idle, on an id that is gone).
	StaleAgentReset float64 `yaml:"stale_agent_reset"`
	// ResetRefineryMidReview is the fraction of refinery processes on a
	// review whose agent an admin force-resets at a uniform point of it
	// (production's adminForceResetAgent: unhookBead, then
	// updateAgentStatus idle). The reset does not touch the merge request
	// (it stays in progress with nobody hooked, for the review queue's
	// abandoned-review rule) nor stop the container's process, which
	// works on and reports gt_done for an agent that lost its hook.
	// Nothing is drawn while it is 0.
	ResetRefineryMidReview float64 `yaml:"reset_refinery_mid_review"`
	// HookRefineryMidWork is the fraction of polecat processes on an issue
	// during whose work an admin hooks the rig's refinery to that issue
	// through production's hookBead, at a uniform point of the work, when
	// the issue is still in progress and the rig has an idle refinery with
	// no hook: the polecat is unhooked (hookBead moves a bead's hook) and
	// works on, and a refinery sits idle, hooked to an issue, which no rule
	// of the review queue may take for a review. Nothing is drawn while it
	// is 0.
	HookRefineryMidWork float64 `yaml:"hook_refinery_mid_work"`
	// BlockMR is the fraction of new merge requests a user makes wait for
	// another issue under review (production's tRPC updateBead with
	// depends_on: a blocks edge from the merge request to that issue),
	// looked at once a minute. Nothing is drawn while it is 0.
	BlockMR float64 `yaml:"block_mr"`
	// DependWorking is the fraction of issues assigned to an agent (in
	// progress, or open and hooked) that a user makes wait for another
	// unfinished issue (production's tRPC updateBead with depends_on: a
	// blocks edge from the issue to that one), looked at every 10 s, each
	// issue once. Nothing is drawn while it is 0.
	DependWorking float64 `yaml:"depend_working"`
	// ReopenWorking is the fraction of issues in progress that a user
	// moves back to open while an agent works on them (production's tRPC
	// updateBead with status open; the agent stays hooked and at work),
	// looked at every 10 s, each issue once. Nothing is drawn while it
	// is 0.
	ReopenWorking float64 `yaml:"reopen_working"`
	// Wasteland is the fraction of slung issues the mayor slings for a
	// wanted item it claimed on the town's wasteland: the issue carries
	// production's origin tag (metadata.wasteland, kind
	// wanted-item-claim); an item gets one to a few issues.
	Wasteland float64 `yaml:"wasteland"`
	// WastelandTagMR is the fraction of the merge requests of
	// wasteland-tagged issues that a user tags with the issue's wanted
	// item (production's tRPC updateBead accepts any metadata record: the
	// MR's metadata plus a `wasteland` origin), looked at every minute.
	// The tagged MRs are what the wasteland reporter (WL) reads: it
	// reports a claim done once its tagged MRs merged. Nothing is drawn
	// while it is 0.
	WastelandTagMR float64 `yaml:"wasteland_tag_mr"`
	// WastelandConvoy is the fraction of convoys the mayor slings for a
	// wanted item it claimed (a new item each): the convoy bead and its
	// tasks carry production's origin tag, so the item's claim groups the
	// convoy, its tasks and the tasks' tagged merge requests, and WL waits
	// for the convoy to close as well. Drawn from its own stream, only
	// when on.
	WastelandConvoy float64 `yaml:"wasteland_convoy"`
	// WastelandUntag is the probability that, when the wasteland service
	// marks a wanted item done for the Town, the user who claimed it
	// removes the item's tag from the claim's beads at that moment (a
	// tRPC updateBead whose metadata drops `wasteland`), so the edit lands
	// while the Town's call is still answering: the Town's stamp then
	// finds beads that are no longer tagged. Drawn from its own stream,
	// only when on.
	WastelandUntag float64 `yaml:"wasteland_untag"`
	// WastelandMalformed is the fraction of those tags the user writes
	// malformed for production's origin schema (no kind, a number or an
	// empty string where a non-empty string belongs, a source_url that
	// is no URL); the other tags are valid variants (the issue's tag
	// copied, a pull_id instead of the source_url, the required keys only).
	WastelandMalformed float64 `yaml:"wasteland_malformed"`
	// Unrig is the fraction of issues (convoy tasks included) a user moves
	// out of their rig at UnrigAfter after creation (production's tRPC
	// updateBead with rig_id null), together with the merge requests
	// that track the issue and are still open then. Such a bead waits:
	// no rule dispatches or reviews a bead without a rig. Nothing is
	// drawn while Unrig is 0.
	Unrig float64 `yaml:"unrig"`
	// UnrigAfter is when, after creation, the user moves it.
	UnrigAfter des.Dist `yaml:"unrig_after"`
	// UnrigEmpty is the share of those moves that send rig_id as the
	// empty string instead of null (tRPC updateBead takes any string and
	// updateBeadFields writes it as sent), leaving the issue on the
	// empty-string rig. Drawn from its own stream, and only for an issue
	// with no open merge request (the others move to NULL); nothing is
	// drawn while it is 0.
	UnrigEmpty float64 `yaml:"unrig_empty"`
	// Edit is the fraction of issues a user edits at EditAfter after
	// creation (production's tRPC updateBead): a new title, description
	// and priority, and the previous issue of the same rig as its parent;
	// EditClose is the fraction of those edits that also set the status
	// closed (a cancellation from the edit form). Nothing is drawn while
	// Edit is 0.
	Edit      float64  `yaml:"edit"`
	EditAfter des.Dist `yaml:"edit_after"`
	EditClose float64  `yaml:"edit_close"`
	// DashboardVisitsPerHour is the rate at which users open the town's
	// page, whose load calls t.EnsureMayor (production's mayor/ensure
	// route). It is how production brings back a mayor lost to a container
	// eviction; 0 = never, and such a mayor stays down until a user
	// message starts it.
	DashboardVisitsPerHour float64 `yaml:"dashboard_visits_per_hour"`
}
