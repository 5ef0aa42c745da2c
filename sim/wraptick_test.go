package sim

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
)

// RunOptions.WrapTick wraps every tick run: the wrapper's database work
// lands in the tick's own cost, and without a wrapper nothing changes.
func TestRunOptionsWrapTick(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Duration = 5 * time.Minute
	plain, err := Run(cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	wrapped, err := Run(cfg, RunOptions{WrapTick: func(next TickFunc) TickFunc {
		return func(town *model.Town, env model.Env) (*alarm.TickResult, error) {
			calls++
			if _, err := town.DB().Int(`SELECT 1`); err != nil {
				return nil, err
			}
			return next(town, env)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls != wrapped.Ticks || calls == 0 {
		t.Errorf("wrapper ran %d times for %d ticks", calls, wrapped.Ticks)
	}
	if plain.Ticks != wrapped.Ticks {
		t.Fatalf("ticks %d without the wrapper, %d with it", plain.Ticks, wrapped.Ticks)
	}
	for i := range plain.TickRecords {
		p, w := plain.TickRecords[i].Cost.Statements, wrapped.TickRecords[i].Cost.Statements
		if w != p+1 {
			t.Fatalf("tick %d: %d statements with the wrapper, want %d+1", i, w, p)
		}
	}
	again, err := Run(cfg, RunOptions{WrapTick: nil})
	if err != nil {
		t.Fatal(err)
	}
	if again.TraceHash != plain.TraceHash {
		t.Errorf("a nil WrapTick changed the run: %s vs %s", again.TraceHash, plain.TraceHash)
	}
}
