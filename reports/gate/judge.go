package gate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Figure names, as the table, the JSON report and the ceilings use them.
const (
	figDeterminism    = "determinism"
	figTicks          = "ticks"
	figTraceHash      = "trace_hash"
	figStatementsMean = "statements_per_tick_mean"
	figStatementsP50  = "statements_per_tick_p50"
	figStatementsP99  = "statements_per_tick_p99"
	figStatementsMax  = "statements_per_tick_max"
	figRowsMean       = "rows_per_tick_mean"
	figRowsP50        = "rows_per_tick_p50"
	figRowsP99        = "rows_per_tick_p99"
	figRowsMax        = "rows_per_tick_max"
	figActionsMean    = "actions_per_tick_mean"
	figActionsP99     = "actions_per_tick_p99"
	figActionsMax     = "actions_per_tick_max"
	figComputeP50     = "compute_ms_per_tick_p50"
	figComputeP99     = "compute_ms_per_tick_p99"
	figSimOverWall    = "sim_over_wall"
)

// Verdict is the judgement of one figure.
type Verdict string

// Verdicts. Those in capitals fail the gate.
const (
	// VerdictOK: within the limits and no worse than the baseline.
	VerdictOK Verdict = "ok"
	// VerdictImproved: better than the baseline (the baseline is stale;
	// write a new one to lock the gain in).
	VerdictImproved Verdict = "improved"
	// VerdictInfo: shown, not judged (an unpinned trace hash, the tick count).
	VerdictInfo Verdict = "info"
	// VerdictUndecided: too few runs for the test to reach alpha, so the
	// figure could not be judged. Not a pass: the gate's outcome is
	// UNDECIDED (exit status 3), or a failure with require_verdict: true.
	VerdictUndecided Verdict = "UNDECIDED"
	// VerdictRegressed: worse than the baseline beyond tolerance (or, for
	// wall-clock figures, significantly and beyond the minimum effect).
	VerdictRegressed Verdict = "REGRESSED"
	// VerdictOverCeiling: above the budgets' absolute ceiling.
	VerdictOverCeiling Verdict = "OVER CEILING"
	// VerdictUnderFloor: below the budgets' absolute floor.
	VerdictUnderFloor Verdict = "UNDER FLOOR"
	// VerdictChanged: a pinned trace hash changed.
	VerdictChanged Verdict = "CHANGED"
	// VerdictNondeterministic: two runs of one seed differed.
	VerdictNondeterministic Verdict = "NONDETERMINISTIC"
)

// Row is one figure's line in the gate's table.
type Row struct {
	Figure   string  `json:"figure"`
	Baseline string  `json:"baseline"`
	Now      string  `json:"now"`
	Delta    string  `json:"delta"`
	Limit    string  `json:"limit,omitempty"`
	Verdict  Verdict `json:"verdict"`
	Fail     bool    `json:"fail"`
	// BaselineValue and NowValue are the numbers shown (medians for
	// wall-clock figures); P is the U test's p-value.
	BaselineValue *float64 `json:"baseline_value,omitempty"`
	NowValue      *float64 `json:"now_value,omitempty"`
	P             *float64 `json:"p,omitempty"`
}

// PartChange is a part of the tick whose statements per tick rose.
type PartChange struct {
	Part     string  `json:"part"`
	Baseline float64 `json:"baseline_per_tick"`
	Now      float64 `json:"now_per_tick"`
}

// ScenarioReport is the judgement of one budgets entry.
type ScenarioReport struct {
	Name string `json:"name"`
	Rows []Row  `json:"figures"`
	// StatementsRoseIn explains a rise of statements per tick: the parts
	// whose statements per tick rose, the largest rise first.
	StatementsRoseIn []PartChange `json:"statements_rose_in,omitempty"`
	Failed           bool         `json:"failed"`
	// Undecided reports a figure that could not be judged.
	Undecided bool `json:"undecided"`
}

// Report is the gate's whole judgement.
type Report struct {
	Budgets  string `json:"budgets"`
	Baseline string `json:"baseline"`
	// UpdateCommand, when set, is the command that accepts the current
	// figures as the new baseline; the table's last line names it.
	UpdateCommand string           `json:"update_command,omitempty"`
	Scenarios     []ScenarioReport `json:"scenarios"`
	Failed        bool             `json:"failed"`
	// Undecided reports a figure that could not be judged (and none failed
	// when Failed is false): the outcome is UNDECIDED.
	Undecided bool `json:"undecided"`
	// Against, with --against, is the revision the paired comparison ran
	// against; AgainstNote says when it fell back to the stored baseline.
	Against     string `json:"against,omitempty"`
	AgainstNote string `json:"against_note,omitempty"`
}

