package main

import (
	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/reports/record"
	"github.com/townsim/townsim/sim"
)

// backlogOf is a tick row's backlog: issue beads not terminal.
func backlogOf(r record.Row) reports.Backlog {
	return reports.Backlog{At: r.At, Open: r.Issues["open"] + r.Issues["in_progress"] + r.Issues["in_review"]}
}

// runBaseline runs cfg's fault-free twin (same seed, town and workload, no
// fault kind on) and returns its backlog per tick, the envelope a faulty
// run's recovery is judged against. stop interrupts it as it does the run.
func runBaseline(cfg sim.Config, stop func() bool) ([]reports.Backlog, *sim.Result, error) {
	var series []reports.Backlog
	rec := &record.Recorder{Knobs: cfg.Knobs.Label(),
		Sinks: []func(record.Row){func(r record.Row) { series = append(series, backlogOf(r)) }}}
	res, err := sim.Run(cfg.FaultFree(), sim.RunOptions{DropTickRecords: true, OnTick: rec.OnTick, Interrupted: stop})
	if cerr := rec.Close(); err == nil {
		err = cerr
	}
	return series, res, err
}
