package sweep

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/townsim/townsim/reports"
)

// figure is a rendered chart of the report.
type figure struct {
	name, title string
	png         []byte
}

// WriteReport writes the sweep's report into folder dir: report.md,
// report.html (charts inline as data URIs), runs.csv (one line per run),
// points.csv (one line per point), and every chart as PNG and SVG. dir
// may exist (CreateJournal made it) but must hold no report yet; every
// file is new (townsim never overwrites one).
func (a *Analysis) WriteReport(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "report.md")); err == nil {
		return fmt.Errorf("%s already holds a report; townsim writes a new report folder and never overwrites one", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := a.writeRunsCSV(filepath.Join(dir, "runs.csv")); err != nil {
		return err
	}
	if err := a.writePointsCSV(filepath.Join(dir, "points.csv")); err != nil {
		return err
	}
	var figs []figure
	for _, c := range a.charts() {
		png, err := c.Chart.WriteFiles(dir, c.Name)
		if err != nil {
			return err
		}
		figs = append(figs, figure{name: c.Name, title: c.Chart.Title, png: png})
	}
	md := a.markdown(figs)
	if err := reports.WriteNew(filepath.Join(dir, "report.md"), []byte(md)); err != nil {
		return err
	}
	return reports.WriteNew(filepath.Join(dir, "report.html"), []byte(a.html(figs)))
}

// charts are the report's charts: the scaling plots of each group, the
// timelines of the first seed, and the dashboard of the largest fleet.
func (a *Analysis) charts() []NamedChart {
	var out []NamedChart
	if len(a.Groups) == 0 {
		return nil
	}
	budget := float64(a.Grid.Budget) / float64(time.Millisecond)
	multi := len(a.Groups) > 1
	for gi, gr := range a.Groups {
		suffix := ""
		if multi {
			suffix = fmt.Sprintf("-g%d", gi+1)
		}
		scale := func(title, ylabel string, y func(*RunResult) float64, fit reports.PowerFit, fitErr error, thr []reports.Threshold) reports.Chart {
			c := reports.Chart{Title: title, XLabel: "fleet size (agents)", YLabel: ylabel, LogX: true, LogY: true, Thresholds: thr}
			var xs, ys []float64
			for _, ps := range gr.Points {
				for _, r := range ps.Runs {
					if r.Err == nil {
						xs = append(xs, float64(ps.Point.Agents))
						ys = append(ys, y(r))
					}
				}
			}
			c.Series = append(c.Series, reports.Series{Name: "runs (each seed)", X: xs, Y: ys, Points: true})
			if fitErr == nil {
				lo, hi := xs[0], xs[len(xs)-1]
				var fx, fy []float64
				for i := 0; i <= 40; i++ {
					x := lo * math.Pow(hi/lo, float64(i)/40)
					fx = append(fx, x)
					fy = append(fy, fit.At(x))
				}
				c.Series = append(c.Series, reports.Series{Name: fmt.Sprintf("fit: exponent %.2f [%.2f, %.2f]", fit.Exponent, fit.Lo, fit.Hi), X: fx, Y: fy, Dashed: true})
			}
			c.Title += groupTag(gr, multi)
			return c
		}
		// The budget is on p99: the p99 of each run is what meets the line;
		// the mean and its fit come second.
		compute := scale("Compute per tick vs fleet size (p99 and mean per run)", "compute per tick (ms)",
			func(r *RunResult) float64 { return r.MeanComputeMs }, gr.Compute, gr.ComputeErr,
			[]reports.Threshold{{Name: fmt.Sprintf("p99 budget %g ms", budget), Value: budget, Color: reports.Red}})
		compute.Series[0].Name = "mean per run (each seed)"
		if len(compute.Series) > 1 {
			compute.Series[1].Name = "fit of the mean, " + strings.TrimPrefix(compute.Series[1].Name, "fit: ")
		}
		var px, py []float64
		for _, ps := range gr.Points {
			for _, r := range ps.Runs {
				if r.Err == nil {
					px = append(px, float64(ps.Point.Agents))
					py = append(py, r.ComputeMs.P99)
				}
			}
		}
		compute.Series = append([]reports.Series{{Name: "p99 per run (each seed)", X: px, Y: py, Points: true, Color: reports.Red, Square: true}}, compute.Series...)
		out = append(out,
			NamedChart{"compute-vs-fleet" + suffix, compute},
			NamedChart{"statements-vs-fleet" + suffix, scale("SQL statements per tick vs fleet size (mean per run)", "SQL statements per tick (count)",
				func(r *RunResult) float64 { return r.MeanStatements }, gr.Statements, gr.StatementsErr, nil)})
		var cx, cy, ax, ay []float64
		for _, ps := range gr.Points {
			for _, r := range ps.Runs {
				if r.Err == nil {
					cx = append(cx, float64(ps.Point.Agents))
					cy = append(cy, r.ClosedPerHour)
				}
			}
			ax = append(ax, float64(ps.Point.Agents))
			ay = append(ay, ps.CreatedPerHour)
		}
		thr := reports.Chart{Title: "Closed issues per hour vs fleet size", XLabel: "fleet size (agents)", YLabel: "issues per simulated hour", LogX: true, LogY: true,
			Series: []reports.Series{{Name: "closed per hour (each seed)", X: cx, Y: cy, Points: true},
				{Name: "created per hour (mean of seeds)", X: ax, Y: ay, Dashed: true}}}
		thr.Title += groupTag(gr, multi)
		out = append(out, NamedChart{"closed-per-hour-vs-fleet" + suffix, thr})
	}
	// Timelines of every point's first seed, for the first group.
	gr := a.Groups[0]
	over := func(title, ylabel string, count bool, y func(b Bucket) float64) reports.Chart {
		c := reports.Chart{Title: title + groupTag(gr, multi), XLabel: "simulated time (minutes)", YLabel: ylabel, YCount: count}
		for _, ps := range gr.Points {
			tl := firstTimeline(ps)
			if tl == nil {
				continue
			}
			var xs, ys []float64
			for i, b := range tl.Bucket {
				if b.Ticks > 0 {
					xs = append(xs, tl.Minutes(i))
					ys = append(ys, y(b))
				}
			}
			c.Series = append(c.Series, reports.Series{Name: fmt.Sprintf("%d agents", ps.Point.Agents), X: xs, Y: ys})
		}
		return c
	}
	out = append(out,
		NamedChart{"compute-over-time", over("Compute per tick over time (mean per minute, first seed)", "compute per tick (ms)", false,
			func(b Bucket) float64 { return b.ComputeMs / float64(b.Ticks) })},
		NamedChart{"pending-over-time", over("Pending event queue over time (newest sample per minute, first seed)", "pending events (count)", true,
			func(b Bucket) float64 { return float64(b.Pending) })})
	largest := gr.Points[len(gr.Points)-1]
	if r := firstRun(largest); r != nil {
		// The largest fleet's own charts, less the two drawn above for every fleet.
		what := fmt.Sprintf("%d agents, first seed", largest.Point.Agents)
		if l := largest.Point.KnobLabel; l != "production" {
			what += ", WHAT-IF " + l
		}
		out = append(out, RunCharts(r.Timeline, r.Dashboard, what)[2:]...)
	}
	return out
}

func firstRun(ps *PointSummary) *RunResult {
	for _, r := range ps.Runs {
		if r.Timeline != nil {
			return r
		}
	}
	return nil
}

func firstTimeline(ps *PointSummary) *Timeline {
	if r := firstRun(ps); r != nil {
		return r.Timeline
	}
	return nil
}

// actionsChart plots the eight most frequent action types per minute.
func actionsChart(tl *Timeline, what string) reports.Chart {
	totals := map[string]int{}
	for _, b := range tl.Bucket {
		for k, v := range b.Actions {
			totals[k] += v
		}
	}
	types := make([]string, 0, len(totals))
	for k := range totals {
		types = append(types, k)
	}
	sort.Slice(types, func(i, j int) bool {
		if totals[types[i]] != totals[types[j]] {
			return totals[types[i]] > totals[types[j]]
		}
		return types[i] < types[j]
	})
	if len(types) > 8 {
		types = types[:8]
	}
	c := reports.Chart{Title: fmt.Sprintf("Actions by type per minute, top 8 types (%s)", what), XLabel: "simulated time (minutes)", YLabel: "actions per minute (count)", YCount: true}
	for _, typ := range types {
		var xs, ys []float64
		for i, b := range tl.Bucket {
			if b.Ticks > 0 {
				xs = append(xs, tl.Minutes(i))
				ys = append(ys, float64(b.Actions[typ]))
			}
		}
		c.Series = append(c.Series, reports.Series{Name: typ, X: xs, Y: ys})
	}
	return c
}

// issuesChart plots issue beads by status over time: backlog and throughput.
func issuesChart(tl *Timeline, what string) reports.Chart {
	c := reports.Chart{Title: fmt.Sprintf("Issue beads by status over time (%s)", what), XLabel: "simulated time (minutes)", YLabel: "issue beads (count)", YCount: true}
	for _, st := range []string{"open", "in_progress", "in_review", "closed", "failed"} {
		var xs, ys []float64
		for i, b := range tl.Bucket {
			if b.Ticks > 0 {
				xs = append(xs, tl.Minutes(i))
				ys = append(ys, float64(b.Issues[st]))
			}
		}
		c.Series = append(c.Series, reports.Series{Name: st, X: xs, Y: ys})
	}
	return c
}

// limitSeries keeps the n series with the largest totals (panel 202 can
// have 26 action types).
func limitSeries(c reports.Chart, n int) reports.Chart {
	if len(c.Series) <= n {
		return c
	}
	total := func(s reports.Series) float64 {
		var t float64
		for _, y := range s.Y {
			t += y
		}
		return t
	}
	sort.SliceStable(c.Series, func(i, j int) bool { return total(c.Series[i]) > total(c.Series[j]) })
	c.Series = c.Series[:n]
	c.Title += fmt.Sprintf(", top %d", n)
	return c
}

// pointRows is the points table: header and rows.
func (a *Analysis) pointRows() ([]string, [][]string) {
	head := []string{"agents", "rigs", "rate", "knobs", "seeds", "compute p50 ms", "compute p99 ms", "mean compute ms",
		"stmts/tick mean", "stmts p99", "local exponent compute / stmts", "created/h", "closed/h", "keeps up", "under budget", "breaker open (ticks)"}
	var rows [][]string
	for _, ps := range a.Points {
		p := ps.Point
		seeds := strconv.Itoa(len(ps.Runs))
		if ps.Failed > 0 {
			seeds += fmt.Sprintf(" (%d failed)", ps.Failed)
		}
		rows = append(rows, []string{strconv.Itoa(p.Agents), strconv.Itoa(p.Rigs), rateText(p.Rate), p.KnobLabel, seeds,
			f2(ps.ComputeP50), f2(ps.ComputeP99), f2(ps.MeanComputeMs), f1(ps.MeanStatements), f1(ps.StatementsP99),
			local(ps.LocalComputeExp, ps.LocalStatementsExp), f1(ps.CreatedPerHour), f1(ps.ClosedPerHour), yes(ps.KeepsUp), yes(ps.UnderBudget), f1(ps.BreakerTicks)})
	}
	return head, rows
}

// fitRows is the scaling-model and limits table, one row per group.
func (a *Analysis) fitRows() ([]string, [][]string) {
	head := []string{"group", "compute exponent [95% CI]", "R²", "statements exponent [95% CI]", "R²",
		"largest fleet under budget (p99)", "mean compute reaches budget at (fit, stated up to 2× the largest fleet)", "largest fleet keeping up", "peak closed/h (at fleet)"}
	var rows [][]string
	for _, g := range a.Groups {
		rows = append(rows, []string{g.Label, fitText(g.Compute, g.ComputeErr), r2(g.Compute, g.ComputeErr),
			fitText(g.Statements, g.StatementsErr), r2(g.Statements, g.StatementsErr),
			g.budgetLimitText(), g.budgetReachText(), none(g.LargestKeepingUp),
			peakText(g)})
	}
	return head, rows
}

// partRows is the dominant-parts table, one row per point.
func (a *Analysis) partRows() ([]string, [][]string) {
	head := []string{"agents", "knobs", "1st part (share of statements)", "2nd", "3rd"}
	var rows [][]string
	for _, ps := range a.Points {
		row := []string{strconv.Itoa(ps.Point.Agents), ps.Point.KnobLabel}
		for i := 0; i < 3; i++ {
			if i < len(ps.Dominant) {
				row = append(row, fmt.Sprintf("%s (%.0f%%)", ps.Dominant[i].Part, 100*ps.Dominant[i].Share))
			} else {
				row = append(row, "")
			}
		}
		rows = append(rows, row)
	}
	return head, rows
}

// WriteTables writes the point, fit and part tables as text tables.
//
// The points table is printed as two (cost, then throughput and limits),
// each repeating the point's fleet and knobs, so that both keep within
// reports.TableWidth; report.md, report.html and points.csv keep it whole.
func (a *Analysis) WriteTables(w *bytes.Buffer) error {
	cols := func(idx ...int) func() ([]string, [][]string) {
		return func() ([]string, [][]string) {
			head, rows := a.pointRows()
			pick := func(r []string) []string {
				out := make([]string, len(idx))
				for i, j := range idx {
					out[i] = r[j]
				}
				return out
			}
			var out [][]string
			for _, r := range rows {
				out = append(out, pick(r))
			}
			return pick(head), out
		}
	}
	cost := cols(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	limits := cols(0, 1, 2, 3, 11, 12, 13, 14, 15)
	for _, t := range []func() ([]string, [][]string){cost, limits, a.fitRows, a.partRows} {
		head, rows := t()
		tbl := reports.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
		tbl.Header(toAny(head)...)
		if err := tbl.Bulk(rows); err != nil {
			return err
		}
		if err := tbl.Render(); err != nil {
			return err
		}
	}
	return nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func (a *Analysis) header() []string {
	g := a.Grid
	var lines []string
	if a.Partial != "" {
		lines = append(lines, "**PARTIAL:** "+a.Partial)
	}
	lines = append(lines,
		fmt.Sprintf("Grid: agents %v, rigs %v, rates %v (0 = keep the fleet busy), %d seeds from %d, %s simulated per run, budget %s p99 compute per tick.",
			g.Agents, g.Rigs, g.Rates, g.Seeds, g.Seed, reports.ShortDuration(g.Duration), reports.ShortDuration(g.Budget)),
		fmt.Sprintf("Sweep wall time %s with %d jobs; the runs' own wall times sum to %s (overlap %.2fx).%s",
			reports.ShortDuration(a.Wall), a.Jobs, reports.ShortDuration(a.RunWall), a.Speedup(), a.cpuText()),
		"Compute is real time measured around the Town's code (it varies with the machine and its load; it is never fed back into the simulation). Statements are deterministic.",
		"A run keeps up when the issue beads that turned terminal in its second half are at least 90% of those created in it.",
	)
	var whatIf []string
	for _, ps := range a.Points {
		if ps.Point.KnobLabel != "production" {
			whatIf = append(whatIf, ps.Point.KnobLabel)
		}
	}
	if len(whatIf) > 0 {
		lines = append(lines, "**WHAT-IF:** rows whose knobs are not \"production\" run with production's constants changed; they are advice, not production's behaviour.")
	}
	return lines
}

func (a *Analysis) markdown(figs []figure) string {
	var b strings.Builder
	b.WriteString("# townsim capacity sweep\n\n")
	for _, l := range a.header() {
		b.WriteString(l + "\n\n")
	}
	table := func(title string, t func() ([]string, [][]string)) {
		head, rows := t()
		fmt.Fprintf(&b, "## %s\n\n| %s |\n|%s\n", title, strings.Join(head, " | "), strings.Repeat("---|", len(head)))
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
		}
		b.WriteString("\n")
	}
	table("Points", a.pointRows)
	table("Scaling model and limits", a.fitRows)
	table("What dominates a tick (statements by part)", a.partRows)
	b.WriteString("## Charts\n\n")
	for _, f := range figs {
		fmt.Fprintf(&b, "![%s](%s.png) ([SVG](%s.svg))\n\n", f.title, f.name, f.name)
	}
	b.WriteString("Raw data: `runs.csv` (one line per run), `points.csv` (one line per point).\n")
	return b.String()
}

func (a *Analysis) html(figs []figure) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>townsim capacity sweep</title><style>
body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0;font-size:90%}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#eee}td:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
</style></head><body><h1>townsim capacity sweep</h1>
`)
	for _, l := range a.header() {
		l = html.EscapeString(l)
		l = strings.Replace(strings.Replace(l, "**", "<strong>", 1), "**", "</strong>", 1)
		b.WriteString("<p>" + l + "</p>\n")
	}
	table := func(title string, t func() ([]string, [][]string)) {
		head, rows := t()
		fmt.Fprintf(&b, "<h2>%s</h2><table><tr>", html.EscapeString(title))
		for _, h := range head {
			fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
		}
		b.WriteString("</tr>\n")
		for _, r := range rows {
			b.WriteString("<tr>")
			for _, c := range r {
				fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(c))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</table>\n")
	}
	table("Points", a.pointRows)
	table("Scaling model and limits", a.fitRows)
	table("What dominates a tick (statements by part)", a.partRows)
	b.WriteString("<h2>Charts</h2>\n")
	for _, f := range figs {
		fmt.Fprintf(&b, "<figure><img alt=\"%s\" src=\"data:image/png;base64,%s\"><figcaption>%s</figcaption></figure>\n",
			html.EscapeString(f.title), base64.StdEncoding.EncodeToString(f.png), html.EscapeString(f.title))
	}
	b.WriteString("<p>Raw data: runs.csv (one line per run), points.csv (one line per point).</p></body></html>\n")
	return b.String()
}

func (a *Analysis) writeRunsCSV(path string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := []string{"agents", "rigs", "rate", "knobs", "seed", "status", "error", "ticks", "compute_p50_ms", "compute_p95_ms", "compute_p99_ms", "compute_max_ms",
		"compute_mean_ms", "stmts_p50", "stmts_p99", "stmts_mean", "rows_p99", "issues_created", "issues_closed", "issues_failed", "issues_open",
		"closed_per_hour", "arrived_second_half", "done_second_half", "keeps_up", "notify_mayor", "wall_seconds", "trace_hash", "top_part"}
	_ = w.Write(head)
	for _, r := range a.Runs {
		p := r.Point
		top := ""
		if s := shares(r.Parts); len(s) > 0 {
			top = s[0].Part
		}
		status := r.Status
		if status == "" {
			status = StatusDone
		}
		if !r.Done() {
			row := []string{strconv.Itoa(p.Agents), strconv.Itoa(p.Rigs), g(p.Rate), p.KnobLabel, strconv.FormatUint(r.Seed, 10), status}
			_ = w.Write(append(row, make([]string, len(head)-len(row))...))
			continue
		}
		_ = w.Write([]string{strconv.Itoa(p.Agents), strconv.Itoa(p.Rigs), g(p.Rate), p.KnobLabel, strconv.FormatUint(r.Seed, 10), status, errText(r.Err),
			strconv.Itoa(r.Ticks), g(r.ComputeMs.P50), g(r.ComputeMs.P95), g(r.ComputeMs.P99), g(r.ComputeMs.Max), g(r.MeanComputeMs),
			g(r.Statements.P50), g(r.Statements.P99), g(r.MeanStatements), g(r.Rows.P99),
			strconv.Itoa(r.IssuesCreated), strconv.Itoa(r.Closed), strconv.Itoa(r.Failed), strconv.Itoa(r.Open),
			g(r.ClosedPerHour), strconv.Itoa(r.ArrivedLate), strconv.Itoa(r.DoneLate), strconv.FormatBool(r.KeepsUp),
			strconv.Itoa(r.NotifyMayor), g(r.Wall.Seconds()), r.TraceHash, top})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return reports.WriteNew(path, buf.Bytes())
}

func (a *Analysis) writePointsCSV(path string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head, rows := a.pointRows()
	_ = w.Write(head)
	_ = w.WriteAll(rows)
	if err := w.Error(); err != nil {
		return err
	}
	return reports.WriteNew(path, buf.Bytes())
}

func g(x float64) string  { return strconv.FormatFloat(x, 'g', 6, 64) }
func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
func f2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
func none(n int) string {
	if n == 0 {
		return "none"
	}
	return strconv.Itoa(n) + " agents"
}
func fitText(f reports.PowerFit, err error) string {
	if err != nil {
		return "no fit (" + err.Error() + ")"
	}
	return fmt.Sprintf("%.2f [%.2f, %.2f]", f.Exponent, f.Lo, f.Hi)
}
func r2(f reports.PowerFit, err error) string {
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%.3f", f.R2)
}
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// cpuText says how busy the sweep kept the machine's cores, when measured.
func (a *Analysis) cpuText() string {
	if a.CPU <= 0 || a.Wall <= 0 {
		return ""
	}
	return fmt.Sprintf(" It used %s of CPU, %.2f cores on average: below %d means other work shared the machine and the compute figures are inflated accordingly.",
		a.CPU.Round(time.Millisecond), a.CPU.Seconds()/a.Wall.Seconds(), a.Jobs)
}

// local renders the local exponents ("" for the smallest fleet).
func local(c, s float64) string {
	if math.IsNaN(c) && math.IsNaN(s) {
		return ""
	}
	return fmt.Sprintf("%.2f / %.2f", c, s)
}

// groupTag is what a chart title adds to name its group: the group when
// the report has several, and always the knobs of a what-if group.
func groupTag(gr *Group, multi bool) string {
	switch {
	case multi:
		return " — " + gr.Label
	case gr.Points[0].Point.KnobLabel != "production":
		return " — WHAT-IF " + gr.Points[0].Point.KnobLabel
	}
	return ""
}