// Judge compares one entry's measurement with its baseline (nil: none,
// only the absolute limits apply) and its limits.
func Judge(b *Budgets, e *Entry, base *BaselineEntry, m *Measurement) ScenarioReport {
	r := ScenarioReport{Name: e.Name}
	add := func(row Row) {
		row.Fail = isFail(row.Verdict) || (b.RequireVerdict && row.Verdict == VerdictUndecided)
		r.Failed = r.Failed || row.Fail
		r.Undecided = r.Undecided || row.Verdict == VerdictUndecided
		r.Rows = append(r.Rows, row)
	}
	if m.Nondeterministic != "" {
		add(Row{Figure: figDeterminism, Baseline: "-", Now: "differs", Delta: m.Nondeterministic, Verdict: VerdictNondeterministic})
	} else if m.Runs > 1 {
		add(Row{Figure: figDeterminism, Baseline: "-", Now: fmt.Sprintf("%d runs agree", m.Runs), Verdict: VerdictOK})
	}

	// The tick count and the trace hash.
	ticks := Row{Figure: figTicks, Now: strconv.Itoa(m.Det.Ticks), Baseline: "-", Verdict: VerdictInfo}
	if base != nil {
		ticks.Baseline = strconv.Itoa(base.Ticks)
		ticks.Delta = pct(float64(base.Ticks), float64(m.Det.Ticks))
	}
	add(ticks)
	hash := Row{Figure: figTraceHash, Now: m.Det.TraceHash, Baseline: "-", Verdict: VerdictInfo, Delta: "not pinned"}
	if base != nil {
		hash.Baseline = base.TraceHash
		same := base.TraceHash == m.Det.TraceHash
		switch {
		case e.PinTraceHash && same:
			hash.Delta, hash.Verdict = "same", VerdictOK
		case e.PinTraceHash:
			hash.Delta, hash.Verdict = "differs", VerdictChanged
		case same:
			hash.Delta = "same (not pinned)"
		default:
			hash.Delta = "differs (not pinned)"
		}
	}
	add(hash)
	judgeFindings(add, base, m.Det.Findings)

	// Deterministic cost.
	tol := b.tolerance(e)
	ceil := e.Ceilings.limits()
	det := func(fig string, now float64, baseVal func(*BaselineEntry) float64) Verdict {
		row := Row{Figure: fig, Now: num(now), Baseline: "-", NowValue: ptr(now)}
		var vs []Verdict
		if base != nil {
			bv := baseVal(base)
			row.Baseline, row.BaselineValue = num(bv), ptr(bv)
			row.Delta = pct(bv, now)
			switch {
			case now > bv*(1+tol):
				vs = append(vs, VerdictRegressed)
			case now < bv:
				vs = append(vs, VerdictImproved)
			}
			if tol > 0 {
				row.Limit = fmt.Sprintf("+%s%% of baseline", num(tol*100))
			} else {
				row.Limit = "exact"
			}
		}
		if c := ceil[fig]; c != nil {
			row.Limit = joinLimit(row.Limit, "≤ "+num(*c))
			if now > *c {
				vs = append(vs, VerdictOverCeiling)
			}
		}
		row.Verdict = combine(vs)
		add(row)
		return row.Verdict
	}
	d := m.Det
	stmtVerdicts := []Verdict{
		det(figStatementsMean, d.mean(d.Statements), func(x *BaselineEntry) float64 { return x.mean(x.Statements) }),
		det(figStatementsP50, float64(d.Statements.P50), func(x *BaselineEntry) float64 { return float64(x.Statements.P50) }),
		det(figStatementsP99, float64(d.Statements.P99), func(x *BaselineEntry) float64 { return float64(x.Statements.P99) }),
		det(figStatementsMax, float64(d.Statements.Max), func(x *BaselineEntry) float64 { return float64(x.Statements.Max) }),
	}
	det(figRowsMean, d.mean(d.Rows), func(x *BaselineEntry) float64 { return x.mean(x.Rows) })
	det(figRowsP50, float64(d.Rows.P50), func(x *BaselineEntry) float64 { return float64(x.Rows.P50) })
	det(figRowsP99, float64(d.Rows.P99), func(x *BaselineEntry) float64 { return float64(x.Rows.P99) })
	det(figRowsMax, float64(d.Rows.Max), func(x *BaselineEntry) float64 { return float64(x.Rows.Max) })
	det(figActionsMean, d.mean(d.Actions), func(x *BaselineEntry) float64 { return x.mean(x.Actions) })
	det(figActionsP99, float64(d.Actions.P99), func(x *BaselineEntry) float64 { return float64(x.Actions.P99) })
	det(figActionsMax, float64(d.Actions.Max), func(x *BaselineEntry) float64 { return float64(x.Actions.Max) })
	for _, v := range stmtVerdicts {
		if strings.Contains(string(v), string(VerdictRegressed)) && base != nil {
			r.StatementsRoseIn = StatementsRoseIn(base.Deterministic, m.Det)
			break
		}
	}

	// Wall clock.
	alpha := b.Alpha
	wall := func(fig string, baseS, nowS []float64, higherIsBetter bool, ceiling, floor *float64) {
		minEff := b.minEffect(e, fig)
		c := Compare(baseS, nowS, higherIsBetter, alpha, minEff)
		row := Row{Figure: fig, Now: num(c.Now), NowValue: ptr(c.Now), Baseline: "-"}
		var vs []Verdict
		if base != nil {
			row.Baseline, row.BaselineValue, row.P = num(c.Baseline), ptr(c.Baseline), ptr(c.P)
			row.Delta = c.Delta()
			row.Limit = effectLimit(minEff)
			switch {
			case b.StoredWallInfo:
				row.Limit = "shown, not judged (--against judges speed)"
			case len(c.Warnings) > 0 || UMinP(c.N1, c.N2) >= alpha:
				row.Delta += ", too few runs to judge"
				vs = append(vs, VerdictUndecided)
			case c.Regressed:
				vs = append(vs, VerdictRegressed)
			case c.Improved:
				vs = append(vs, VerdictImproved)
			}
		}
		if ceiling != nil {
			row.Limit = joinLimit(row.Limit, "≤ "+num(*ceiling))
			if c.Now > *ceiling {
				vs = append(vs, VerdictOverCeiling)
			}
		}
		if floor != nil {
			row.Limit = joinLimit(row.Limit, "≥ "+num(*floor))
			if c.Now < *floor {
				vs = append(vs, VerdictUnderFloor)
			}
		}
		row.Verdict = combine(vs)
		add(row)
	}
	var bw Wall
	if base != nil {
		bw = base.Wall
	}
	wall(figComputeP50, bw.ComputeMsP50, m.Wall.ComputeMsP50, false, e.Ceilings.ComputeMsP50, nil)
	wall(figComputeP99, bw.ComputeMsP99, m.Wall.ComputeMsP99, false, e.Ceilings.ComputeMsP99, nil)
	wall(figSimOverWall, bw.SimOverWall, m.Wall.SimOverWall, true, nil, e.Floors.SimOverWall)
	return r
}

