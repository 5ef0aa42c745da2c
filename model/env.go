package model

import "time"

// Env is what the Town needs from its surroundings while it works: the
// clock, and the external calls production awaits (container, GitHub,
// wasteland). The Town never blocks on its own: a deterministic engine
// implements Env, performs each call with a latency of its choosing and
// lets other Town RPCs run while a call is outstanding, as production's
// Durable Object interleaves RPCs at every await.
type Env interface {
	// Now is the current virtual time. It may advance across Call and All.
	Now() time.Time
	// Call performs one awaited external call and returns its result.
	Call(c Call) Result
	// All runs tasks concurrently and returns when every one has finished
	// (production's Promise.allSettled). Each task may Call.
	All(tasks []func())
	// Go starts a task that nobody awaits (production's fire-and-forget).
	Go(task func())
}

// CallKind names an external call.
type CallKind string

// The external calls of the Town (reconciler.md §3.9, §3.3, §3.4, §3.6).
const (
	CallWarmUp         CallKind = "container.warm_up"
	CallHealth         CallKind = "container.health"
	CallRefreshToken   CallKind = "container.refresh_token"
	CallAgentStatus    CallKind = "container.agent_status"
	CallStartAgent     CallKind = "container.start_agent"
	CallStopAgent      CallKind = "container.stop_agent"
	CallSendMessage    CallKind = "container.send_message"
	CallContainerState CallKind = "container.get_state"
	CallContainerStop  CallKind = "container.stop"
	// CallContainerDestroy is the container's destroy (SIGKILL, state
	// cleared) that the Town's destroy RPC asks for.
	CallContainerDestroy CallKind = "container.destroy"
	CallPRStatus         CallKind = "github.pr_status"
	CallPRFeedback       CallKind = "github.pr_feedback"
	CallMergePR          CallKind = "github.merge_pr"
	CallWastelandBrowse  CallKind = "wasteland.browse"
	CallWastelandDone    CallKind = "wasteland.mark_done"
)

// Call is one external call, described as data.
type Call struct {
	Kind    CallKind
	AgentID string
	BeadID  string
	RigID   string
	Role    string
	// URL is the PR URL of GitHub calls.
	URL string
	// Message is the prompt of CallSendMessage.
	Message string
	// Lightweight marks a triage start.
	Lightweight bool
	// Branch is the agent's working branch in a start payload (built by
	// the Town: BranchForAgent, BranchForConvoyAgent); StartPoint is the
	// ref a convoy agent starts from ("" = the default branch).
	Branch     string
	StartPoint string
	// GitURL, DefaultBranch, UserID and PlatformIntegrationID come from
	// the rig config the start payload is built from.
	GitURL                string
	DefaultBranch         string
	UserID                string
	PlatformIntegrationID string
	// DrainNonce is the X-Drain-Nonce header of a health call ("" = none).
	DrainNonce string
	// WastelandID, ItemID and Evidence describe a wasteland report.
	WastelandID string
	ItemID      string
	Evidence    string
}

// Result is the outcome of a Call. Which fields matter depends on the kind;
// the Town maps them as production maps HTTP answers.
type Result struct {
	// Err is a thrown error (timeout, network failure); "" when none.
	Err string
	// StatusCode is the HTTP status of HTTP-shaped calls (0 when none).
	StatusCode int
	// Body is the response body text where production reads it.
	Body string
	// Status and ExitReason are the agent status answer (2xx JSON body).
	Status     string
	ExitReason string
	// ColdStart and Duration describe a warm-up.
	ColdStart bool
	Duration  time.Duration
	// StartedAt and MayorReadyAt come from the health body (zero = absent).
	StartedAt    time.Time
	MayorReadyAt time.Time
	// State is the container state of CallContainerState.
	State string
	// OK is the boolean answer of message, merge and wasteland calls.
	OK bool
	// PR is the answer of CallPRStatus.
	PR PRStatus
	// Feedback is the answer of CallPRFeedback (nil = none, as production's null).
	Feedback *PRFeedback
	// ItemDone reports that a browsed wasteland item is already done.
	ItemDone bool
}

// PRStatus is checkPRStatus's outcome (reconciler.md §3.3).
type PRStatus struct {
	// OK is false for an error outcome.
	OK bool
	// State is open, merged or closed.
	State string
	// MergeableState is GitHub's mergeable_state for open PRs ("" if none).
	MergeableState string
	// ErrKind is no_token, unrecognized_url, host_mismatch, http_error or invalid_response.
	ErrKind string
	// HTTPStatus is the status of an http_error.
	HTTPStatus int
	// InvalidReason tells an invalid_response apart: "json_parse" (no JSON
	// body; also what "" means) or "schema_mismatch" (JSON of the wrong
	// shape, whose top-level keys, in order, are Keys).
	InvalidReason string
	Keys          []string
}

// PRFeedback is checkPRFeedback's answer.
type PRFeedback struct {
	HasUnresolvedComments bool
	HasFailingChecks      bool
	HasUncheckedRuns      bool
	AllChecksPass         bool
	ReviewDecision        string
	MergeStateStatus      string
}

// AwaitingApproval is production's test: review required or merge blocked.
func (f *PRFeedback) AwaitingApproval() bool {
	return f.ReviewDecision == "REVIEW_REQUIRED" || f.MergeStateStatus == "BLOCKED"
}

// ChangesRequested reports a CHANGES_REQUESTED review decision.
func (f *PRFeedback) ChangesRequested() bool { return f.ReviewDecision == "CHANGES_REQUESTED" }

// InstantEnv is an Env whose calls complete at once with answers from
// Respond, and whose tasks run one after another. Tests and tools that
// need no simulated world use it.
type InstantEnv struct {
	// Clock is the current time; tests move it.
	Clock time.Time
	// Respond answers calls; nil answers every call with a zero Result.
	Respond func(Call) Result
	// Calls records every call made, in order.
	Calls []Call
}

// Now returns e.Clock.
func (e *InstantEnv) Now() time.Time { return e.Clock }

// Call records c and answers it.
func (e *InstantEnv) Call(c Call) Result {
	e.Calls = append(e.Calls, c)
	if e.Respond == nil {
		return Result{}
	}
	return e.Respond(c)
}

// All runs the tasks in order.
func (e *InstantEnv) All(tasks []func()) {
	for _, t := range tasks {
		t()
	}
}

// Go runs the task at once.
func (e *InstantEnv) Go(task func()) { task() }
