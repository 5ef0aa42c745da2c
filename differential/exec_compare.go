package differential

import (
	"encoding/json"
	"slices"

	"github.com/townsim/townsim/model"
)

// Step kinds and parts of a saved event or action comparison.
const (
	// KindEvent is an event applied (part "event").
	KindEvent = "event"
	// KindAction is an action executed (part "sync" or "effect").
	KindAction = "action"
)

// StepComparison is the verdict on one event applied or one part of an
// action executed, on the same state on both sides.
type StepComparison struct {
	// Kind is event or action; Type the event or action type; Part is
	// event, sync (the action's synchronous part) or effect (its side
	// effect, run after its synchronous part).
	Kind string `json:"kind"`
	Type string `json:"type"`
	Part string `json:"part"`
	// Same reports that both sides changed the same rows in the same way,
	// both threw or neither did, and (sync) both returned a side effect or
	// neither, (effect) made the same calls.
	Same bool `json:"same"`
	// PortError and OriginalError are what each side threw ("" = nothing).
	PortError     string `json:"port_error,omitempty"`
	OriginalError string `json:"original_error,omitempty"`
	// PortEffect and OriginalEffect: whether each side's synchronous part
	// returned a side effect (sync only).
	PortEffect     *bool `json:"port_effect,omitempty"`
	OriginalEffect *bool `json:"original_effect,omitempty"`
	// Rows are the rows the two sides changed differently.
	Rows []DeltaDiff `json:"rows,omitempty"`
	// Accepted names the accepted differences left out of Rows.
	Accepted []string `json:"accepted,omitempty"`
	// PortCalls and OriginalCalls are the calls of production's action
	// context each side's effect made (effect only).
	PortCalls     []CallMade `json:"port_calls,omitempty"`
	OriginalCalls []CallMade `json:"original_calls,omitempty"`
	// PortChanges and OriginalChanges are each side's changes in full.
	PortChanges     []Change `json:"port_changes"`
	OriginalChanges []Change `json:"original_changes"`
	// PortAnalytics and OriginalAnalytics are the analytics data points
	// each side wrote, when they are compared (the checkout's Town
	// methods loaded); AnalyticsDiffer says they differed.
	PortAnalytics     []AnalyticsPoint `json:"port_analytics,omitempty"`
	OriginalAnalytics []AnalyticsPoint `json:"original_analytics,omitempty"`
	AnalyticsDiffer   bool             `json:"analytics_differ,omitempty"`

	// analytics: the data points were compared; rows: an effect's rows were.
	analytics, rows bool
}

// setAnalytics has the step's analytics compared (when compared).
func (c *StepComparison) setAnalytics(compared bool, port, orig []AnalyticsPoint) {
	c.analytics = compared
	if compared {
		c.PortAnalytics, c.OriginalAnalytics = port, orig
	}
}

// compareStep fills the verdict from both sides' changes and errors.
func compareStep(schema map[string][]string, c *StepComparison, port []Change, portErr error, orig []Change, origErr string) {
	compareStepAfter(schema, c, nil, port, portErr, nil, orig, origErr)
}

// compareStepAfter is compareStep for a step that follows another (an
// effect after its synchronous part): the ids the earlier step created
// (portPrior, origPrior) are renamed too, in the changes and the calls.
func compareStepAfter(schema map[string][]string, c *StepComparison, portPrior, port []Change, portErr error, origPrior, orig []Change, origErr string) {
	if portErr != nil {
		c.PortError = portErr.Error()
	}
	c.OriginalError = origErr
	c.PortChanges, c.OriginalChanges = nonNil(port), nonNil(orig)
	pr := renamer(schema, append(slices.Clip(portPrior), port...))
	or := renamer(schema, append(slices.Clip(origPrior), orig...))
	c.Rows = compareRenamed(schema, pr.changes(port), or.changes(orig))
	accept(c)
	c.Same = len(c.Rows) == 0 && (c.PortError == "") == (c.OriginalError == "")
	if c.PortEffect != nil && c.OriginalEffect != nil && *c.PortEffect != *c.OriginalEffect {
		c.Same = false
	}
	if c.Part == "effect" && !sameCalls(renameCalls(pr, c.PortCalls), renameCalls(or, c.OriginalCalls)) {
		c.Same = false
	}
	if c.analytics && !jsonEqual(renamePoints(pr, c.PortAnalytics), renamePoints(or, c.OriginalAnalytics)) {
		c.AnalyticsDiffer, c.Same = true, false
	}
}

// renamePoints returns the data points with new ids renamed in their blobs.
func renamePoints(ids idRenamer, ps []AnalyticsPoint) []AnalyticsPoint {
	out := make([]AnalyticsPoint, len(ps))
	for i, p := range ps {
		b := make([]string, len(p.Blobs))
		for j, s := range p.Blobs {
			b[j] = ids.rename(s)
		}
		out[i] = AnalyticsPoint{Blobs: b, Doubles: p.Doubles}
	}
	return out
}

func nonNil(cs []Change) []Change {
	if cs == nil {
		return []Change{}
	}
	return cs
}

// renameCalls returns the calls with new ids renamed in their text arguments.
func renameCalls(ids idRenamer, calls []CallMade) []CallMade {
	out := make([]CallMade, len(calls))
	for i, c := range calls {
		args := map[string]any{}
		for k, v := range c.Args {
			if s, ok := v.(string); ok {
				v = ids.rename(s)
			}
			args[k] = v
		}
		out[i] = CallMade{Kind: c.Kind, Args: args}
	}
	return out
}

func sameCalls(a, b []CallMade) bool {
	return slices.EqualFunc(a, b, func(x, y CallMade) bool { return x.Kind == y.Kind && jsonEqual(x.Args, y.Args) })
}

// StepRecord is a saved event or action difference (the JSON beside the
// state's SQLite file, which holds the database before the step).
type StepRecord struct {
	StateMeta
	// Mode is the run's mode (compare).
	Mode string `json:"mode"`
	// Event is the event applied (kind event); Action the action in
	// production's shape (kind action).
	Event  *EventRow       `json:"event,omitempty"`
	Action json.RawMessage `json:"action,omitempty"`
	// Answers are the answers the port's world gave the effect's calls,
	// in production's shape (part effect).
	Answers []Answer `json:"answers,omitempty"`
	// World is what the port's world answered the effect's external
	// calls, for replaying the port's side (part effect).
	World []WorldCall `json:"world,omitempty"`
	// TownID is the town's id (production's ctx.townId).
	TownID string `json:"town_id,omitempty"`
	// RigConfigs are the Town's rig runtime configs (its methods read them).
	RigConfigs map[string]model.RigRuntimeConfig `json:"rig_configs,omitempty"`
	StepComparison
}

func boolPtr(b bool) *bool { return &b }
