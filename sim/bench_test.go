package sim

import (
	"fmt"
	"testing"
	"time"
)

// scaleConfig is a fault-free town of n polecats over n/20 rigs running
// one simulated hour at the fleet-sustaining arrival rate.
func scaleConfig(n int) Config {
	c := DefaultConfig()
	c.Agents = n
	c.Rigs = max(1, n/20)
	c.Duration = time.Hour
	return c
}

// BenchmarkSimulatedHour runs one simulated hour of a town of 100 and of
// 1,000 polecats and reports simulated seconds per wall second, and the
// harness's share of the wall time (everything but model code: engine,
// coroutines, world, trace). The model's own compute dominates: see the
// report for figures.
func BenchmarkSimulatedHour(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			if testing.Short() && n > 100 {
				b.Skip("a simulated hour of 1,000 agents takes minutes of model compute")
			}
			cfg := scaleConfig(n)
			var model, wall time.Duration
			var ticks, calls int
			for i := 0; i < b.N; i++ {
				cfg.Seed = uint64(i + 1)
				res, err := Run(cfg, RunOptions{WallClock: time.Now})
				if err != nil {
					b.Fatal(err)
				}
				model += res.ModelCompute
				wall += res.TotalWall
				ticks += res.Ticks
				calls += int(res.Env.Calls)
			}
			b.ReportMetric(cfg.Duration.Seconds()*float64(b.N)/b.Elapsed().Seconds(), "sim-s/wall-s")
			b.ReportMetric(1-model.Seconds()/wall.Seconds(), "harness-share")
			b.ReportMetric(float64(ticks)/float64(b.N), "ticks/op")
			b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
		})
	}
}
