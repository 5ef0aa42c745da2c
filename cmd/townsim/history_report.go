package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strings"

	"github.com/townsim/townsim/reports"
)

// historyCell is a case's verdict in a few words: "ok", the failing
// properties, or the verdict that the checkout could not run the town.
func historyCell(k historyCase) string {
	if len(k.Failing) == 0 {
		return "ok"
	}
	return strings.Join(k.Failing, ", ")
}

// historyRow is one commit's row: commit, date, subject, a cell per
// scenario, the differences from the port, the schema drift, the error.
func historyRow(c historyCommit, scen []string, subjectMax int) []string {
	subject := c.Subject
	if subjectMax > 0 && len(subject) > subjectMax {
		subject = subject[:subjectMax-1] + "…"
	}
	row := []string{c.Commit[:12], c.Date[:min(10, len(c.Date))], subject}
	byName := map[string]historyCase{}
	for _, k := range c.Cases {
		byName[k.Scenario] = k
	}
	for _, s := range scen {
		k, ok := byName[s]
		if !ok {
			row = append(row, "-")
			continue
		}
		row = append(row, historyCell(k))
	}
	compared, differed := c.differed()
	diffs := "-"
	if compared > 0 {
		diffs = fmt.Sprintf("%d of %d", differed, compared)
	}
	drift := "-"
	if c.Drift != nil {
		drift = c.Drift.String()
	}
	return append(row, diffs, drift, historyFirstLine(c.Error))
}

func historyHeader(scen []string) []string {
	h := []string{"commit", "date", "subject"}
	h = append(h, scen...)
	return append(h, "differences from the port", "schema drift", "error")
}

// writeHistoryTable prints the history as a table, one row per commit,
// then the bisect result.
func writeHistoryTable(w io.Writer, rep *historyReport) error {
	t := reports.NewTable(w)
	t.Header(historyAny(historyHeader(rep.Scenarios))...)
	for _, c := range rep.Commits {
		row := historyRow(c, rep.Scenarios, 50)
		row[len(row)-2] = driftCount(c) // the whole drift is in the report files
		if err := t.Append(historyAny(row)...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if rep.Bisect != nil {
		fmt.Fprintf(w, "bisect: %s\n", rep.Bisect.Message)
	}
	return nil
}

// driftCount sums up a commit's schema drift in a few words.
func driftCount(c historyCommit) string {
	if c.Drift == nil {
		return "-"
	}
	d := c.Drift
	if d.None() {
		return "none"
	}
	return fmt.Sprintf("%d tables, %d columns adapted", len(d.MissingTables)+len(d.ExtraTables), len(d.MissingColumns)+len(d.ExtraColumns))
}

// writeHistoryFiles writes history.json, history.md and history.html in
// dir (new files only).
func writeHistoryFiles(dir string, rep *historyReport) error {
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := reports.WriteNew(filepath.Join(dir, "history.json"), append(js, '\n')); err != nil {
		return err
	}
	var md bytes.Buffer
	writeHistoryMarkdown(&md, rep)
	if err := reports.WriteNew(filepath.Join(dir, "history.md"), md.Bytes()); err != nil {
		return err
	}
	var html bytes.Buffer
	if err := historyHTML.Execute(&html, historyPage(rep)); err != nil {
		return err
	}
	return reports.WriteNew(filepath.Join(dir, "history.html"), html.Bytes())
}

// mdCell escapes a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func writeHistoryMarkdown(w io.Writer, rep *historyReport) {
	fmt.Fprintf(w, "# townsim history of %s\n\n", rep.GitDir)
	rng := rep.Range
	if rng == "" {
		rng = "the commits given"
	}
	fmt.Fprintf(w, "Range: %s. Scenarios (drive mode, every property, at most %s of simulated time each): %s.\n\n",
		rng, rep.Cap, strings.Join(rep.Scenarios, ", "))
	h := historyHeader(rep.Scenarios)
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(h, " | "), strings.Repeat(" --- |", len(h)))
	for _, c := range rep.Commits {
		row := historyRow(c, rep.Scenarios, 0)
		for i := range row {
			row[i] = mdCell(row[i])
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	if rep.Bisect != nil {
		fmt.Fprintf(w, "\nBisect: %s\n", rep.Bisect.Message)
	}
	fmt.Fprintln(w, "\n## Details by commit")
	for _, c := range rep.Commits {
		fmt.Fprintf(w, "\n### %s %s\n\n", c.Commit[:12], mdCell(c.Subject))
		if c.Error != "" {
			fmt.Fprintf(w, "Not judged: %s\n", mdCell(c.Error))
			continue
		}
		fmt.Fprintf(w, "- layout: %s; stubbed packages: %s\n", c.Layout, list(c.Stubbed))
		if c.Drift != nil {
			fmt.Fprintf(w, "- schema drift: %s\n", c.Drift.String())
		}
		for _, k := range c.Cases {
			st := k.Gastown.Stats
			fmt.Fprintf(w, "- %s: %s; %d ticks; %d of %d passes differed from the port", k.Scenario, historyCell(k), k.Ticks, st.Differed, st.Compared)
			if k.Gastown.OriginalThrew > 0 {
				fmt.Fprintf(w, "; the original threw on %d passes", k.Gastown.OriginalThrew)
			}
			fmt.Fprintln(w)
			if k.Detail != "" {
				fmt.Fprintf(w, "  - first failure: %s\n", mdCell(k.Detail))
			}
			if st.Table != nil {
				for _, r := range st.Table.Rows {
					fmt.Fprintf(w, "  - %s %s: only in port %d, only in original %d, reordered %d\n", r.Rule, r.Type, r.OnlyPort, r.OnlyOriginal, r.Reordered)
				}
			}
		}
	}
}

// historyPageData is what the HTML report shows.
type historyPageData struct {
	Title   string
	Header  []string
	Rows    [][]string
	Failing []bool
	Bisect  string
}

func historyPage(rep *historyReport) historyPageData {
	p := historyPageData{Title: "townsim history of " + rep.GitDir, Header: historyHeader(rep.Scenarios)}
	for _, c := range rep.Commits {
		p.Rows = append(p.Rows, historyRow(c, rep.Scenarios, 0))
		p.Failing = append(p.Failing, c.failed())
	}
	if rep.Bisect != nil {
		p.Bisect = rep.Bisect.Message
	}
	return p
}

var historyHTML = template.Must(template.New("history").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top;font-size:13px}tr.fail{background:#fdecea}tr.ok{background:#eef8ee}</style>
</head><body><h1>{{.Title}}</h1>
{{if .Bisect}}<p>Bisect: {{.Bisect}}</p>{{end}}
<table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range $i, $r := .Rows}}<tr class="{{if index $.Failing $i}}fail{{else}}ok{{end}}">{{range $r}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table></body></html>
`))

func historyAny(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// historyFirstLine is s up to its first newline.
func historyFirstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
