package differential

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/townsim/townsim/model"
)

// ExecSupport says which of the checkout's executors the host loaded.
type ExecSupport struct {
	// ApplyEvent: the checkout's reconciler.ts exports applyEvent.
	ApplyEvent bool `json:"apply_event"`
	// ApplyAction: the checkout has src/dos/town/actions.ts with applyAction.
	ApplyAction bool `json:"apply_action"`
	// TownMethods: the checkout's src/dos/Town.do.ts bundled and loaded,
	// so the side effects of dispatch_agent, stop_agent, send_nudge and
	// report_wasteland_done run production's own Town methods (their rows
	// and analytics are compared); TownMethodsError says why not.
	TownMethods      bool   `json:"town_methods"`
	TownMethodsError string `json:"town_methods_error,omitempty"`
}

// EventRow is one town_events row as stored (the payload as its text).
type EventRow struct {
	EventID     string  `json:"event_id"`
	EventType   string  `json:"event_type"`
	AgentID     *string `json:"agent_id"`
	BeadID      *string `json:"bead_id"`
	Payload     string  `json:"payload"`
	CreatedAt   string  `json:"created_at"`
	ProcessedAt *string `json:"processed_at"`
}

// NewEventRow is the row of a drained event.
func NewEventRow(ev model.TownEvent) EventRow {
	opt := func(s string, valid bool) *string {
		if !valid {
			return nil
		}
		return &s
	}
	return EventRow{EventID: ev.ID, EventType: ev.Type, AgentID: opt(ev.AgentID.String, ev.AgentID.Valid),
		BeadID: opt(ev.BeadID.String, ev.BeadID.Valid), Payload: ev.PayloadRaw, CreatedAt: ev.CreatedAt,
		ProcessedAt: opt(ev.ProcessedAt.String, ev.ProcessedAt.Valid)}
}

// EventOutcome is what the original's applyEvent did on a state.
type EventOutcome struct {
	Delta []Change `json:"delta"`
	// Error is what it threw ("" = nothing).
	Error string `json:"throw,omitempty"`
}

// Answer is one recorded answer of production's action context: the
// kind of call (dispatchAgent, checkPRStatus, ...), the answer in
// production's shape, or the message it threw; NowMs is the clock after
// the call returned (0 = unchanged).
type Answer struct {
	Kind   string `json:"kind"`
	Answer any    `json:"answer,omitempty"`
	Throw  string `json:"throw,omitempty"`
	NowMs  int64  `json:"now_ms,omitempty"`
	// StartError is, for a startAgentInContainer answer, the last start
	// error it leaves (getLastStartError).
	StartError string `json:"start_error,omitempty"`
}

// CallMade is one call of the action context an effect made: its kind
// and arguments in production's shape.
type CallMade struct {
	Kind string         `json:"kind"`
	Args map[string]any `json:"args"`
}

// ActionOutcome is what the original's applyAction did on a state: the
// changes of its synchronous part (or what it threw), whether it returned
// a side effect, and, when the effect was run, its calls and changes.
type ActionOutcome struct {
	Sync        []Change   `json:"sync"`
	SyncError   string     `json:"sync_error,omitempty"`
	HasEffect   bool       `json:"has_effect"`
	Effect      []Change   `json:"effect,omitempty"`
	EffectError string     `json:"effect_error,omitempty"`
	Calls       []CallMade `json:"calls,omitempty"`
	// SyncAnalytics and Analytics are the data points the synchronous
	// part and the effect wrote (with the Town's methods loaded only).
	SyncAnalytics []AnalyticsPoint `json:"sync_analytics,omitempty"`
	Analytics     []AnalyticsPoint `json:"analytics,omitempty"`
}

type execRequest struct {
	request
	Event     *EventRow       `json:"event,omitempty"`
	Action    json.RawMessage `json:"action,omitempty"`
	RunEffect bool            `json:"run_effect,omitempty"`
	Answers   []Answer        `json:"answers,omitempty"`
	TownID    string          `json:"town_id,omitempty"`
	// RigConfigs are the Town's `rig:<id>:config` values (for its methods).
	RigConfigs map[string]model.RigRuntimeConfig `json:"rig_configs,omitempty"`
}

// execRoundTrip sends an exec request and decodes the whole answer into out.
func (h *Host) execRoundTrip(req execRequest, out any) error {
	r, raw, err := h.roundTripRaw(req.request, req)
	if err != nil {
		return err
	}
	if r.Error != nil {
		return fmt.Errorf("differential host: %s", *r.Error)
	}
	return json.Unmarshal(raw, out)
}

// ApplyEvent runs the original's applyEvent for ev on s (the host's
// database is left as s) and returns what it changed.
func (h *Host) ApplyEvent(s State, ev EventRow) (EventOutcome, error) {
	if !h.Exec.ApplyEvent {
		return EventOutcome{}, errors.New("the checkout's reconciler.ts exports no applyEvent")
	}
	base, err := h.newRequest("apply_event", s)
	if err != nil {
		return EventOutcome{}, err
	}
	var out EventOutcome
	err = h.execRoundTrip(execRequest{request: base, Event: &ev}, &out)
	return out, err
}

// ApplyAction runs the original's applyAction for action (production's
// JSON) on s, and its side effect when runEffect, the context's external
// calls answered from answers (by kind, in order).
func (h *Host) ApplyAction(s State, townID string, action json.RawMessage, runEffect bool, answers []Answer) (ActionOutcome, error) {
	return h.applyAction(s, townID, nil, action, runEffect, answers)
}

// applyAction is ApplyAction with the Town's rig configs.
func (h *Host) applyAction(s State, townID string, rigs map[string]model.RigRuntimeConfig, action json.RawMessage, runEffect bool, answers []Answer) (ActionOutcome, error) {
	if !h.Exec.ApplyAction {
		return ActionOutcome{}, errors.New("the checkout has no applyAction (src/dos/town/actions.ts)")
	}
	base, err := h.newRequest("apply_action", s)
	if err != nil {
		return ActionOutcome{}, err
	}
	var out ActionOutcome
	err = h.execRoundTrip(execRequest{request: base, Action: action, RunEffect: runEffect, Answers: answers, TownID: townID, RigConfigs: rigs}, &out)
	return out, err
}
