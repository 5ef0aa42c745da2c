package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/olekukonko/tablewriter"

	"github.com/townsim/townsim/mutate"
)

// defaultJudge is what judges each mutant unless --check-args says more.
const defaultJudge = "--scenarios all --rapid 6"

// mutateFlags are the flags of `townsim mutate`.
type mutateFlags struct {
	packages, operators, out, equivalent, checkArgs string
	judge, ids                                      string
	jobs, sample                                    int
	seed                                            uint64
	budget, timeout                                 time.Duration
	list, asJSON                                    bool
	coverage                                        bool
	resume                                          string
	// historical is the catalog file of --historical ("" when not given).
	historical historicalFlag
}

// parseMutateFlags parses and checks the flags; the error names the flag.
func parseMutateFlags(args []string, stderr io.Writer) (*mutateFlags, error) {
	fs := flag.NewFlagSet("townsim mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &mutateFlags{}
	fs.StringVar(&f.packages, "package", strings.Join(mutate.DefaultTargets, ","), "directories or .go files to mutate, comma-separated, relative to the module root")
	fs.StringVar(&f.operators, "operators", strings.Join(mutate.Operators(), ","), "the operators to apply, comma-separated: "+strings.Join(mutate.Operators(), ", "))
	fs.IntVar(&f.jobs, "j", 2, "mutants built and judged at once (separate processes)")
	fs.DurationVar(&f.budget, "budget", 0, "stop starting new mutants after this much wall time (0: no limit); the rest are reported not run")
	fs.DurationVar(&f.timeout, "timeout", 0, "per-mutant judge timeout (0: 3x the unmutated suite's time + 1m)")
	fs.IntVar(&f.sample, "sample", 0, "judge a seeded random sample of this many mutants (0: all)")
	fs.Uint64Var(&f.seed, "seed", 1, "the seed of --sample")
	fs.BoolVar(&f.coverage, "coverage", true, "run the unmutated suite with coverage and report a mutant whose code it never runs as survived (not reached) without judging it; --coverage=false judges every mutant")
	fs.BoolVar(&f.list, "list", false, "only list the mutants (after --sample), build and judge nothing")
	fs.BoolVar(&f.asJSON, "json", false, "print the report (or the --list) as JSON instead of tables")
	fs.StringVar(&f.out, "out", "", "write report.md and results.json into this new directory (never an existing one)")
	fs.StringVar(&f.equivalent, "equivalent", "", "the equivalent-mutants file (default: mutate/equivalent.yaml under the module root, when it exists)")
	fs.StringVar(&f.resume, "resume", "", "reuse the outcomes (killed, survived, timeout, did not build) of a previous run's results.json for the same mutant ids; judge only the rest")
	fs.StringVar(&f.checkArgs, "check-args", defaultJudge, "the flags of the judge command that judge each mutant (--fail-fast --json are always added)")
	fs.StringVar(&f.judge, "judge", "check", "the townsim command that judges each mutant: check (the property suite) or explore (a campaign; give its flags with --check-args, e.g. --cases N --swarm --known BASE)")
	fs.StringVar(&f.ids, "ids", "", "judge only these mutant ids (comma-separated, as --list shows them; after --sample); with --historical, catalog entry ids")
	fs.Var(&f.historical, "historical", "judge the catalog of production's own bugs (`FILE`, default mutate/historical.yaml under the module root) instead of generated mutants: --historical, --historical=FILE or --historical FILE")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	// --historical FILE: the flag package stops at the first argument that
	// is not a flag; take it as the catalog and parse the rest.
	if f.historical.on && f.historical.path == "" && fs.NArg() > 0 && !strings.HasPrefix(fs.Arg(0), "-") {
		f.historical.path = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return nil, err
		}
	}
	checkArgsSet, set := false, map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	checkArgsSet = set["check-args"]
	if f.historical.on {
		for _, name := range []string{"package", "operators", "sample", "seed"} {
			if set[name] {
				return nil, fmt.Errorf("--%s: not with --historical (the catalog's entries are the mutants; --ids selects some)", name)
			}
		}
	}
	switch {
	case f.judge != "check" && f.judge != "explore":
		return nil, fmt.Errorf("--judge: want check or explore, got %q", f.judge)
	case f.judge == "explore" && !checkArgsSet:
		return nil, fmt.Errorf("--judge explore: give the campaign's flags with --check-args (e.g. \"--cases 40 --swarm --seed 7 -j 2\"); the default is check's")
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	case f.jobs < 1:
		return nil, fmt.Errorf("-j: must be >= 1, got %d", f.jobs)
	case f.sample < 0:
		return nil, fmt.Errorf("--sample: must be >= 0, got %d", f.sample)
	case f.budget < 0:
		return nil, fmt.Errorf("--budget: must be >= 0, got %s", f.budget)
	case f.timeout < 0:
		return nil, fmt.Errorf("--timeout: must be >= 0, got %s", f.timeout)
	}
	for _, a := range strings.Fields(f.checkArgs) {
		if a == "--json" || a == "-json" || a == "--fail-fast" || a == "-fail-fast" {
			return nil, fmt.Errorf("--check-args: %s is always added; leave it out", a)
		}
	}
	if f.out != "" {
		if _, err := os.Stat(f.out); err == nil {
			return nil, fmt.Errorf("--out: %s exists; give a new directory (reports never overwrite)", f.out)
		}
	}
	return f, nil
}

