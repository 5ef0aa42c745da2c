package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/reports/dashboard"
	"github.com/townsim/townsim/reports/record"
)

// dashboardCommand renders the six Reconciler panels from an analytics
// record file into a new folder, and prints each panel's figure.
func dashboardCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("townsim dashboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "analytics rows written by 'townsim run --record FILE.ae.jsonl' (required)")
	out := fs.String("out", "dashboard", "folder to create for the panels (PNG and SVG); must not exist")
	bucket := fs.Duration("bucket", time.Minute, "time bucket of the panels' series")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "townsim dashboard: "+format+"\n", a...)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return fail("unexpected argument %q (flags only)", fs.Arg(0))
	case *in == "":
		return fail("--in: an analytics record file is required")
	case *bucket <= 0:
		return fail("--bucket: must be positive, got %s", *bucket)
	}
	if _, err := os.Stat(*out); err == nil {
		return fail("--out: %s already exists; townsim writes a new folder and never overwrites one", *out)
	}
	// First pass: the start of the range (the first row's time).
	var start time.Time
	open := func() (*os.File, bool) {
		fh, err := os.Open(*in)
		if err != nil {
			fmt.Fprintf(stderr, "townsim dashboard: --in: %v\n", err)
			return nil, false
		}
		return fh, true
	}
	fh, ok := open()
	if !ok {
		return 2
	}
	first := true
	err := record.ReadAnalytics(fh, *in, func(a record.AnalyticsRow) error {
		if first {
			start, first = a.Timestamp.Truncate(*bucket), false
		}
		return nil
	})
	fh.Close()
	if err != nil {
		return fail("%v", err)
	}
	b := dashboard.NewBuilder(start, *bucket)
	if fh, ok = open(); !ok {
		return 2
	}
	err = record.ReadAnalytics(fh, *in, b.Add)
	fh.Close()
	if err != nil {
		return fail("%v", err)
	}
	if b.Rows() == 0 {
		return fail("--in: %s has no reconciler_tick rows", *in)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "townsim dashboard: %v\n", err)
		return 1
	}
	for _, p := range dashboard.Reconciler {
		if err := dashboard.CheckGauge(p); err != nil {
			fmt.Fprintf(stderr, "townsim dashboard: warning: %v\n", err)
		}
		f := b.Compute(p)
		name := fmt.Sprintf("%d-%s", p.ID, reports.Slug(p.Title))
		if _, err := f.Chart(start).WriteFiles(*out, name); err != nil {
			fmt.Fprintf(stderr, "townsim dashboard: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%d %-48s %s\n", p.ID, p.Title, panelFigure(f))
	}
	fmt.Fprintf(stdout, "%d reconciler_tick rows; panels in %s\n", b.Rows(), filepath.Clean(*out))
	return 0
}

// panelFigure is a panel's one-line summary.
func panelFigure(f dashboard.Figures) string {
	p := f.Panel
	switch p.Kind {
	case "stat":
		return fmt.Sprintf("sum %g %s", f.Value, p.FigureUnit)
	case "gauge":
		return fmt.Sprintf("newest sample %g %s (yellow 25, red 50)", f.Value, p.FigureUnit)
	}
	s := ""
	for _, q := range p.Queries {
		if q.Name != "" {
			s += fmt.Sprintf("%s mean %.3g %s  ", q.Name, f.Totals[q.Name], p.FigureUnit)
		}
	}
	if s == "" {
		var tot float64
		for _, v := range f.Totals {
			tot += v
		}
		s = fmt.Sprintf("%g %s of %d types", tot, p.FigureUnit, len(f.Totals))
	}
	return s
}
