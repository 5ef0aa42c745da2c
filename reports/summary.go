// Package reports turns simulation results into what users read: summary
// tables, JSON summaries and, later, per-tick records, plots and sweeps.
package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"gonum.org/v1/gonum/stat"

	"github.com/townsim/townsim/sim"
)

// Quantiles are the distribution summary of one per-tick figure.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Summary is the end-of-run summary of `townsim run`, as a table or JSON.
type Summary struct {
	// Scenario names the scenario run (a named scenario or a file's name).
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	Rigs     int    `json:"rigs"`
	Agents   int    `json:"agents"`
	// Knobs is "production", or the what-if knobs the run changed.
	Knobs            string  `json:"knobs"`
	SimulatedSeconds float64 `json:"simulated_seconds"`
	// Interrupted marks a run stopped before its horizon (Ctrl-C).
	Interrupted          bool           `json:"interrupted"`
	Ticks                int            `json:"ticks"`
	TickErrors           int            `json:"tick_errors"`
	Retries              int            `json:"retries"`
	EventsDrained        int            `json:"events_drained"`
	ActionsEmitted       int            `json:"actions_emitted"`
	ActionsByType        map[string]int `json:"actions_by_type"`
	SideEffectsAttempted int            `json:"side_effects_attempted"`
	SideEffectsSucceeded int            `json:"side_effects_succeeded"`
	SideEffectsFailed    int            `json:"side_effects_failed"`
	InvariantViolations  int            `json:"invariant_violations"`
	ViolationsByNumber   map[string]int `json:"violations_by_invariant"`
	BeadsCreated         int            `json:"beads_created"`
	BeadsClosed          int            `json:"beads_closed"`
	BeadsFailed          int            `json:"beads_failed"`
	BeadsOpen            int            `json:"beads_open"`
	PendingEventsAtEnd   int            `json:"pending_events_at_end"`
	// ComputeMs is the real compute per tick, in milliseconds.
	ComputeMs Quantiles `json:"compute_ms_per_tick"`
	// ComputeNote, when set, says what else the compute figures include
	// (the Node host's time in differential compare mode).
	ComputeNote string `json:"compute_note,omitempty"`
	// Statements and Rows are the deterministic cost per tick.
	Statements Quantiles `json:"sql_statements_per_tick"`
	Rows       Quantiles `json:"sql_rows_per_tick"`
	// ModelComputeSeconds and WallSeconds are measured, never fed back.
	ModelComputeSeconds float64 `json:"model_compute_seconds"`
	WallSeconds         float64 `json:"wall_seconds"`
	// SimOverWall is simulated time over wall time (0 when wall was not measured).
	SimOverWall  float64 `json:"sim_over_wall"`
	TraceHash    string  `json:"trace_hash"`
	TraceRecords uint64  `json:"trace_records"`
	// FaultMix is the run's resolved fault mix (kind → rate), empty when
	// no fault was on; FaultsFired counts the faults that struck by kind;
	// FaultsNeverFired lists the kinds that were on but never struck.
	FaultMix         map[string]float64 `json:"fault_mix"`
	FaultsFired      map[string]int     `json:"faults_fired"`
	FaultsNeverFired []string           `json:"faults_never_fired"`
	// HealSeconds is when faults stopped, in seconds after the start (0 = never).
	HealSeconds float64 `json:"heal_seconds"`
	// FaultsConverge is, by fault kind, the ticks the town took to
	// recover from each fault (until every issue created before it was
	// closed, failed or deleted): quantiles over the faults recovered from,
	// and how many it had not recovered from at the end.
	FaultsConverge map[string]ConvergeTicks `json:"faults_converge_ticks"`
	// FaultsUnlikely says, for the kinds that were on, why a kind's timing
	// made it unlikely to fire in this run (sim.FaultKind.Unlikely): a
	// delay longer than the run or than a process's job, or a per-hour
	// rate expected less than once.
	FaultsUnlikely map[string]string `json:"faults_unlikely"`
	// FaultsRecovery is, by fault kind, how the town recovered from each
	// fault judged against the same seed's fault-free run (JudgeRecovery):
	// set by the caller that ran the baseline, nil otherwise.
	FaultsRecovery map[string]Recovery `json:"faults_recovery,omitempty"`
	// BaselineOpenAtEnd is the fault-free run's backlog at its end (issues
	// not terminal), when FaultsRecovery is set.
	BaselineOpenAtEnd *int `json:"baseline_open_at_end,omitempty"`
}

