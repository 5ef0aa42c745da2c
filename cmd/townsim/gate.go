package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/townsim/townsim/reports/gate"
)

// gateFlags are the flags of `townsim gate`.
type gateFlags struct {
	budgets  string
	bench    string
	baseline string
	runs     int
	update   bool
	json     bool
}

func parseGateFlags(args []string, stderr io.Writer) (*gateFlags, error) {
	f := &gateFlags{}
	fs := flag.NewFlagSet("townsim gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.budgets, "budgets", "", "the budgets `FILE` (YAML): the scenarios to run and their limits")
	fs.StringVar(&f.bench, "bench", "", "judge `FILE`, output of go test -bench, against a baseline bench file instead of running scenarios")
	fs.StringVar(&f.baseline, "baseline", "", "the baseline `FILE` (default: the one the budgets file names; with --bench, the old bench output)")
	fs.IntVar(&f.runs, "runs", 0, "`N` runs per scenario (default: the budgets file's runs)")
	fs.BoolVar(&f.update, "update-baseline", false, "write a new baseline from this run (replaces the baseline file; says what it wrote)")
	fs.BoolVar(&f.json, "json", false, "print the report as one JSON object instead of tables")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	case f.budgets == "" && f.bench == "":
		return nil, fmt.Errorf("--budgets FILE is required (or --bench FILE to judge benchmark output)")
	case f.runs < 0:
		return nil, fmt.Errorf("--runs: must be at least 1, got %d", f.runs)
	}
	return f, nil
}

func gateCommand(args []string, stdout, stderr io.Writer) int {
	f, err := parseGateFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "townsim gate: %v\n", err)
		return 2
	}
	var b *gate.Budgets
	if f.budgets != "" {
		if b, err = gate.LoadBudgets(f.budgets); err != nil {
			fmt.Fprintf(stderr, "townsim gate: %v\n", err)
			return 2
		}
	}
	if f.bench != "" {
		return gateBench(f, b, stdout, stderr)
	}
	return gateScenarios(f, b, stdout, stderr)
}

// gateScenarios runs the budgets' scenarios and judges them.
func gateScenarios(f *gateFlags, b *gate.Budgets, stdout, stderr io.Writer) int {
	path := b.BaselinePath()
	create := gate.UpdateCommand(f.budgets)
	if f.baseline != "" {
		path = f.baseline
		create += " --baseline " + f.baseline
	}
	runs := b.Runs
	if f.runs > 0 {
		runs = f.runs
	}
	var bases []*gate.BaselineEntry
	bl, err := gate.LoadBaseline(path, create)
	if err == nil {
		bases, err = bl.Entries(b, create)
	}
	if err != nil {
		if !f.update {
			fmt.Fprintf(stderr, "townsim gate: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "townsim gate: no usable old baseline to compare with (%v); writing a new one\n", err)
		bases = nil
	}
	progress := func(s string) { fmt.Fprintf(stderr, "townsim gate: %s\n", s) }
	report, ms, err := gate.Check(b, bases, runs, gate.MeasureOptions{}, progress)
	if err != nil {
		fmt.Fprintf(stderr, "townsim gate: %v\n", err)
		return 1
	}
	report.Baseline = path
	if !f.update {
		report.UpdateCommand = create
	}
	if err := writeReport(report, f.json, stdout); err != nil {
		fmt.Fprintf(stderr, "townsim gate: writing the report: %v\n", err)
		return 1
	}
	if !f.update {
		if report.Failed {
			return 1
		}
		return 0
	}
	if broken := report.LimitsBroken(); len(broken) > 0 {
		fmt.Fprintf(stderr, "townsim gate: baseline NOT written: the code breaks absolute limits: %s\n", strings.Join(broken, "; "))
		return 1
	}
	header := fmt.Sprintf("townsim gate baseline for %s, written by:\n  %s\nRegenerate it with that command after an intended change of behaviour or cost.",
		filepath.ToSlash(f.budgets), create)
	if err := gate.WriteBaseline(path, gate.NewBaseline(b, ms), header); err != nil {
		fmt.Fprintf(stderr, "townsim gate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "townsim gate: wrote baseline %s: %d scenarios, %d runs each\n", path, len(b.Scenarios), runs)
	return 0
}

// gateBench judges a bench file against the baseline bench file.
func gateBench(f *gateFlags, b *gate.Budgets, stdout, stderr io.Writer) int {
	path := f.baseline
	if path == "" && b != nil {
		path = b.BenchBaselinePath()
	}
	if path == "" {
		fmt.Fprintf(stderr, "townsim gate: --bench needs a baseline bench file: --baseline FILE, or bench.baseline in the --budgets file\n")
		return 2
	}
	now, err := gate.ReadBench(f.bench)
	if err != nil {
		fmt.Fprintf(stderr, "townsim gate: %v\n", err)
		return 2
	}
	if f.update {
		data, err := os.ReadFile(f.bench)
		if err == nil {
			err = gate.WriteFileAtomic(path, data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "townsim gate: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "townsim gate: wrote bench baseline %s: a copy of %s (%d metrics)\n", path, f.bench, len(now.Keys))
		return 0
	}
	base, err := gate.ReadBench(path)
	if err != nil {
		if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
			err = fmt.Errorf("%v; create it with: townsim gate --bench %s --baseline %s --update-baseline", err, f.bench, path)
		}
		fmt.Fprintf(stderr, "townsim gate: %v\n", err)
		return 2
	}
	report := &gate.Report{Budgets: f.budgets, Baseline: path}
	report.Add(gate.JudgeBench(b, base, now))
	if err := writeReport(report, f.json, stdout); err != nil {
		fmt.Fprintf(stderr, "townsim gate: writing the report: %v\n", err)
		return 1
	}
	if report.Failed {
		return 1
	}
	return 0
}

func writeReport(r *gate.Report, asJSON bool, w io.Writer) error {
	if asJSON {
		return r.WriteJSON(w)
	}
	return r.WriteTable(w)
}
