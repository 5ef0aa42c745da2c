package main

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/reports/explore"
	"github.com/townsim/townsim/scenarios"
)

// The host townsim explore --gastown starts for a case is wired as the
// property runs wire theirs (scenarios.Gastown.Wire): beside the
// repository's fixture a short town's reconcile passes, events and action
// steps are all compared, and the fixture's deliberate differences show.
func TestExploreHostWired(t *testing.T) {
	g := &explore.Gastown{Dir: filepath.Join("..", "..", "differential", "testdata", "minigastown"), Mode: explore.ModeCompare}
	h, err := startExploreHost(g)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	cfg := scenarios.Default()
	cfg.Agents = 30
	cfg.Duration = 2 * time.Minute
	_, res, err := scenarios.CheckGastown(cfg, scenarios.Bounds{}, scenarios.CheckOptions{}, scenarios.Gastown{Host: h, DiffDir: filepath.Join(t.TempDir(), "diffs")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Compared == 0 || res.Stats.Differed == 0 || res.Events == nil || res.Events.Compared == 0 || res.Actions == nil || res.Actions.Compared == 0 {
		t.Errorf("passes %+v, events %+v, actions %+v: want all three compared", res.Stats, res.Events, res.Actions)
	}
}

// explore's --compare is townsim run's: a list in order, nil for all
// three and in drive mode.
func TestExploreCompare(t *testing.T) {
	for _, tt := range []struct {
		list  string
		given bool
		mode  differential.Mode
		want  []string
		err   bool
	}{
		{list: "reconcile,events,actions", mode: differential.ModeCompare},
		{list: "actions,reconcile", given: true, mode: differential.ModeCompare, want: []string{"reconcile", "actions"}},
		{list: "reconcile,events,actions", mode: differential.ModeDrive},
		{list: "reconcile", given: true, mode: differential.ModeDrive},
		{list: "events", given: true, mode: differential.ModeDrive, err: true},
		{list: "nope", given: true, mode: differential.ModeCompare, err: true},
	} {
		got, err := exploreCompare(tt.list, tt.given, tt.mode)
		if (err != nil) != tt.err || !slices.Equal(got, tt.want) {
			t.Errorf("%q %s: %v, %v; want %v (error %v)", tt.list, tt.mode, got, err, tt.want, tt.err)
		}
	}
}
