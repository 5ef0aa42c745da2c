package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/townsim/townsim/reports/sweep"
)

// BenchmarkSweepWorkers measures a sweep's throughput (one op = the same
// grid: 10 and 30 agents, 2 seeds, 20 simulated minutes) with 1 and 2
// worker processes, and in this process one run at a time (-j 0) for
// contrast. The ratio of the procs=1 and procs=2 ns/op is the speed-up
// `townsim sweep -j 2` gives over -j 1:
//
//	go test ./cmd/townsim -run '^$' -bench BenchmarkSweepWorkers -benchtime 3x
func BenchmarkSweepWorkers(b *testing.B) {
	b.Setenv("TOWNSIM_TEST_MAIN", "1")
	g := sweep.DefaultGrid()
	g.Agents = []int{10, 30}
	g.Duration = 20 * time.Minute
	runs := len(g.Agents) * g.Seeds
	run := func(b *testing.B, o sweep.Options) {
		for b.Loop() {
			for _, r := range sweep.Run(g, o) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		b.ReportMetric(float64(runs*b.N)/b.Elapsed().Seconds(), "runs/s")
	}
	b.Run("inprocess", func(b *testing.B) { run(b, sweep.Options{Jobs: 1}) })
	for _, jobs := range []int{1, 2} {
		b.Run(fmt.Sprintf("procs=%d", jobs), func(b *testing.B) {
			pool := sweepPool(b, jobs)
			defer pool.Close()
			run(b, sweep.Options{Jobs: jobs, Exec: pool})
		})
	}
}
