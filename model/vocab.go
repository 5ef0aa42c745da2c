package model

// Bead types (beads.type).
const (
	TypeIssue        = "issue"
	TypeMessage      = "message"
	TypeEscalation   = "escalation"
	TypeMergeRequest = "merge_request"
	TypeConvoy       = "convoy"
	TypeMolecule     = "molecule"
	TypeAgent        = "agent"
)

// Bead statuses (beads.status). Closed and failed are terminal.
const (
	StatusOpen       = "open"
	StatusInProgress = "in_progress"
	StatusInReview   = "in_review"
	StatusClosed     = "closed"
	StatusFailed     = "failed"
)

// Agent roles (agent_metadata.role).
const (
	RolePolecat  = "polecat"
	RoleRefinery = "refinery"
	RoleMayor    = "mayor"
)

// Agent statuses (agent_metadata.status; any string is accepted on read).
const (
	AgentIdle    = "idle"
	AgentWorking = "working"
	AgentWaiting = "waiting"
	AgentStalled = "stalled"
	AgentDead    = "dead"
)

// Dependency types (bead_dependencies.dependency_type).
const (
	DepBlocks      = "blocks"
	DepTracks      = "tracks"
	DepParentChild = "parent-child"
)

// Convoy merge modes.
const (
	MergeModeReviewThenLand = "review-then-land"
	MergeModeReviewAndMerge = "review-and-merge"
)

// Labels the logic reads (model.md §2.1).
const (
	LabelMergeRequest   = "gt:merge-request"
	LabelConvoy         = "gt:convoy"
	LabelTriageRequest  = "gt:triage-request"
	LabelTriage         = "gt:triage"
	LabelRework         = "gt:rework"
	LabelPRFeedback     = "gt:pr-feedback"
	LabelPRConflict     = "gt:pr-conflict"
	LabelPRFixup        = "gt:pr-fixup"
	LabelHeld           = "gt:held"
	LabelEscalation     = "gt:escalation"
	LabelMessage        = "gt:message"
	triageRequestLike   = `%"gt:triage-request"%`
	triageBatchLike     = `%"gt:triage"%`
	heldLike            = `%"gt:held"%`
	prFeedbackLikeLoose = `%gt:pr-feedback%`
	prConflictLikeLoose = `%gt:pr-conflict%`
)

// Town event types, in the baseline enum's declaration order (model.md §5.1).
const (
	EventAgentDone          = "agent_done"
	EventAgentCompleted     = "agent_completed"
	EventContainerStatus    = "container_status"
	EventContainerEviction  = "container_eviction"
	EventPRStatusChanged    = "pr_status_changed"
	EventBeadCreated        = "bead_created"
	EventBeadCancelled      = "bead_cancelled"
	EventConvoyStarted      = "convoy_started"
	EventNudgeTimeout       = "nudge_timeout"
	EventPRFeedbackDetected = "pr_feedback_detected"
	EventPRAutoMerge        = "pr_auto_merge"
	EventPRConflictDetected = "pr_conflict_detected"
)

// EventTypes lists the 12 town event types in declaration order.
var EventTypes = []string{
	EventAgentDone, EventAgentCompleted, EventContainerStatus, EventContainerEviction,
	EventPRStatusChanged, EventBeadCreated, EventBeadCancelled, EventConvoyStarted,
	EventNudgeTimeout, EventPRFeedbackDetected, EventPRAutoMerge, EventPRConflictDetected,
}

// PolecatNames is the fixed polecat name pool, in allocation order.
var PolecatNames = []string{
	"Toast", "Maple", "Birch", "Shadow", "Clover", "Ember", "Sage", "Dusk", "Flint", "Coral",
	"Slate", "Reed", "Thorn", "Pike", "Moss", "Wren", "Blaze", "Gale", "Drift", "Lark",
}

func validBeadType(t string) bool {
	switch t {
	case TypeIssue, TypeMessage, TypeEscalation, TypeMergeRequest, TypeConvoy, TypeMolecule, TypeAgent:
		return true
	}
	return false
}

func validBeadStatus(s string) bool {
	switch s {
	case StatusOpen, StatusInProgress, StatusInReview, StatusClosed, StatusFailed:
		return true
	}
	return false
}

// Terminal reports whether a bead status is closed or failed.
func Terminal(status string) bool { return status == StatusClosed || status == StatusFailed }