// ConvergeTicks summarises one fault kind's recoveries.
type ConvergeTicks struct {
	P50       float64 `json:"p50"`
	P99       float64 `json:"p99"`
	Max       float64 `json:"max"`
	Recovered int     `json:"recovered"`
	Open      int     `json:"open"`
}

// Summarize computes the summary of a run from its tick records.
func Summarize(r *sim.Result) Summary {
	var ts TickStats
	for _, tr := range r.TickRecords {
		ts.Add(float64(tr.Compute)/float64(time.Millisecond), tr.Cost.Statements, tr.Cost.Rows)
	}
	return SummarizeStream(r, &ts)
}

// SummarizeStream computes the summary of a run whose per-tick figures
// were streamed into ts (a run with sim.RunOptions.DropTickRecords).
func SummarizeStream(r *sim.Result, ts *TickStats) Summary {
	s := Summary{
		Knobs:                r.Config.Knobs.Label(),
		Seed:                 r.Config.Seed,
		Rigs:                 r.Config.Rigs,
		Agents:               r.Config.Agents,
		SimulatedSeconds:     r.SimulatedTime.Seconds(),
		Interrupted:          r.Interrupted,
		Ticks:                r.Ticks,
		TickErrors:           r.TickErrors,
		Retries:              r.Retries,
		EventsDrained:        r.EventsDrained,
		ActionsByType:        map[string]int{},
		SideEffectsAttempted: r.SideEffectsAttempted,
		SideEffectsSucceeded: r.SideEffectsSucceeded,
		SideEffectsFailed:    r.SideEffectsFailed,
		InvariantViolations:  r.InvariantViolations,
		ViolationsByNumber:   map[string]int{},
		BeadsCreated:         r.Beads.Created,
		BeadsClosed:          r.Beads.Closed,
		BeadsFailed:          r.Beads.Failed,
		BeadsOpen:            r.Beads.Open,
		PendingEventsAtEnd:   r.PendingEventsAtEnd,
		ModelComputeSeconds:  r.ModelCompute.Seconds(),
		WallSeconds:          r.TotalWall.Seconds(),
		TraceHash:            r.TraceHash,
		TraceRecords:         r.TraceRecords,
		FaultMix:             map[string]float64{},
		FaultsFired:          map[string]int{},
		FaultsNeverFired:     append([]string{}, r.Faults.NeverFired...),
	}
	for k, v := range r.Faults.Mix {
		s.FaultMix[k] = v
	}
	for k, v := range r.Faults.Fired {
		s.FaultsFired[k] = v
	}
	if !r.Faults.HealAt.IsZero() {
		s.HealSeconds = r.Faults.HealAt.Sub(r.Config.Start).Seconds()
	}
	s.FaultsUnlikely = map[string]string{}
	for kind, rate := range r.Faults.Mix {
		if k, ok := sim.LookupFaultKind(kind); ok && rate > 0 {
			if why := k.Unlikely(r.Config, rate); why != "" {
				s.FaultsUnlikely[kind] = why
			}
		}
	}
	s.FaultsConverge = map[string]ConvergeTicks{}
	for k, cv := range r.Faults.Converge {
		c := ConvergeTicks{Recovered: len(cv.Ticks), Open: cv.Open}
		if len(cv.Ticks) > 0 {
			xs := make([]float64, len(cv.Ticks)) // sorted, as sim reports them
			for i, n := range cv.Ticks {
				xs[i] = float64(n)
			}
			c.P50 = stat.Quantile(0.5, stat.Empirical, xs, nil)
			c.P99 = stat.Quantile(0.99, stat.Empirical, xs, nil)
			c.Max = xs[len(xs)-1]
		}
		s.FaultsConverge[k] = c
	}
	for k, v := range r.ActionsByType {
		s.ActionsByType[k] = v
		s.ActionsEmitted += v
	}
	for k, v := range r.ViolationsByNumber {
		s.ViolationsByNumber[strconv.Itoa(k)] = v
	}
	if r.TotalWall > 0 {
		s.SimOverWall = r.SimulatedTime.Seconds() / r.TotalWall.Seconds()
	}
	s.ComputeMs = ts.ComputeMs.Quantiles()
	s.Statements = ts.Statements.Quantiles()
	s.Rows = ts.Rows.Quantiles()
	return s
}

