package scenarios

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/model"
)

// defaultChecks is how many scenarios a plain `go test` draws; nightly
// runs raise it with -rapid.checks=N.
const defaultChecks = "6"

func TestMain(m *testing.M) {
	flag.Parse()
	if err := differential.InstallPackages(""); err != nil {
		fmt.Fprintln(os.Stderr, "scenarios tests: the differential host's npm packages:", err)
		os.Exit(1)
	}
	// A plain `go test` draws the same few cases every time (seed 1), so
	// that CI judges the code, not the luck of a draw; giving
	// -rapid.checks or -rapid.seed explores (nightly runs).
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" || f.Name == "rapid.seed" })
	if !set {
		flag.Set("rapid.checks", defaultChecks)
		flag.Set("rapid.seed", "1")
	}
	code := m.Run()
	suite.print(os.Stdout)
	os.Exit(judgeCoverage(os.Stdout, code))
}

// TestProperties draws scenarios (fleet, workload, fault schedule) and
// judges every property on each; a failure is shrunk by rapid and printed
// with the command line that replays it.
func TestProperties(t *testing.T) {
	rapid.Check(t, checkGenerated("", CheckOptions{}, gastownFromEnv(t)))
}

// checkGenerated is the property run's body: one drawn scenario, with
// mutant (a deliberate bug, "" for none), judged (with g, a gastown
// checkout's reconcile in the run); a failure names the properties that
// failed and prints its replay line.
func checkGenerated(mutant string, opts CheckOptions, gastown *Gastown) func(*rapid.T) {
	return func(rt *rapid.T) {
		g := GenScenario().Draw(rt, "scenario")
		g.Config.Mutant = mutant
		opts := opts
		opts.Determinism = true // and a second run of the case gives the same hash
		var rep *Report
		var err error
		if gastown == nil {
			rep, err = Check(g.Config, g.Bounds, opts)
		} else {
			var gr GastownResult
			gc := *gastown
			if gc.DiffDir, err = os.MkdirTemp(gastown.DiffDir, "case-"); err != nil {
				rt.Fatal(err)
			}
			rep, gr, err = CheckGastown(g.Config, g.Bounds, opts, gc)
			rt.Logf("gastown (%s mode): %d passes compared, %d differed", gr.Mode, gr.Stats.Compared, gr.Stats.Differed)
		}
		if err != nil {
			rt.Fatal(err)
		}
		suite.add(rep)
		if rep.Failed() {
			rt.Fatalf("%s", failureText(g, rep))
		}
	}
}

// failureText describes a failed run: its size, its failures and the
// command that replays it.
func failureText(g Generated, rep *Report) string {
	var b strings.Builder
	c := g.Config
	fmt.Fprintf(&b, "%d properties failed in a town of %d rigs, %d agents, %d issues, %d faults fired, %d ticks:\n",
		len(rep.Failures), c.Rigs, c.Agents, rep.Result.Beads.Created, totalFired(rep), rep.Result.Ticks)
	for i, v := range rep.Failures {
		if i == 5 {
			fmt.Fprintf(&b, "  ... and %d more\n", len(rep.Failures)-5)
			break
		}
		fmt.Fprintf(&b, "  %s\n", v)
	}
	path, err := WriteRepro(g, os.TempDir())
	if err != nil {
		fmt.Fprintf(&b, "(the scenario could not be written: %v)\n", err)
		return b.String()
	}
	fmt.Fprintf(&b, "replay: townsim replay --scenario %s", path)
	return b.String()
}

func totalFired(rep *Report) int {
	n := 0
	for _, k := range rep.Result.Faults.Fired {
		n += k
	}
	return n
}

// Each mutant (a deliberate bug in the port) is caught by the properties
// and shrunk; the shrunk case's replay line reproduces the failure.
func TestMutantsAreCaught(t *testing.T) {
	for _, tc := range []struct {
		mutant string
		want   []string // the properties that catch it first
	}{
		// Skipping the cooldown re-dispatches a failing bead every tick:
		// its agent flaps between idle and working, and the dispatches
		// storm; whichever bound is crossed first catches it — since the
		// dispatch ledger, usually the cooldown judged from start calls.
		{model.MutantSkipCooldown, []string{PropRetryStorm, PropFlap, PropDispatchCooldown}},
		{model.MutantLoseBead, []string{PropBeadLost, PropReviewResultRecord}}, // the closed issue's row and its events go with it
		{model.MutantDoubleDispatch, []string{PropOneOwner}},
		{model.MutantFlap, []string{PropFalseDeath, PropFlap}},
		// Events never processed are still pending after the next drain
		// (the drain's own record), and grow old before the queue grows
		// past its depth bound.
		{model.MutantNeverProcessed, []string{PropDrainSettles, PropQueueDrains, PropEventAge}},
	} {
		t.Run(tc.mutant, func(t *testing.T) {
			g, rep := findFailure(t, tc.mutant)
			for _, v := range rep.Failures {
				if !slices.Contains(tc.want, v.Property) {
					t.Fatalf("mutant %s caught by %s, want one of %v; failures: %v", tc.mutant, v.Property, tc.want, rep.Failures)
				}
			}
			// The replay file reproduces it.
			path, err := WriteRepro(g, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			again, err := Replay(path, CheckOptions{StopOnFailure: true})
			if err != nil {
				t.Fatal(err)
			}
			if again.Result.TraceHash != rep.Result.TraceHash || len(again.Failures) != len(rep.Failures) ||
				again.Failures[0].String() != rep.Failures[0].String() {
				t.Errorf("replay gave hash %s and %d failures; the run %s and %d",
					again.Result.TraceHash, len(again.Failures), rep.Result.TraceHash, len(rep.Failures))
			}
			t.Logf("shrunk to %d rigs, %d agents, %d issues, %d faults, %d ticks: %v",
				g.Config.Rigs, g.Config.Agents, rep.Result.Beads.Created, len(g.Config.Faults.Rates),
				rep.Result.Ticks, rep.Failures[0])
		})
	}
}
