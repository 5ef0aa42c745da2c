package main

import (
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"

	"github.com/townsim/townsim/sim"
)

// faultsCommand is `townsim faults`: every fault kind, its side, the unit
// of its rate, what it does and the production code it stands for.
func faultsCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "townsim faults: takes no arguments, got %q\n", args[0])
		return 2
	}
	t := tablewriter.NewWriter(stdout)
	t.Header("kind", "side", "rate unit", "what happens", "production source", "swarm range")
	for _, k := range sim.FaultKinds() {
		if err := t.Append(k.Name, k.Side, k.Unit, k.Desc, k.Source,
			fmt.Sprintf("%g-%g", k.SwarmMin, k.SwarmMax)); err != nil {
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