// WriteJSON writes the summary as one JSON object (map keys sorted).
func (s Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteTable writes the summary as tables.
func (s Summary) WriteTable(w io.Writer) error {
	main := NewTable(w)
	main.Header("figure", "value")
	q := func(x Quantiles, unit string) string {
		return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s%s", num(x.P50), num(x.P95), num(x.P99), num(x.Max), unit)
	}
	rows := [][]string{
		{"scenario", s.Scenario},
		{"seed", strconv.FormatUint(s.Seed, 10)},
		{"fleet", fmt.Sprintf("%d rigs, %d agents", s.Rigs, s.Agents)},
		{"knobs", knobsText(s.Knobs)},
		{"simulated time", simulated(s)},
		{"ticks", fmt.Sprintf("%d (%d threw, %d platform retries)", s.Ticks, s.TickErrors, s.Retries)},
		{"events drained", strconv.Itoa(s.EventsDrained)},
		{"actions emitted", strconv.Itoa(s.ActionsEmitted)},
		{"side effects", fmt.Sprintf("%d attempted, %d succeeded, %d failed", s.SideEffectsAttempted, s.SideEffectsSucceeded, s.SideEffectsFailed)},
		{"invariant violations", violations(s)},
		{"beads (user issues)", fmt.Sprintf("%d created, %d closed, %d failed, %d not terminal", s.BeadsCreated, s.BeadsClosed, s.BeadsFailed, s.BeadsOpen)},
		{"pending events at end", strconv.Itoa(s.PendingEventsAtEnd)},
		{"compute per tick", q(s.ComputeMs, " ms") + noteText(s.ComputeNote)},
		{"SQL statements per tick", q(s.Statements, "")},
		{"SQL rows per tick", q(s.Rows, "")},
		{"model compute / wall", fmt.Sprintf("%.3fs / %.3fs", s.ModelComputeSeconds, s.WallSeconds)},
		{"simulated / wall", fmt.Sprintf("%.0fx", s.SimOverWall)},
		{"trace", fmt.Sprintf("%d records, hash %s", s.TraceRecords, s.TraceHash)},
	}
	if len(s.FaultMix) > 0 || len(s.FaultsFired) > 0 {
		rows = append(rows, []string{"faults", faultsLine(s)})
	}
	if s.FaultsRecovery != nil && s.BaselineOpenAtEnd != nil {
		rows = append(rows, []string{"recovery judged against", fmt.Sprintf(
			"the same seed's fault-free run (%d issues not terminal at its end): recovered once the backlog "+
				"(issues not terminal) is back within its envelope (its largest backlog within ±%s, +%.0f%% +1) for %s",
			*s.BaselineOpenAtEnd, ShortDuration(EnvelopeWindow), 100*EnvelopeSlack, ShortDuration(RecoveryHold))})
	}
	for _, k := range slices.Sorted(maps.Keys(s.FaultsUnlikely)) {
		rows = append(rows, []string{"unlikely to fire: " + k, s.FaultsUnlikely[k]})
	}
	if err := main.Bulk(rows); err != nil {
		return err
	}
	if err := main.Render(); err != nil {
		return err
	}
	if err := s.writeFaultTable(w); err != nil {
		return err
	}
	if len(s.ActionsByType) == 0 {
		return nil
	}
	byType := NewTable(w)
	byType.Header("action", "count")
	keys := make([]string, 0, len(s.ActionsByType))
	for k := range s.ActionsByType {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := byType.Append(k, strconv.Itoa(s.ActionsByType[k])); err != nil {
			return err
		}
	}
	return byType.Render()
}

// faultsLine is the summary row of the fault layer.
func faultsLine(s Summary) string {
	total := 0
	for _, n := range s.FaultsFired {
		total += n
	}
	heal := "never healed"
	if s.HealSeconds > 0 {
		heal = "healed at " + ShortDuration(time.Duration(s.HealSeconds*float64(time.Second)))
	}
	out := fmt.Sprintf("%d kinds on, %d fired, %s", len(s.FaultMix), total, heal)
	if len(s.FaultsNeverFired) > 0 {
		out += "; on but never fired: " + strings.Join(s.FaultsNeverFired, ", ")
	}
	return out
}

// writeFaultTable writes one row per fault kind that was on or fired:
// its rate and how often it fired.
func (s Summary) writeFaultTable(w io.Writer) error {
	kinds := map[string]bool{}
	for k := range s.FaultMix {
		kinds[k] = true
	}
	for k := range s.FaultsFired {
		kinds[k] = true
	}
	if len(kinds) == 0 {
		return nil
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	t := NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	if s.FaultsRecovery != nil {
		t.Header("fault kind", "rate (kind's unit)", "fired (count)", "recovered / not (faults)",
			"ticks to recover p50 / p99 / max", "simulated minutes to recover p50 / max")
	} else {
		t.Header("fault kind", "rate (kind's unit)", "fired (count)",
			"ticks until issues before it settled p50 / p99 / max", "not settled (faults)")
	}
	for _, k := range names {
		rate := "-"
		if r, ok := s.FaultMix[k]; ok {
			rate = strconv.FormatFloat(r, 'g', 4, 64)
		}
		fired := strconv.Itoa(s.FaultsFired[k])
		if s.FaultsRecovery != nil {
			rec, conv, mins := "-", "-", "-"
			if rv, ok := s.FaultsRecovery[k]; ok {
				rec = fmt.Sprintf("%d / %d", rv.Recovered, rv.NotRecovered)
				if rv.Recovered > 0 {
					conv = fmt.Sprintf("%s / %s / %s", num(rv.TicksP50), num(rv.TicksP99), num(rv.TicksMax))
					mins = fmt.Sprintf("%s / %s", num(rv.MinutesP50), num(rv.MinutesMax))
				}
			}
			if err := t.Append(k, rate, fired, rec, conv, mins); err != nil {
				return err
			}
			continue
		}
		conv, open := "-", "-"
		if cv, ok := s.FaultsConverge[k]; ok {
			if cv.Recovered > 0 {
				conv = fmt.Sprintf("%s / %s / %s", num(cv.P50), num(cv.P99), num(cv.Max))
			}
			open = strconv.Itoa(cv.Open)
		}
		if err := t.Append(k, rate, fired, conv, open); err != nil {
			return err
		}
	}
	return t.Render()
}

func simulated(s Summary) string {
	d := ShortDuration(time.Duration(s.SimulatedSeconds * float64(time.Second)))
	if s.Interrupted {
		return d + " (interrupted)"
	}
	return d
}

func violations(s Summary) string {
	if s.InvariantViolations == 0 {
		return "0"
	}
	keys := make([]string, 0, len(s.ViolationsByNumber))
	for k := range s.ViolationsByNumber {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := strconv.Itoa(s.InvariantViolations) + " ("
	for i, k := range keys {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("#%s: %d", k, s.ViolationsByNumber[k])
	}
	return out + ")"
}

func num(x float64) string {
	if x == float64(int64(x)) {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// knobsText labels a what-if run in the table.
func knobsText(label string) string {
	if label == "" || label == "production" {
		return "production"
	}
	return "WHAT-IF, off production: " + label
}

// noteText appends a note in parentheses ("" for none).
func noteText(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}