// splitList splits a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// moduleRoot is the nearest directory at or above the working directory
// that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory; run townsim mutate inside the townsim module")
		}
		dir = parent
	}
}

// equivalentEntry is one mutant of mutate/equivalent.yaml.
type equivalentEntry struct {
	ID       string `yaml:"id"`
	File     string `yaml:"file"`
	Func     string `yaml:"func"`
	Operator string `yaml:"operator"`
	Mutation string `yaml:"mutation"`
	Reason   string `yaml:"reason"`
}

// loadEquivalent reads the equivalent-mutants file: a YAML list of
// entries, each with an id and a reason.
func loadEquivalent(path string) ([]equivalentEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var es []equivalentEntry
	if err := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict(), yaml.DisallowUnknownField()).Decode(&es); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for i, e := range es {
		if e.ID == "" || strings.TrimSpace(e.Reason) == "" {
			return nil, fmt.Errorf("%s: entry %d (%s): id and reason are required", path, i+1, e.Mutation)
		}
	}
	return es, nil
}

// mutateCommand is `townsim mutate`: generate mutants of the port, build
// each with an overlay, judge each with `townsim check`, report the score.
// Exit 0 when the run completed, 1 when it could not (the unmutated suite
// fails, a build tool is missing), 2 for bad usage.
func mutateCommand(args []string, stdout, stderr io.Writer) int {
	f, err := parseMutateFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if !strings.Contains(err.Error(), "flag provided but not defined") && !strings.Contains(err.Error(), "invalid value") {
			fmt.Fprintf(stderr, "townsim mutate: %v\n", err)
		}
		return 2
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintf(stderr, "townsim mutate: %v\n", err)
		return 2
	}
	var files, ops []string
	var all []mutate.Mutant
	var srcs map[string][]byte
	if f.historical.on {
		if all, srcs, err = historicalMutants(root, f.historical.path); err != nil {
			fmt.Fprintf(stderr, "townsim mutate: --historical: %v\n", err)
			return 2
		}
		files, ops = sortedKeys(srcs), []string{mutate.OpHistorical}
	} else {
		if files, err = mutate.Files(root, splitList(f.packages)); err != nil {
			fmt.Fprintf(stderr, "townsim mutate: --package: %v\n", err)
			return 2
		}
		ops = splitList(f.operators)
		if all, srcs, err = mutate.Generate(root, files, ops); err != nil {
			fmt.Fprintf(stderr, "townsim mutate: --operators: %v\n", err)
			return 2
		}
	}
	eqPath := f.equivalent
	if eqPath == "" {
		if p := filepath.Join(root, "mutate", "equivalent.yaml"); fileExists(p) {
			eqPath = p
		}
	}
	var equivalents []equivalentEntry
	if eqPath != "" {
		if equivalents, err = loadEquivalent(eqPath); err != nil {
			fmt.Fprintf(stderr, "townsim mutate: --equivalent: %v\n", err)
			return 2
		}
	}
	// The sample is drawn from every mutant, so that listing another
	// equivalent mutant does not change which mutants a seed draws.
	sampled := mutate.Sample(all, f.sample, f.seed)
	if f.ids != "" {
		want := splitList(f.ids)
		var only []mutate.Mutant
		for _, id := range want {
			i := slices.IndexFunc(sampled, func(m mutate.Mutant) bool { return m.ID == id })
			if i < 0 {
				what := "no mutant " + id + " (after --sample)"
				if f.historical.on {
					what = "no catalog entry " + id
				}
				fmt.Fprintf(stderr, "townsim mutate: --ids: %s\n", what)
				return 2
			}
			only = append(only, sampled[i])
		}
		sampled = only
	}
	if f.list {
		sampled = slices.Clone(sampled)
		slices.SortStableFunc(sampled, byPosition)
		return listMutants(sampled, len(all), f.asJSON, stdout, stderr)
	}
	resumed := map[string]mutate.Result{}
	if f.resume != "" {
		if resumed, err = loadResumed(f.resume); err != nil {
			fmt.Fprintf(stderr, "townsim mutate: --resume: %v\n", err)
			return 2
		}
	}
	var known []mutate.Result
	var picked []mutate.Mutant
	for _, m := range sampled {
		if i := slices.IndexFunc(equivalents, func(e equivalentEntry) bool { return e.ID == m.ID }); i >= 0 {
			known = append(known, mutate.Result{Mutant: m, Outcome: mutate.Equivalent, Reason: equivalents[i].Reason})
		} else if r, ok := resumed[m.ID]; ok {
			known = append(known, r)
		} else {
			picked = append(picked, m)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	judge := append([]string{f.judge}, strings.Fields(f.checkArgs)...)
	judge = append(judge, "--fail-fast", "--json")
	r := &mutate.Runner{Root: root, Main: "./cmd/townsim", Judge: judge, Jobs: f.jobs, Budget: f.budget,
		BuildTimeout: 10 * time.Minute, Sources: srcs, Coverage: f.coverage && !f.historical.on}
	if r.Coverage {
		if r.Module, err = modulePath(root); err != nil {
			fmt.Fprintf(stderr, "townsim mutate: --coverage: %v\n", err)
			return 2
		}
	}
	start := time.Now()
	fmt.Fprintf(stderr, "townsim mutate: %d mutants of %d files; %d drawn, %d equivalent or resumed; judging %d; first the unmutated suite: townsim %s\n",
		len(all), len(files), len(sampled), len(known), len(picked), strings.Join(judge, " "))
	base, err := r.Baseline(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "townsim mutate: %v\n", err)
		return 1
	}
	r.Timeout = f.timeout
	if r.Timeout == 0 {
		r.Timeout = 3*base + time.Minute
	}
	fmt.Fprintf(stderr, "townsim mutate: the unmutated suite passed in %s; timeout per mutant %s\n", base.Round(time.Second), r.Timeout.Round(time.Second))
	r.Progress = func(done, total int, res mutate.Result) {
		fmt.Fprintf(stderr, "[%d/%d] %-13s %s %s  %s (build %.0fs, judge %.0fs)\n", done, total, res.Outcome, res.Pos(),
			res.Description(), res.KilledBy, res.BuildSeconds, res.RunSeconds)
	}
	results := r.Run(ctx, picked)
	rep := &mutate.Report{Date: time.Now().UTC().Format(time.RFC3339), Files: files, Operators: ops,
		Judge: "townsim " + strings.Join(judge, " "), Generated: len(all), Seed: f.seed,
		BaselineSeconds: base.Seconds(), TimeoutSeconds: r.Timeout.Seconds(), Seconds: time.Since(start).Seconds()}
	if f.sample > 0 && f.sample < len(all) {
		rep.Sampled = len(sampled)
	} else {
		rep.Seed = 0
	}
	rep.Results = append(known, results...)
	slices.SortStableFunc(rep.Results, func(a, b mutate.Result) int { return byPosition(a.Mutant, b.Mutant) })
	rep.Summarize()
	if err := writeMutateReport(rep, f, stdout); err != nil {
		fmt.Fprintf(stderr, "townsim mutate: %v\n", err)
		return 1
	}
	return 0
}

