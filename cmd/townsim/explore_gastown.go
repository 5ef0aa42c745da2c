package main

import (
	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/reports/explore"
)

// exploreComparer is differential.Comparer, with its Node host, as an
// explore campaign's Comparer.
type exploreComparer struct{ *differential.Comparer }

func (c exploreComparer) Counts() (compared, differed int) {
	return c.Stats.Compared, c.Stats.Differed
}

func (c exploreComparer) Close() { c.Host.Close() }

// startExploreComparer starts one run's comparison beside g's checkout:
// the comparer `townsim run --gastown DIR --gastown-mode MODE` uses.
func startExploreComparer(g *explore.Gastown, dir string) (explore.Comparer, error) {
	mode, err := differential.ParseMode(g.Mode)
	if err != nil {
		return nil, err
	}
	h, err := differential.StartHost(differential.HostOptions{Gastown: g.Dir})
	if err != nil {
		return nil, err
	}
	return exploreComparer{&differential.Comparer{Host: h, Mode: mode, DiffDir: dir}}, nil
}
