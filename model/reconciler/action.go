// Package reconciler is the gastown reconciler: the seven sub-reconcilers
// that read a Town's state and emit actions (reconciler.md §2), and the
// executor that applies those actions and returns their deferred side
// effects (§3).
package reconciler

import (
	"strconv"
	"strings"
)

// Action types, the 26 members of production's action union (§3.1).
const (
	TransitionBead             = "transition_bead"
	AssignBead                 = "assign_bead"
	ClearBeadAssignee          = "clear_bead_assignee"
	CreateMRBead               = "create_mr_bead"
	CreateLandingMR            = "create_landing_mr"
	CloseSiblingMRs            = "close_sibling_mrs"
	SetReviewPRURL             = "set_review_pr_url"
	TransitionAgent            = "transition_agent"
	ResetAgentDispatchAttempts = "reset_agent_dispatch_attempts"
	HookAgent                  = "hook_agent"
	UnhookAgent                = "unhook_agent"
	ClearAgentCheckpoint       = "clear_agent_checkpoint"
	DeleteAgent                = "delete_agent"
	UpdateConvoyProgress       = "update_convoy_progress"
	SetConvoyReadyToLand       = "set_convoy_ready_to_land"
	CloseConvoy                = "close_convoy"
	FailConvoy                 = "fail_convoy"
	DispatchAgent              = "dispatch_agent"
	StopAgent                  = "stop_agent"
	PollPR                     = "poll_pr"
	MergePR                    = "merge_pr"
	SendNudge                  = "send_nudge"
	CreateTriageRequest        = "create_triage_request"
	NotifyMayor                = "notify_mayor"
	EmitEvent                  = "emit_event"
	ReportWastelandDone        = "report_wasteland_done"
)

// ActionTypes lists the 26 action types in the union's order.
var ActionTypes = []string{
	TransitionBead, AssignBead, ClearBeadAssignee, CreateMRBead, CreateLandingMR,
	CloseSiblingMRs, SetReviewPRURL, TransitionAgent, ResetAgentDispatchAttempts,
	HookAgent, UnhookAgent, ClearAgentCheckpoint, DeleteAgent, UpdateConvoyProgress,
	SetConvoyReadyToLand, CloseConvoy, FailConvoy, DispatchAgent, StopAgent, PollPR,
	MergePR, SendNudge, CreateTriageRequest, NotifyMayor, EmitEvent, ReportWastelandDone,
}

// RuleIDs lists, in spec order (§2.1–§2.7), the id of every rule that
// emits actions: the value an emitted Action carries in Rule. Steps that
// only compute (CV-1…CV-4, CV-6) emit nothing and are not listed; GUPP's
// three tiers and the wasteland pass (WL) have one id each.
var RuleIDs = []string{
	"AG-1", "AG-2", "AG-3", "AG-4",
	"BD-1", "BD-1b", "BD-2", "BD-3", "BD-4", "BD-CB",
	"RQ-1", "RQ-2", "RQ-3", "RQ-4", "RQ-FT", "RQ-OR", "RQ-5", "RQ-6", "RQ-7",
	"CV-5", "CV-7", "CV-8",
	"GUPP-force-stop", "GUPP-escalate", "GUPP-warn",
	"GC", "WL",
}

// Action is one member of the action union. Type selects the member; only
// the fields that member has are meaningful (the others stay zero).
type Action struct {
	Type string

	// Rule is the id of the rule that emitted the action (one of RuleIDs,
	// e.g. "AG-1", "BD-3", "RQ-5", "CV-7", "GUPP-warn", "GC", "WL"); every
	// action of a multi-action rule carries that rule's id. It is harness
	// metadata, not part of production's action union: apply ignores it
	// and String does not print it, so traces and their hashes do not
	// depend on it. Comparisons with production's actions (differential
	// checks) must leave it out, e.g. by comparing String.
	Rule string

	BeadID   string // transition_bead, assign/clear assignee, set_review_pr_url, dispatch, poll/merge
	AgentID  string // agent actions; dispatch_agent ("" = resolve)
	RigID    string // create_mr_bead, create_landing_mr, dispatch_agent
	ConvoyID string // convoy actions

	// From is advisory (ignored by apply); FromNull marks production's null.
	From     string
	FromNull bool
	To       string
	Reason   string
	Actor    string

	SourceBeadID  string // create_mr_bead, close_sibling_mrs
	ExcludeMRID   string // close_sibling_mrs
	Branch        string // create_mr_bead
	TargetBranch  string // create_mr_bead, create_landing_mr
	FeatureBranch string // create_landing_mr
	PRURL         string // create_mr_bead, set_review_pr_url, poll/merge
	Summary       string // create_mr_bead
	Message       string // send_nudge, notify_mayor
	Tier          string // send_nudge: warn, escalate, force_stop
	TriageType    string // create_triage_request
	ClosedBeads   int    // update_convoy_progress

	EventName string      // emit_event
	EventData [][2]string // emit_event data, in key order as emitted

	CanonicalBeadID string // report_wasteland_done
	WastelandID     string
	ItemID          string
	Evidence        string
}

// String renders the action deterministically: its type, then each
// non-empty field as key=value, for traces and test failure messages.
func (a Action) String() string {
	var sb strings.Builder
	sb.WriteString(a.Type)
	sb.WriteByte('{')
	n := 0
	add := func(k, v string) {
		if v == "" {
			return
		}
		if n > 0 {
			sb.WriteByte(',')
		}
		n++
		sb.WriteString(k)
		sb.WriteByte('=')
		sb.WriteString(v)
	}
	add("bead", a.BeadID)
	add("agent", a.AgentID)
	add("rig", a.RigID)
	add("convoy", a.ConvoyID)
	if a.FromNull {
		add("from", "null")
	} else {
		add("from", a.From)
	}
	add("to", a.To)
	add("actor", a.Actor)
	add("source", a.SourceBeadID)
	add("exclude", a.ExcludeMRID)
	add("branch", a.Branch)
	add("target", a.TargetBranch)
	add("feature_branch", a.FeatureBranch)
	add("pr_url", a.PRURL)
	add("tier", a.Tier)
	add("triage_type", a.TriageType)
	if a.Type == UpdateConvoyProgress {
		add("closed_beads", strconv.Itoa(a.ClosedBeads))
	}
	add("event", a.EventName)
	for _, kv := range a.EventData {
		add(kv[0], kv[1])
	}
	add("canonical", a.CanonicalBeadID)
	add("wasteland", a.WastelandID)
	add("item", a.ItemID)
	add("reason", a.Reason)
	sb.WriteByte('}')
	return sb.String()
}
