package main

import (
	"fmt"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/reports/explore"
)

// startExploreHost starts one run's differential host on g's checkout;
// the campaign wires it into the run as the property runs do
// (scenarios.Gastown.Wire): the comparisons of `townsim run --gastown DIR
// --gastown-mode MODE --compare LIST`.
func startExploreHost(g *explore.Gastown) (*differential.Host, error) {
	return differential.StartHost(differential.HostOptions{Gastown: g.Dir})
}

// exploreCompare reads explore's --compare (given: set on the command
// line) as explore.Gastown.Compare: the comparisons in order, nil for
// all three (the default) and in drive mode, which compares reconcile
// only (naming events or actions there is an error, as for townsim run).
func exploreCompare(list string, given bool, mode differential.Mode) ([]string, error) {
	kinds, err := parseCompare(list)
	if err != nil {
		return nil, fmt.Errorf("--compare: %v", err)
	}
	if mode == differential.ModeDrive {
		if given && (kinds["events"] || kinds["actions"] || !kinds["reconcile"]) {
			return nil, fmt.Errorf("--compare: drive mode compares reconcile only")
		}
		return nil, nil
	}
	var out []string
	for _, k := range compareKinds {
		if kinds[k] {
			out = append(out, k)
		}
	}
	if len(out) == len(compareKinds) {
		return nil, nil
	}
	return out, nil
}
