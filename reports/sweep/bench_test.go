package sweep

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSweepJobs runs the same small grid (10 and 30 agents, 2 seeds,
// 10 simulated minutes) with 1 and 2 jobs: the ratio of their times is
// the sweep's parallel speed-up on this machine.
func BenchmarkSweepJobs(b *testing.B) {
	g := DefaultGrid()
	g.Agents = []int{10, 30}
	g.Duration = 10 * time.Minute
	for _, jobs := range []int{1, 2} {
		b.Run(fmt.Sprintf("j%d", jobs), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for _, r := range Run(g, Options{Jobs: jobs}) {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
				}
			}
			b.ReportMetric(float64(b.N*len(g.Agents)*g.Seeds)/b.Elapsed().Seconds(), "runs/s")
		})
	}
}
