// Package record turns a run's ticks into rows, one per tick, and writes
// them as CSV, as JSON lines, or as production's analytics data points
// (the reconciler_tick rows of reconciler.md §5.3). Rows are streamed: a
// Recorder holds one tick at a time, so memory does not grow with the run.
package record

import (
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// Row is one tick: production's ReconcilerMetrics, actions by type, and
// the harness's own figures.
type Row struct {
	// Tick is the tick's number in the run, from 1 (retries included).
	Tick int `json:"tick"`
	// At is the virtual time the tick fired; AlarmAt the alarm time it
	// fired for; LatenessMs the difference.
	At         time.Time `json:"at"`
	AlarmAt    time.Time `json:"alarm_at"`
	LatenessMs float64   `json:"lateness_ms"`
	// Retry marks a platform retry; Threw a tick that threw.
	Retry bool `json:"retry"`
	Threw bool `json:"threw"`

	// Production's ReconcilerMetrics (§5.1).
	EventsDrained        int            `json:"events_drained"`
	ActionsEmitted       int            `json:"actions_emitted"`
	ActionsByType        map[string]int `json:"actions_by_type"`
	SideEffectsAttempted int            `json:"side_effects_attempted"`
	SideEffectsSucceeded int            `json:"side_effects_succeeded"`
	SideEffectsFailed    int            `json:"side_effects_failed"`
	InvariantViolations  int            `json:"invariant_violations"`
	WallClockMs          float64        `json:"wall_clock_ms"`
	PendingEventCount    int            `json:"pending_event_count"`

	// ComputeMs is the real time spent in the Town's code during the tick
	// (measured, never fed back; 0 when the run did not measure it).
	ComputeMs float64 `json:"compute_ms"`
	// Statements and Rows are the tick's own database work; CostByPart
	// splits it by rule, action type, drain and invariants.
	Statements int64           `json:"sql_statements"`
	SQLRows    int64           `json:"sql_rows"`
	CostByPart map[string]Cost `json:"cost_by_part"`

	// Issues counts issue beads by status after the tick; OpenMRs the
	// merge requests not terminal; Agents the agents by status.
	Issues  map[string]int `json:"issues_by_status"`
	OpenMRs int            `json:"open_merge_requests"`
	Agents  map[string]int `json:"agents_by_status"`

	// Knobs is "production" or the what-if knobs of the run (model.Knobs.Label).
	Knobs string `json:"knobs"`

	// analytics are the analytics data points the tick wrote (reconciler_tick
	// and the other events of the tick itself).
	analytics []model.AnalyticsEvent
}

// Cost is the database work of one part of a tick.
type Cost struct {
	Statements int64 `json:"statements"`
	Rows       int64 `json:"rows"`
}

// IssueStatuses and AgentStatuses are the statuses a row always carries,
// in column order.
var (
	IssueStatuses = []string{model.StatusOpen, model.StatusInProgress, model.StatusInReview, model.StatusClosed, model.StatusFailed}
	AgentStatuses = []string{model.AgentIdle, model.AgentWorking, model.AgentWaiting, model.AgentStalled, model.AgentDead}
)

// FromTick builds the row of one tick; status is the Town's snapshot after it.
func FromTick(n int, rec *sim.TickRecord, res *alarm.TickResult, status sim.StatusCounts, knobs string) Row {
	m := rec.Metrics
	r := Row{
		Tick: n, At: rec.At, AlarmAt: rec.AlarmAt,
		LatenessMs: float64(rec.At.Sub(rec.AlarmAt)) / float64(time.Millisecond),
		Retry:      rec.Retry, Threw: rec.Threw,
		EventsDrained: m.EventsDrained, ActionsEmitted: m.ActionsEmitted, ActionsByType: map[string]int{},
		SideEffectsAttempted: m.SideEffectsAttempted, SideEffectsSucceeded: m.SideEffectsSucceeded,
		SideEffectsFailed: m.SideEffectsFailed, InvariantViolations: m.InvariantViolations,
		WallClockMs: m.WallClockMs, PendingEventCount: m.PendingEventCount,
		ComputeMs:  ComputeMs(rec),
		Statements: rec.Cost.Statements, SQLRows: rec.Cost.Rows,
		CostByPart: map[string]Cost{},
		Issues:     map[string]int{}, Agents: map[string]int{},
		OpenMRs: status.MergeRequests, Knobs: knobs,
	}
	for k, v := range m.ActionsByType {
		r.ActionsByType[k] = v
	}
	for k, c := range rec.CostByPart {
		r.CostByPart[k] = Cost{Statements: c.Statements, Rows: c.Rows}
	}
	for _, s := range IssueStatuses {
		r.Issues[s] = status.Issue(s)
	}
	for _, s := range AgentStatuses {
		r.Agents[s] = status.Agent(s)
	}
	if res != nil {
		r.analytics = res.Analytics
	}
	return r
}

// ComputeMs is a tick's measured compute in milliseconds (Row.ComputeMs).
func ComputeMs(rec *sim.TickRecord) float64 {
	return float64(rec.Compute) / float64(time.Millisecond)
}

// PartStatements sums the statements of the parts whose names start with
// prefix ("apply " for every action type's apply).
func (r Row) PartStatements(prefix string) int64 {
	var n int64
	for k, c := range r.CostByPart {
		if strings.HasPrefix(k, prefix) {
			n += c.Statements
		}
	}
	return n
}