// byPosition orders mutants by file, line and column.
func byPosition(a, b mutate.Mutant) int {
	if c := strings.Compare(a.File, b.File); c != 0 {
		return c
	}
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	return a.Col - b.Col
}

// loadResumed reads a previous run's results.json and returns its judged
// results by mutant id (not-run, not-reached and equivalent ones are judged
// again).
func loadResumed(path string) (map[string]mutate.Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep mutate.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	out := map[string]mutate.Result{}
	for _, r := range rep.Results {
		switch r.Outcome {
		case mutate.Killed, mutate.Survived, mutate.Timeout, mutate.DidNotBuild:
			if r.NotReached() {
				continue // classified again, cheaply: the suite may reach it now
			}
			if r.ID == "" {
				return nil, fmt.Errorf("%s: a result without an id at %s", path, r.Pos())
			}
			out[r.ID] = r
		}
	}
	return out, nil
}

// modulePath is the module line of root's go.mod, which the cover
// profile's file names start with.
func modulePath(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for l := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", filepath.Join(root, "go.mod"))
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// listMutants prints the mutants (--list).
func listMutants(ms []mutate.Mutant, generated int, asJSON bool, stdout, stderr io.Writer) int {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ms); err != nil {
			fmt.Fprintf(stderr, "townsim mutate: %v\n", err)
			return 1
		}
		return 0
	}
	tw := tablewriter.NewWriter(stdout)
	tw.Header("id", "where", "function", "operator", "mutation")
	for _, m := range ms {
		if err := tw.Append(m.ID, m.Pos(), m.Func, m.Operator, m.Description()); err != nil {
			fmt.Fprintf(stderr, "townsim mutate: %v\n", err)
			return 1
		}
	}
	if err := tw.Render(); err != nil {
		fmt.Fprintf(stderr, "townsim mutate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d mutants listed of %d generated\n", len(ms), generated)
	return 0
}

