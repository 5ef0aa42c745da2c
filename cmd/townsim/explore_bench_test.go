package main

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/townsim/townsim/procpool"
	"github.com/townsim/townsim/reports/explore"
	"github.com/townsim/townsim/scenarios"
)

// BenchmarkExploreJobs measures a campaign's throughput (one op = the
// same 4 cases) with 1 and 2 worker processes, and with 2 goroutines of
// one process for contrast. The ratio of the procs=1 and procs=2 ns/op
// is the speed-up -j 2 gives:
//
//	go test ./cmd/townsim -run '^$' -bench BenchmarkExploreJobs -benchtime 3x
func BenchmarkExploreJobs(b *testing.B) {
	b.Setenv("TOWNSIM_TEST_MAIN", "1")
	campaign := scenarios.Campaign{Seed: 1, Scenarios: []string{"fresh-town"}}
	const cases = 4
	run := func(b *testing.B, exec explore.Executor, jobs int) {
		for b.Loop() {
			r, err := explore.Run(context.Background(), explore.Options{Campaign: campaign, Cases: cases, Jobs: jobs, Exec: exec})
			if err != nil || len(r.CaseResults) != cases {
				b.Fatalf("%v, %d cases", err, len(r.CaseResults))
			}
			for _, c := range r.CaseResults {
				if c.Error != "" {
					b.Fatal(c.Error)
				}
			}
		}
		b.ReportMetric(float64(cases*b.N)/b.Elapsed().Seconds(), "cases/s")
	}
	for _, jobs := range []int{1, 2} {
		b.Run(fmt.Sprintf("procs=%d", jobs), func(b *testing.B) {
			self, err := procpool.Self(workerCommand, "explore")
			if err != nil {
				b.Fatal(err)
			}
			pool, err := procpool.Start(procpool.Options{Workers: jobs, Command: self, Stderr: os.Stderr})
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			run(b, pool, jobs)
		})
	}
	b.Run("goroutines=2", func(b *testing.B) { run(b, explore.InProcess{}, 2) })
}