// StatementsRoseIn lists the parts of the tick whose statements per tick
// rose from base to now (parts new in now included), the largest rise
// first.
func StatementsRoseIn(base, now Deterministic) []PartChange {
	var out []PartChange
	for part, n := range now.StatementsByPart {
		b := perTick(base.StatementsByPart[part], base.Ticks)
		v := perTick(n, now.Ticks)
		if v > b {
			out = append(out, PartChange{Part: part, Baseline: b, Now: v})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := out[i].Now-out[i].Baseline, out[j].Now-out[j].Baseline
		if di != dj {
			return di > dj
		}
		return out[i].Part < out[j].Part
	})
	return out
}

func perTick(total int64, ticks int) float64 {
	if ticks == 0 {
		return 0
	}
	return float64(total) / float64(ticks)
}

// combine joins the verdicts of a figure's checks: failures first, else
// UNDECIDED, else "improved", else "ok".
func combine(vs []Verdict) Verdict {
	var fails []string
	improved, undecided := false, false
	for _, v := range vs {
		switch {
		case isFail(v):
			fails = append(fails, string(v))
		case v == VerdictImproved:
			improved = true
		case v == VerdictUndecided:
			undecided = true
		}
	}
	switch {
	case len(fails) > 0:
		return Verdict(strings.Join(fails, ", "))
	case undecided:
		return VerdictUndecided
	case improved:
		return VerdictImproved
	}
	return VerdictOK
}

// isFail reports a failing verdict; UNDECIDED fails only under
// require_verdict (the callers add that).
func isFail(v Verdict) bool {
	return v != VerdictOK && v != VerdictImproved && v != VerdictInfo && v != VerdictUndecided
}

// effectLimit describes the wall-clock rule: a significant change more
// than 1+minEff times worse fails.
func effectLimit(minEff float64) string {
	return "significant and > " + num(1+minEff) + "× worse"
}

func joinLimit(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func ptr(x float64) *float64 { return &x }

// num renders a figure: integers as integers, others with up to 3
// significant decimals.
func num(x float64) string {
	if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	switch {
	case x >= 100 || x <= -100:
		return strconv.FormatFloat(x, 'f', 1, 64)
	case x >= 1 || x <= -1:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// UMinP is the smallest two-sided p-value the exact Mann-Whitney U test
// can give with samples of n1 and n2 values (every value of one sample
// below every value of the other): 2 / C(n1+n2, n1). When it is not below
// alpha, the samples are too small to judge.
func UMinP(n1, n2 int) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 1
	}
	c := 1.0
	for i := 1; i <= n2; i++ {
		c = c * float64(n1+i) / float64(i)
	}
	return min(1, 2/c)
}
