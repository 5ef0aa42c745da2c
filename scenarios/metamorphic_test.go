package scenarios

import (
	"fmt"
	"testing"

	"github.com/townsim/townsim/sim"
)

// Removing a fault kind never makes a run worse (a metamorphic relation,
// pebble-style): a small town under three fault families at once
// (process crashes, start errors, GitHub errors; never healed; the
// breaker what-if on so that liveness sees through production's breaker)
// closes, with any one family removed, no fewer issues than with all
// three, within an envelope for the different draws the removal causes
// (a tenth of the full run's count, at least one issue). Two seeds.
func TestRemovingAFaultKindNeverWorse(t *testing.T) {
	kinds := []string{"process-crashes", "start-errors", "github-errors"}
	setOf := map[string]func(*sim.Config){}
	for _, f := range healFamilies {
		setOf[f.family] = f.set
	}
	for _, seed := range []uint64{1, 2} {
		closed := func(without string) int {
			t.Helper()
			cfg := healTown()
			cfg.Seed = seed
			cfg.Faults.Heal = 0
			for _, k := range kinds {
				if k != without {
					setOf[k](&cfg)
				}
			}
			rep, err := Check(cfg, healBounds(), CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return rep.Result.Beads.Closed
		}
		all := closed("")
		envelope := max(1, all/10)
		line := fmt.Sprintf("seed %d: all three families closed %d", seed, all)
		for _, k := range kinds {
			n := closed(k)
			line += fmt.Sprintf(", without %s %d", k, n)
			if n < all-envelope {
				t.Errorf("seed %d: removing %s closed %d issues, all three families %d (envelope %d)", seed, k, n, all, envelope)
			}
		}
		t.Log(line)
	}
}
