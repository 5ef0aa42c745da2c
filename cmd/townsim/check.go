package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/scenarios"
)

// checkReport is the JSON `townsim check --json` prints (and `townsim
// mutate` reads from each mutant's run).
type checkReport struct {
	Passed bool                   `json:"passed"`
	Cases  []scenarios.CaseResult `json:"cases"`
	// Seconds is the wall-clock time of the whole check.
	Seconds float64 `json:"seconds"`
}

// checkCommand is `townsim check`: the property suite as one process —
// named scenarios at their own configurations and rapid-drawn cases, each
// judged by every property. Exit 0 when every case passes, 1 when a
// property fails, 2 for bad usage.
func checkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("townsim check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	list := fs.String("scenarios", "all", "the named scenarios to run, comma-separated, or all or none ('townsim scenarios' lists them)")
	nRapid := fs.Int("rapid", 6, "how many rapid-drawn cases to run after the named scenarios (TestProperties' generator and draws)")
	seed := fs.Uint64("seed", 1, "the rapid seed of the drawn cases (as -rapid.seed; must be >= 1)")
	failFast := fs.Bool("fail-fast", false, "stop at the first failing case, and stop each run at the simulated minute of its first failure")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	durCap := fs.Duration("duration-cap", 0, "run each case for at most this much simulated time (0: each its own duration)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "townsim check: unexpected argument %q (flags only)\n", fs.Arg(0))
		return 2
	case *nRapid < 0:
		fmt.Fprintf(stderr, "townsim check: --rapid: must be >= 0, got %d\n", *nRapid)
		return 2
	case *seed == 0:
		fmt.Fprintln(stderr, "townsim check: --seed: must be >= 1 (rapid's seed 0 means a random one)")
		return 2
	case *durCap < 0:
		fmt.Fprintf(stderr, "townsim check: --duration-cap: must be >= 0, got %s\n", *durCap)
		return 2
	}
	cases, err := suiteCases(*list, *nRapid, *seed)
	if err != nil {
		fmt.Fprintf(stderr, "townsim check: --scenarios: %v\n", err)
		return 2
	}
	if len(cases) == 0 {
		fmt.Fprintln(stderr, "townsim check: nothing to run (--scenarios none and --rapid 0)")
		return 2
	}
	opts := scenarios.SuiteOptions{StopOnFailure: *failFast, DurationCap: *durCap}
	start := time.Now()
	rep := checkReport{Passed: true}
	for _, c := range cases {
		t0 := time.Now()
		r := scenarios.RunCase(c, opts)
		rep.Cases = append(rep.Cases, r)
		rep.Passed = rep.Passed && r.Passed
		if !*asJSON {
			fmt.Fprintln(stdout, caseLine(r, time.Since(t0)))
		}
		if !r.Passed && *failFast {
			break
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "townsim check: %v\n", err)
			return 1
		}
	} else {
		failed := 0
		for _, r := range rep.Cases {
			if !r.Passed {
				failed++
			}
		}
		fmt.Fprintf(stdout, "%d cases run, %d failed, %d not run, in %.1fs\n",
			len(rep.Cases), failed, len(cases)-len(rep.Cases), rep.Seconds)
	}
	if !rep.Passed {
		return 1
	}
	return 0
}

// suiteCases resolves --scenarios and --rapid to the cases to run.
func suiteCases(list string, nRapid int, seed uint64) ([]scenarios.SuiteCase, error) {
	var cases []scenarios.SuiteCase
	if list = strings.TrimSpace(list); list != "none" {
		var names []string
		if list != "all" {
			for n := range strings.SplitSeq(list, ",") {
				if n = strings.TrimSpace(n); n == "" {
					return nil, fmt.Errorf("empty name in %q", list)
				}
				if n == "all" || n == "none" {
					return nil, fmt.Errorf("%q must stand alone, not in a list", n)
				}
				names = append(names, n)
			}
		}
		named, err := scenarios.NamedCases(names)
		if err != nil {
			return nil, err
		}
		cases = named
	}
	return slices.Concat(cases, scenarios.GeneratedCases(nRapid, seed)), nil
}

// caseLine is one case's line of the text report.
func caseLine(r scenarios.CaseResult, took time.Duration) string {
	var b strings.Builder
	if r.Passed {
		fmt.Fprintf(&b, "PASS %-28s %5d ticks", r.Case, r.Ticks)
	} else {
		fmt.Fprintf(&b, "FAIL %-28s %5d ticks  %s", r.Case, r.Ticks, r.Property)
		if r.Entity != "" {
			fmt.Fprintf(&b, " entity=%s", r.Entity)
		}
		if r.Rule != "" {
			fmt.Fprintf(&b, " rule=%s", r.Rule)
		}
		if r.Failures > 1 {
			fmt.Fprintf(&b, " (+%d more)", r.Failures-1)
		}
		fmt.Fprintf(&b, ": %s", r.Detail)
	}
	if len(r.Accepted) > 0 {
		ids := make([]string, 0, len(r.Accepted))
		for id := range r.Accepted {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = fmt.Sprintf("%s=%d", id, r.Accepted[id])
		}
		fmt.Fprintf(&b, "  accepted: %s", strings.Join(parts, " "))
	}
	fmt.Fprintf(&b, "  (%.1fs)", took.Seconds())
	return b.String()
}
