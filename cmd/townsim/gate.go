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
	// against, pairs and testExtraWork are --against, --pairs and the
	// test-only --test-extra-work; only the --scenarios entries run.
	against       string
	pairs         int
	testExtraWork float64
	only          []string
}

func parseGateFlags(args []string, stderr io.Writer) (*gateFlags, error) {
	f := &gateFlags{}
	fs := flag.NewFlagSet("townsim gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: townsim gate --budgets FILE [--against REV] [flags]
       townsim gate --bench NEW --baseline OLD [--budgets FILE]

Runs the budgets file's scenarios and judges their deterministic cost exactly
against the stored baseline; with --against REV, also times the current code
against a build of REV in alternating pairs (docs/gate.md).
Exit status: 0 PASS, 1 FAIL, 2 bad input, 3 UNDECIDED (too few runs or pairs
to judge a figure; a failure instead with require_verdict: true).

flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.budgets, "budgets", "", "the budgets `FILE` (YAML): the scenarios to run and their limits")
	fs.StringVar(&f.bench, "bench", "", "judge `FILE`, output of go test -bench, against a baseline bench file instead of running scenarios")
	fs.StringVar(&f.baseline, "baseline", "", "the baseline `FILE` (default: the one the budgets file names; with --bench, the old bench output)")
	fs.IntVar(&f.runs, "runs", 0, "`N` runs per scenario (default: the budgets file's runs)")
	fs.BoolVar(&f.update, "update-baseline", false, "write a new baseline from this run (replaces the baseline file; says what it wrote)")
	fs.BoolVar(&f.json, "json", false, "print the report as one JSON object instead of tables")
	fs.StringVar(&f.against, "against", "", "judge speed against a build of git revision `REV` (e.g. HEAD~1): both builds run the against entries alternately, in pairs")
	fs.IntVar(&f.pairs, "pairs", 0, "with --against: `N` baseline/current pairs per entry (default: the budgets file's against.pairs, 10)")
	only := fs.String("scenarios", "", "run only these budgets entries, `NAME,...` (with --update-baseline: re-pin only them, keep the others)")
	fs.Float64Var(&f.testExtraWork, "test-extra-work", 0, "TEST ONLY, with --against: the current build's ticks do `F` times their own CPU work again (0.25: a 25% compute regression), to measure the gate's power")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *only != "" {
		for _, n := range strings.Split(*only, ",") {
			if n = strings.TrimSpace(n); n != "" {
				f.only = append(f.only, n)
			}
		}
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	case f.budgets == "" && f.bench == "":
		return nil, fmt.Errorf("--budgets FILE is required (or --bench FILE to judge benchmark output)")
	case f.runs < 0:
		return nil, fmt.Errorf("--runs: must be at least 1, got %d", f.runs)
	case f.pairs < 0:
		return nil, fmt.Errorf("--pairs: must be at least 1, got %d", f.pairs)
	case f.testExtraWork < 0:
		return nil, fmt.Errorf("--test-extra-work: must not be negative, got %v", f.testExtraWork)
	case f.against != "" && f.update:
		return nil, fmt.Errorf("--against and --update-baseline do not go together: the baseline stores this code's own figures")
	case f.against != "" && f.bench != "":
		return nil, fmt.Errorf("--against and --bench do not go together")
	case (f.pairs > 0 || f.testExtraWork > 0) && f.against == "":
		return nil, fmt.Errorf("--pairs and --test-extra-work need --against REV")
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
	full := *b
	if len(f.only) > 0 {
		if err := b.Only(f.only); err != nil {
			fmt.Fprintf(stderr, "townsim gate: --scenarios: %v\n", err)
			return 2
		}
	}
	return gateScenarios(f, &full, b, stdout, stderr)
}

// gateScenarios runs the budgets' scenarios and judges them; full is the
// budgets file before --scenarios left entries out.
func gateScenarios(f *gateFlags, full, b *gate.Budgets, stdout, stderr io.Writer) int {
	path := b.BaselinePath()
	create := gate.UpdateCommand(f.budgets)
	if f.baseline != "" {
		path = f.baseline
		create += " --baseline " + f.baseline
	}
	progress := func(s string) { fmt.Fprintf(stderr, "townsim gate: %s\n", s) }
	runs := b.Runs
	var against *builds
	var againstNote string
	if f.against != "" {
		var err error
		against, err = buildAgainst(f.against, progress)
		var noRev errNoRevision
		switch {
		case errors.As(err, &noRev):
			againstNote = fmt.Sprintf("--against %s: %v; judged wall-clock against the stored baseline %s instead", f.against, err, path)
			fmt.Fprintf(stderr, "townsim gate: %s\n", againstNote)
		case err != nil:
			fmt.Fprintf(stderr, "townsim gate: --against %s: %v\n", f.against, err)
			return 1
		default:
			defer against.cleanup()
			// The pairs judge speed; one in-process run per entry gives the
			// deterministic figures and the absolute limits.
			b.StoredWallInfo = true
			runs = 1
		}
	}
	if f.runs > 0 {
		runs = f.runs
	}
	var bases []*gate.BaselineEntry
	bl, err := gate.LoadBaseline(path, create)
	oldBaseline := bl
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
	report, ms, err := gate.Check(b, bases, runs, gate.MeasureOptions{}, progress)
	if err != nil {
		fmt.Fprintf(stderr, "townsim gate: %v\n", err)
		return 1
	}
	report.Baseline = path
	report.AgainstNote = againstNote
	if against != nil {
		report.Against = f.against + " (" + against.short + ")"
		if err := gateAgainst(f, b, against, report, stderr); err != nil {
			fmt.Fprintf(stderr, "townsim gate: --against %s: %v\n", f.against, err)
			return 1
		}
	}
	if !f.update {
		report.UpdateCommand = create
	}
	if err := writeReport(report, f.json, stdout); err != nil {
		fmt.Fprintf(stderr, "townsim gate: writing the report: %v\n", err)
		return 1
	}
	if !f.update {
		return report.ExitStatus()
	}
	if broken := report.LimitsBroken(); len(broken) > 0 {
		fmt.Fprintf(stderr, "townsim gate: baseline NOT written: the code breaks absolute limits: %s\n", strings.Join(broken, "; "))
		return 1
	}
	header := fmt.Sprintf("townsim gate baseline for %s, written by:\n  %s\nRegenerate it with that command after an intended change of behaviour or cost.",
		filepath.ToSlash(f.budgets), create)
	fresh := gate.NewBaseline(b, ms)
	kept := ""
	if len(f.only) > 0 {
		n := len(fresh.Scenarios)
		fresh = gate.MergeBaseline(full, oldBaseline, fresh)
		kept = fmt.Sprintf(" (%d kept from the old baseline)", len(fresh.Scenarios)-n)
	}
	if err := gate.WriteBaseline(path, fresh, header); err != nil {
		fmt.Fprintf(stderr, "townsim gate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "townsim gate: wrote baseline %s: %d scenarios, %d runs each%s\n", path, len(b.Scenarios), runs, kept)
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
