package alarm

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// Metrics is production's ReconcilerMetrics, one per tick (reconciler.md §5.1).
type Metrics struct {
	// EventsDrained counts the pending events Phase 0 read (failures
	// included); 0 when the read failed.
	EventsDrained int
	// ActionsEmitted is the number of actions reconcile returned (0 if it threw).
	ActionsEmitted int
	// ActionsByType counts the actions per type; only emitted types appear.
	ActionsByType map[string]int
	// SideEffectsAttempted, SideEffectsSucceeded and SideEffectsFailed
	// count the deferred closures of Phase 2 and how they settled.
	SideEffectsAttempted int
	SideEffectsSucceeded int
	SideEffectsFailed    int
	// InvariantViolations is the number of violations (0 if the check threw).
	InvariantViolations int
	// WallClockMs is T5 to T12 in virtual milliseconds, awaiting the side
	// effects included. Real compute time is measured by the harness.
	WallClockMs float64
	// PendingEventCount is the number of unprocessed town events after T11.
	PendingEventCount int
}

// CountByType counts actions per type, as production's actionsByType.
func CountByType(actions []reconciler.Action) map[string]int {
	out := map[string]int{}
	for _, a := range actions {
		out[a.Type]++
	}
	return out
}

// ActionsByTypeJSON renders an actionsByType map as a JSON object, "{}"
// when empty, with sorted keys (a map has no order). The reconciler_tick
// label itself keeps production's key order: see ActionsByTypeLabel.
func ActionsByTypeJSON(byType map[string]int) string {
	if len(byType) == 0 {
		return "{}"
	}
	b, err := json.Marshal(byType) // encoding/json sorts map keys
	if err != nil {
		return "{}"
	}
	return string(b)
}

// ActionsByTypeLabel is reconciler_tick's blob10 (§5.3): the JSON of
// actionsByType as production's JSON.stringify writes it, each type once
// with its count, in the order of its first emission; "{}" when there are
// no actions.
func ActionsByTypeLabel(actions []reconciler.Action) string {
	counts := map[string]int{}
	var order []string
	for _, a := range actions {
		if counts[a.Type] == 0 {
			order = append(order, a.Type)
		}
		counts[a.Type]++
	}
	var sb strings.Builder
	sb.WriteByte('{')
	for i, typ := range order {
		if i > 0 {
			sb.WriteByte(',')
		}
		k, _ := json.Marshal(typ)
		sb.Write(k)
		sb.WriteByte(':')
		sb.WriteString(strconv.Itoa(counts[typ]))
	}
	sb.WriteByte('}')
	return sb.String()
}

// tickEvent is the reconciler_tick analytics event of T12 (§5.3), before
// the Town emitter adds delivery, user and town; actions are the emitted
// actions (nil when reconcile threw), whose first-emission order the label
// keeps.
func tickEvent(m Metrics, actions []reconciler.Action) model.AnalyticsEvent {
	return model.AnalyticsEvent{
		Event:      "reconciler_tick",
		Label:      ActionsByTypeLabel(actions),
		DurationMs: m.WallClockMs,
		Value:      float64(m.EventsDrained),
		Double3:    float64(m.ActionsEmitted),
		Double4:    float64(m.SideEffectsAttempted),
		Double5:    float64(m.SideEffectsSucceeded),
		Double6:    float64(m.SideEffectsFailed),
		Double7:    float64(m.InvariantViolations),
		Double8:    float64(m.PendingEventCount),
	}
}

// recorder collects what a tick writes besides state: analytics events,
// error reports and log lines, into its TickResult.
type recorder struct {
	t   *model.Town
	res *TickResult
	// reconcile is T9's reconcile pass (reconciler.Reconcile unless TickWith).
	reconcile ReconcileFunc
	// apply applies one action at T9 (reconciler.Apply unless TickWithHooks).
	apply ApplyFunc
}

// addCost adds c to the tick's CostByPart under part.
func (r recorder) addCost(part string, c model.Cost) {
	old := r.res.CostByPart[part]
	r.res.CostByPart[part] = model.Cost{Statements: old.Statements + c.Statements, Rows: old.Rows + c.Rows}
}

// emit writes e through the Town's own emitter (model.Town.Emit, which
// adds delivery "internal" and the owner's user id, §5.2) and keeps the
// event as written in the result.
func (r recorder) emit(e model.AnalyticsEvent) {
	r.res.Analytics = append(r.res.Analytics, r.t.Emit(e))
}

// emitRaw writes e through the raw writer (no delivery, no user id) and
// keeps the event as written in the result.
func (r recorder) emitRaw(e model.AnalyticsEvent) {
	r.res.Analytics = append(r.res.Analytics, r.t.EmitRaw(e))
}

// report records a Sentry-style report.
func (r recorder) report(e model.ErrorReport) {
	r.t.Report(e)
	r.res.Reports = append(r.res.Reports, e)
}

// log records a failure production catches and logs.
func (r recorder) log(format string, args ...any) {
	r.res.Logs = append(r.res.Logs, fmt.Sprintf(format, args...))
}