// writeMutateReport prints the report (tables or JSON) and writes --out.
func writeMutateReport(rep *mutate.Report, f *mutateFlags, stdout io.Writer) error {
	if !f.asJSON {
		if err := printMutateTables(rep, stdout); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if f.asJSON {
		if _, err := stdout.Write(append(data, '\n')); err != nil {
			return err
		}
	}
	if f.out == "" {
		return nil
	}
	if err := os.Mkdir(f.out, 0o755); err != nil {
		return fmt.Errorf("--out: %v", err)
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		return err
	}
	return errors.Join(os.WriteFile(filepath.Join(f.out, "report.md"), md.Bytes(), 0o644),
		os.WriteFile(filepath.Join(f.out, "results.json"), append(data, '\n'), 0o644))
}

// printMutateTables renders the totals, the groups and the survivors.
func printMutateTables(rep *mutate.Report, w io.Writer) error {
	fmt.Fprintf(w, "%s\n", rep.ScoreLine())
	t := rep.Totals
	fmt.Fprintf(w, "killed %d, survived %d (%d of them not reached by the suite), timeout %d, did not build %d, equivalent %d, not run %d\n\n",
		t.Killed, t.Survived, t.NotReached, t.Timeout, t.DidNotBuild, t.Equivalent, t.NotRun)
	for _, gs := range []struct {
		title string
		g     []mutate.Group
	}{{"file", rep.ByFile}, {"operator", rep.ByOperator}} {
		tw := tablewriter.NewWriter(w)
		tw.Header(gs.title, "killed", "survived", "timeout", "no build", "equivalent", "score")
		for _, g := range gs.g {
			c := g.Counts
			if err := tw.Append(g.Name, c.Killed, c.Survived, c.Timeout, c.DidNotBuild, c.Equivalent, mutate.Percent(g.Score)); err != nil {
				return err
			}
		}
		if err := tw.Render(); err != nil {
			return err
		}
	}
	sv := rep.Survivors()
	fmt.Fprintf(w, "\n%d survivors:\n", len(sv))
	if len(sv) == 0 {
		return nil
	}
	tw := tablewriter.NewWriter(w)
	tw.Header("where", "function", "mutation", "reached", "id")
	for _, s := range sv {
		reached := "yes"
		if s.NotReached() {
			reached = "no"
		}
		if err := tw.Append(s.Pos(), s.Func, s.Description(), reached, s.ID); err != nil {
			return err
		}
	}
	return tw.Render()
}
