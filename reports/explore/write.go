package explore

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/scenarios"
)

// WriteDir writes the report into dir, a new folder (an existing one is
// an error: a report is never overwritten): report.json, report.md,
// report.html, coverage.png and coverage.svg, and failures/NN-SIG.yaml,
// one replayable scenario per signature (the shrunk case, or the case
// itself when the shrink did not end).
func (r *Report) WriteDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s already exists; townsim explore writes a new report folder and never overwrites one", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "failures"), 0o755); err != nil {
		return err
	}
	for _, s := range r.Signatures {
		data, err := r.scenarioFile(s)
		if err != nil {
			return fmt.Errorf("signature %s: %w", s.Signature, err)
		}
		if err := reports.WriteNew(filepath.Join(dir, s.File), data); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	if err := reports.WriteNew(filepath.Join(dir, "report.json"), append(js, '\n')); err != nil {
		return err
	}
	png, err := r.coverageChart().WriteFiles(dir, "coverage")
	if err != nil {
		return err
	}
	if err := reports.WriteNew(filepath.Join(dir, "report.md"), []byte(r.Markdown(dir))); err != nil {
		return err
	}
	return reports.WriteNew(filepath.Join(dir, "report.html"), []byte(r.html(dir, png)))
}

// scenarioFile is the YAML of a signature's reproduction.
func (r *Report) scenarioFile(s SignatureEntry) ([]byte, error) {
	if s.Shrunk != nil && s.Shrunk.YAML != "" {
		return []byte(s.Shrunk.YAML), nil
	}
	k, err := r.Campaign.Case(s.FirstCase)
	if err != nil {
		return nil, err
	}
	sc := scenarios.Scenario{Name: fmt.Sprintf("explore-case-%d", k.Index),
		Purpose: fmt.Sprintf("case %d (%s) of an explore campaign, not shrunk: %s", k.Index, k, s.Signature),
		Config:  k.Config, Expect: scenarios.Expect{Bounds: k.Bounds}}
	return sc.MarshalYAML()
}

// ReplayLine is the command that replays a signature's scenario file in
// the report folder dir.
func ReplayLine(dir string, s SignatureEntry) string {
	return "townsim replay --scenario " + filepath.Join(dir, s.File)
}

// Replay is the command that replays a signature's scenario file in the
// report folder dir as the campaign ran it (beside its gastown checkout,
// if any).
func (r *Report) Replay(dir string, s SignatureEntry) string {
	return ReplayLine(dir, s) + r.Gastown.ReplayFlags()
}

// coverageChart plots the coverage growth.
func (r *Report) coverageChart() reports.Chart {
	c := reports.Chart{Title: "Coverage growth over the campaign", XLabel: "cases run (index order)",
		YLabel: "distinct items seen"}
	names := []string{"rule ids", "action types", "fault kinds", "findings absorbed", "failure signatures"}
	get := []func(GrowthPoint) int{
		func(g GrowthPoint) int { return g.Rules }, func(g GrowthPoint) int { return g.Actions },
		func(g GrowthPoint) int { return g.Faults }, func(g GrowthPoint) int { return g.Findings },
		func(g GrowthPoint) int { return g.Signatures },
	}
	for i, n := range names {
		s := reports.Series{Name: n, Dashed: i == len(names)-1}
		for _, g := range r.Growth {
			s.X = append(s.X, float64(g.Cases))
			s.Y = append(s.Y, float64(get[i](g)))
		}
		c.Series = append(c.Series, s)
	}
	return c
}

// header is the report's summary lines.
func (r *Report) header() []string {
	t := r.Totals()
	c := r.Campaign
	var src []string
	if len(c.Scenarios) > 0 {
		src = append(src, "named scenarios "+strings.Join(c.Scenarios, ", "))
	}
	if c.Generate {
		src = append(src, "generated towns")
	}
	if c.Swarm {
		src = append(src, "a fault swarm on every case")
	}
	if c.Mutant != "" {
		src = append(src, "mutant "+c.Mutant)
	}
	lines := []string{
		fmt.Sprintf("Campaign seed %d: %s.", c.Seed, strings.Join(src, "; ")),
		fmt.Sprintf("**%d cases run** (%d failing, %d errors) with %d workers in %s; shard %d of %d%s.",
			t.Cases, t.Failing, t.Errors, r.Jobs, r.Wall.Round(time.Second), r.Shard, r.Shards, mergedNote(r)),
		fmt.Sprintf("CPU time: %s for the cases (%s per case), %s for the shrinks.",
			t.CaseCPU.Round(time.Second), t.PerCase.Round(time.Millisecond), r.ShrinkCPU.Round(time.Second)),
		fmt.Sprintf("**%d failure signatures**: %.2f per CPU-hour.", len(r.Signatures), t.BugsPerCPUHour),
	}
	if g := r.Gastown; g != nil {
		how := "the port drives; a pass whose actions differ fails its case"
		if g.Mode == ModeDrive {
			how = "the original's actions drive; the properties judge those runs, differences are counted, not failures"
		}
		lines = append(lines, fmt.Sprintf("Beside gastown %s, %s mode (%s): **%d reconcile passes compared, %d differed**; differences saved under %s.",
			g.Dir, g.Mode, how, t.Compared, t.Differed, g.DiffDir))
	}
	if r.Interrupted {
		lines = append(lines, "Interrupted: the cases that had not ended are not counted; a failure whose shrink had not ended is written unshrunk.")
	}
	return lines
}

