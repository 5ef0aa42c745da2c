package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/sim"
)

// faultsCommand is `townsim faults`: every fault kind, its side, the unit
// of its rate, what it does and the production code it stands for.
func faultsCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("townsim faults", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: townsim faults [--scenario NAME|FILE]\n\n"+
			"Lists every fault kind --faults and --swarm choose from: its side, the unit of its rate, its timing\n"+
			"(when a fault strikes once on, under the scenario's config), what happens and the production code\n"+
			"it stands for.\n\n")
		fs.PrintDefaults()
	}
	scenario := fs.String("scenario", "", "show the timing under this named scenario or scenario file (default: the default town)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "townsim faults: takes no arguments, got %q\n", fs.Arg(0))
		return 2
	}
	sc, err := loadScenario(*scenario)
	if err != nil {
		fmt.Fprintf(stderr, "townsim faults: --scenario: %v\n", err)
		return 2
	}
	// Identifiers in the kind and source columns do not wrap: a narrower
	// budget for the rest keeps the whole table within reports.TableWidth.
	t := reports.NewTable(stdout, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithMaxWidth(reports.TableWidth-16))
	t.Header("kind (side)", "rate unit (swarm range)", "timing in "+sc.Name, "what happens", "production source")
	for _, k := range sim.FaultKinds() {
		if err := t.Append(k.Name+" ("+k.Side+")", fmt.Sprintf("%s (swarm %g-%g)", k.Unit, k.SwarmMin, k.SwarmMax),
			k.Timing(sc.Config), k.Desc, k.Source); err != nil {
			fmt.Fprintf(stderr, "townsim faults: %v\n", err)
			return 1
		}
	}
	if err := t.Render(); err != nil {
		fmt.Fprintf(stderr, "townsim faults: %v\n", err)
		return 1
	}
	return 0
}
