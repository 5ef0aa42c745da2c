package record

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/model/reconciler"
)

// Format is how rows are written.
type Format string

// The record formats.
const (
	// CSV is one header line and one line per tick, fixed columns.
	CSV Format = "csv"
	// JSONL is one JSON object per tick (Row's JSON).
	JSONL Format = "jsonl"
	// Analytics is one JSON object per analytics data point the ticks
	// wrote, in production's Analytics Engine schema (AnalyticsRow).
	Analytics Format = "analytics"
)

// Formats lists the formats.
var Formats = []Format{CSV, JSONL, Analytics}

// FormatFor picks the format from a file name: ".csv" is CSV, ".ae.jsonl"
// is Analytics, ".jsonl" and ".ndjson" are JSONL.
func FormatFor(path string) (Format, error) {
	p := strings.ToLower(path)
	switch {
	case strings.HasSuffix(p, ".csv"):
		return CSV, nil
	case strings.HasSuffix(p, ".ae.jsonl"):
		return Analytics, nil
	case strings.HasSuffix(p, ".jsonl"), strings.HasSuffix(p, ".ndjson"):
		return JSONL, nil
	}
	return "", fmt.Errorf("cannot tell the record format of %q from its extension (.csv, .jsonl, .ae.jsonl); name one", path)
}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown record format %q (want csv, jsonl or analytics)", s)
}

// Writer writes rows in one format.
type Writer interface {
	// Write writes one row.
	Write(Row) error
	// Flush writes what is buffered.
	Flush() error
}

// NewWriter returns a writer of format f to w.
func NewWriter(w io.Writer, f Format) (Writer, error) {
	switch f {
	case CSV:
		return &csvWriter{w: csv.NewWriter(w)}, nil
	case JSONL:
		bw := bufio.NewWriter(w)
		return &jsonWriter{bw: bw, enc: json.NewEncoder(bw)}, nil
	case Analytics:
		bw := bufio.NewWriter(w)
		return &analyticsWriter{bw: bw, enc: json.NewEncoder(bw)}, nil
	}
	return nil, fmt.Errorf("unknown record format %q", f)
}

type jsonWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

func (j *jsonWriter) Write(r Row) error { return j.enc.Encode(r) }
func (j *jsonWriter) Flush() error      { return j.bw.Flush() }

// CSV columns: the fixed figures, the issue and agent statuses, then one
// column per action type and per tick part.
var (
	csvFixed = []string{"tick", "at", "alarm_at", "lateness_ms", "retry", "threw",
		"events_drained", "actions_emitted", "side_effects_attempted", "side_effects_succeeded",
		"side_effects_failed", "invariant_violations", "wall_clock_ms", "pending_event_count",
		"compute_ms", "sql_statements", "sql_rows", "open_merge_requests"}
	// csvParts are the tick parts with a statements column: prefix of the
	// CostByPart key → column name.
	csvParts = [][2]string{
		{"ANALYZE", "stmts_analyze"}, {"T7 drain", "stmts_drain"},
		{"reconcileAgents", "stmts_reconcileAgents"}, {"reconcileBeads", "stmts_reconcileBeads"},
		{"reconcileReviewQueue", "stmts_reconcileReviewQueue"}, {"reconcileConvoys", "stmts_reconcileConvoys"},
		{"reconcileGUPP", "stmts_reconcileGUPP"}, {"reconcileGC", "stmts_reconcileGC"},
		{"reconcileWastelandClaims", "stmts_reconcileWastelandClaims"},
		{"apply ", "stmts_apply"}, {"T11 invariants", "stmts_invariants"},
	}
)

// CSVHeader is the CSV header line's columns.
func CSVHeader() []string {
	h := append([]string(nil), csvFixed...)
	for _, s := range IssueStatuses {
		h = append(h, "issues_"+s)
	}
	for _, s := range AgentStatuses {
		h = append(h, "agents_"+s)
	}
	for _, t := range reconciler.ActionTypes {
		h = append(h, "actions_"+t)
	}
	for _, p := range csvParts {
		h = append(h, p[1])
	}
	return append(h, "knobs")
}

type csvWriter struct {
	w      *csv.Writer
	header bool
}

func (c *csvWriter) Write(r Row) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(CSVHeader()); err != nil {
			return err
		}
	}
	itoa := strconv.Itoa
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	rec := []string{itoa(r.Tick), r.At.Format(time.RFC3339Nano), r.AlarmAt.Format(time.RFC3339Nano), f(r.LatenessMs),
		strconv.FormatBool(r.Retry), strconv.FormatBool(r.Threw),
		itoa(r.EventsDrained), itoa(r.ActionsEmitted), itoa(r.SideEffectsAttempted), itoa(r.SideEffectsSucceeded),
		itoa(r.SideEffectsFailed), itoa(r.InvariantViolations), f(r.WallClockMs), itoa(r.PendingEventCount),
		f(r.ComputeMs), strconv.FormatInt(r.Statements, 10), strconv.FormatInt(r.SQLRows, 10), itoa(r.OpenMRs)}
	for _, s := range IssueStatuses {
		rec = append(rec, itoa(r.Issues[s]))
	}
	for _, s := range AgentStatuses {
		rec = append(rec, itoa(r.Agents[s]))
	}
	for _, t := range reconciler.ActionTypes {
		rec = append(rec, itoa(r.ActionsByType[t]))
	}
	for _, p := range csvParts {
		rec = append(rec, strconv.FormatInt(r.PartStatements(p[0]), 10))
	}
	rec = append(rec, r.Knobs)
	return c.w.Write(rec)
}

func (c *csvWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}