func mergedNote(r *Report) string {
	if len(r.MergedFrom) == 0 {
		return ""
	}
	return fmt.Sprintf(", merged from %d shard folders", len(r.MergedFrom))
}

// failureRows are the failures table.
func (r *Report) failureRows(dir string) ([]string, [][]string) {
	head := []string{"#", "signature", "first case", "first found", "cases", "shrunk to", "replays", "replay"}
	var rows [][]string
	for i, s := range r.Signatures {
		shrunk, rep := "not shrunk", "?"
		if s.Shrunk != nil && s.Shrunk.YAML != "" {
			shrunk = fmt.Sprintf("%d rigs, %d agents, faults [%s], %s (%d runs)", s.Shrunk.Rigs, s.Shrunk.Agents,
				strings.Join(s.Shrunk.Faults, " "), s.Shrunk.Duration, s.Shrunk.Runs)
			rep = yesNo(s.Shrunk.Replays)
		}
		k, _ := r.Campaign.Case(s.FirstCase)
		rows = append(rows, []string{fmt.Sprint(i + 1), s.Signature, k.String(), s.FirstFoundAt.Round(time.Second).String(),
			fmt.Sprint(s.Cases), shrunk, rep, "`" + r.Replay(dir, s) + "`"})
	}
	return head, rows
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// coverageLines are the coverage reached and what never fired.
func (r *Report) coverageLines() []string {
	seen := map[string]bool{}
	for _, c := range r.CaseResults {
		for _, k := range c.Coverage {
			seen[k] = true
		}
	}
	var rules, actions []string
	for _, id := range reconciler.RuleIDs {
		if !seen[KeyRule+id] {
			rules = append(rules, id)
		}
	}
	for _, a := range reconciler.ActionTypes {
		if !seen[KeyAction+a] {
			actions = append(actions, a)
		}
	}
	var g GrowthPoint
	if len(r.Growth) > 0 {
		g = r.Growth[len(r.Growth)-1]
	}
	return []string{
		fmt.Sprintf("Reached: %d rule ids, %d action types, %d fault kinds, %d accepted findings absorbed.",
			g.Rules, g.Actions, g.Faults, g.Findings),
		"Rule ids never emitted: " + orNone(rules) + ".",
		"Action types never emitted: " + orNone(actions) + ".",
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// Markdown renders report.md (dir is the folder the replay lines name).
func (r *Report) Markdown(dir string) string {
	var b strings.Builder
	b.WriteString("# townsim explore\n\n")
	for _, l := range r.header() {
		b.WriteString(l + "\n\n")
	}
	head, rows := r.failureRows(dir)
	b.WriteString("## Failures by signature\n\n")
	if len(rows) == 0 {
		b.WriteString("None.\n\n")
	} else {
		fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
		for _, row := range rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = strings.ReplaceAll(c, "|", "\\|")
			}
			fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
		}
		b.WriteString("\n")
		for i, s := range r.Signatures {
			fmt.Fprintf(&b, "%d. %s\n", i+1, s.Example)
		}
		b.WriteString("\n")
	}
	b.WriteString("## Coverage growth\n\n![Coverage growth](coverage.png) ([SVG](coverage.svg))\n\n")
	for _, l := range r.coverageLines() {
		b.WriteString(l + "\n\n")
	}
	b.WriteString("Raw data: `report.json` (every case, signature, shrink and growth point).\n")
	return b.String()
}

func (r *Report) html(dir string, png []byte) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>townsim explore</title><style>
body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0;font-size:90%}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}th{background:#eee}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
</style></head><body><h1>townsim explore</h1>
`)
	for _, l := range r.header() {
		l = html.EscapeString(l)
		for strings.Contains(l, "**") {
			l = strings.Replace(strings.Replace(l, "**", "<strong>", 1), "**", "</strong>", 1)
		}
		b.WriteString("<p>" + l + "</p>\n")
	}
	b.WriteString("<h2>Failures by signature</h2>\n")
	head, rows := r.failureRows(dir)
	if len(rows) == 0 {
		b.WriteString("<p>None.</p>\n")
	} else {
		b.WriteString("<table><tr>")
		for _, h := range head {
			fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
		}
		b.WriteString("</tr>\n")
		for _, row := range rows {
			b.WriteString("<tr>")
			for _, c := range row {
				fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(strings.Trim(c, "`")))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</table>\n<ol>")
		for _, s := range r.Signatures {
			fmt.Fprintf(&b, "<li>%s</li>", html.EscapeString(s.Example))
		}
		b.WriteString("</ol>\n")
	}
	fmt.Fprintf(&b, "<h2>Coverage growth</h2><figure><img alt=\"coverage growth\" src=\"data:image/png;base64,%s\"></figure>\n",
		base64.StdEncoding.EncodeToString(png))
	for _, l := range r.coverageLines() {
		b.WriteString("<p>" + html.EscapeString(l) + "</p>\n")
	}
	b.WriteString("<p>Raw data: report.json.</p></body></html>\n")
	return b.String()
}
