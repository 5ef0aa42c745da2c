package differential

import (
	"os"
	"testing"
	"time"

	"github.com/townsim/townsim/sim"
)

// BenchmarkCompareMode runs 20 simulated minutes of the default small town
// plainly, in compare mode (reconcile) and in compare mode with events and
// actions too, and reports the wall time per tick of each: their ratios
// are the comparisons' cost. The original is the fixture, or the
// checkout named by $TOWNSIM_GASTOWN:
//
//	TOWNSIM_GASTOWN=~/src/cloud go test -run xxx -bench CompareMode -benchtime 1x ./differential/
func BenchmarkCompareMode(b *testing.B) {
	cfg := sim.DefaultConfig()
	cfg.Duration = 20 * time.Minute
	gastown := os.Getenv("TOWNSIM_GASTOWN")
	if gastown == "" {
		gastown = fixture
	}
	b.Run("plain", func(b *testing.B) {
		ticks := 0
		for b.Loop() {
			res, err := sim.Run(cfg, sim.RunOptions{})
			if err != nil {
				b.Fatal(err)
			}
			ticks += res.Ticks
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(ticks), "ms/tick")
	})
	b.Run("compare", func(b *testing.B) {
		h, err := StartHost(HostOptions{Gastown: gastown})
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close()
		ticks := 0
		for b.Loop() {
			c := &Comparer{Host: h, Mode: ModeCompare, DiffDir: b.TempDir()}
			res, err := sim.Run(cfg, sim.RunOptions{Reconcile: c.Reconcile})
			if err != nil || c.Err() != nil {
				b.Fatal(err, c.Err())
			}
			ticks += res.Ticks
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(ticks), "ms/tick")
	})
	b.Run("compare-all", func(b *testing.B) {
		h, err := StartHost(HostOptions{Gastown: gastown})
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close()
		ticks := 0
		for b.Loop() {
			c := &Comparer{Host: h, Mode: ModeCompare, DiffDir: b.TempDir()}
			x := &ExecComparer{Host: h, Events: h.Exec.ApplyEvent, Actions: h.Exec.ApplyAction, DiffDir: b.TempDir()}
			res, err := sim.Run(cfg, sim.RunOptions{Reconcile: c.Reconcile, Events: x, Apply: x.Apply})
			if err != nil || c.Err() != nil || x.Err() != nil {
				b.Fatal(err, c.Err(), x.Err())
			}
			ticks += res.Ticks
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(ticks), "ms/tick")
	})
}
