package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// replayCommand is `townsim replay`: it re-runs a scenario (a property
// run's failure is written as a scenario file) and judges every property,
// or, with --at, runs to a tick and shows that tick's dry run.
func replayCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("townsim replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenario := fs.String("scenario", "", "the scenario to replay: a named scenario or a scenario file (as a failing property run prints)")
	at := fs.Int("at", 0, "run to this tick and show its dry run: the state, the events it drains and the actions it computes")
	stop := fs.Bool("stop-on-failure", false, "stop at the simulated minute of the first failure (as the mutant tests shrink)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	trace := fs.String("trace", "", "stream the trace to this new file")
	gastown := fs.String("gastown", "", "also run this gastown checkout's own reconcile on every pass (compare mode); a difference fails the replay")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "townsim replay: unexpected argument %q (flags only)\n", fs.Arg(0))
		return 2
	case *scenario == "":
		fmt.Fprintln(stderr, "townsim replay: --scenario: required (a named scenario or a scenario file)")
		return 2
	case *at < 0:
		fmt.Fprintf(stderr, "townsim replay: --at: must be a tick number >= 1, got %d\n", *at)
		return 2
	}
	s, err := scenarios.Resolve(*scenario)
	if err != nil {
		fmt.Fprintf(stderr, "townsim replay: --scenario: %v\n", err)
		return 2
	}
	opts := scenarios.CheckOptions{BeforeTick: *at, StopOnFailure: *stop}
	if *trace != "" {
		f, err := os.OpenFile(*trace, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "townsim replay: --trace: %v\n", err)
			return 2
		}
		defer f.Close()
		opts.Run.Trace = f
	}
	if *gastown != "" {
		h, err := differential.StartHost(differential.HostOptions{Gastown: *gastown})
		if err != nil {
			fmt.Fprintf(stderr, "townsim replay: --gastown: %v\n", err)
			return 2
		}
		defer h.Close()
		dir, err := os.MkdirTemp("", "townsim-replay-diffs-")
		if err != nil {
			fmt.Fprintf(stderr, "townsim replay: %v\n", err)
			return 1
		}
		c := &differential.Comparer{Host: h, Mode: differential.ModeCompare, DiffDir: dir}
		opts.Run.Reconcile = c.Reconcile
		opts.Differences = func() int { return c.Stats.Differed }
		defer func() {
			fmt.Fprintf(stderr, "townsim replay: --gastown: %d passes compared, %d differed (saved in %s)\n",
				c.Stats.Compared, c.Stats.Differed, dir)
		}()
	}
	var dry *alarm.DryRunResult
	var state map[string]string
	var dryErr error
	if *at > 0 {
		opts.AtStop = func(w *sim.World) {
			state = stateSummary(w)
			dry, dryErr = alarm.DryRun(w.Town(), w.Now())
		}
	}
	rep, err := s.Check(opts)
	if err != nil {
		fmt.Fprintf(stderr, "townsim replay: %v\n", err)
		return 1
	}
	if dryErr != nil {
		fmt.Fprintf(stderr, "townsim replay: dry run at tick %d: %v\n", *at, dryErr)
		return 1
	}
	out := replayOutput(s, rep, *at, state, dry)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(out)
	} else {
		err = writeReplayReport(stdout, out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "townsim replay: %v\n", err)
		return 1
	}
	if *at > 0 && rep.Result.Ticks < *at-1 {
		fmt.Fprintf(stderr, "townsim replay: the run ended after %d ticks, before tick %d\n", rep.Result.Ticks, *at)
		return 1
	}
	if rep.Failed() {
		return 1
	}
	return 0
}

// replayJSON is the report of `townsim replay`.
type replayJSON struct {
	Scenario      string            `json:"scenario"`
	Ticks         int               `json:"ticks"`
	TraceHash     string            `json:"trace_hash"`
	Failures      []string          `json:"failures"`
	Accepted      map[string]int    `json:"accepted_findings"`
	ConvergeTicks int               `json:"converge_ticks"`
	NeverRules    []string          `json:"rules_never_fired"`
	NeverActions  []string          `json:"actions_never_emitted"`
	FaultsFired   map[string]int    `json:"faults_fired"`
	At            int               `json:"at,omitempty"`
	State         map[string]string `json:"state,omitempty"`
	EventsDrained int               `json:"events_drained,omitempty"`
	Actions       []string          `json:"actions,omitempty"`
}

func replayOutput(s scenarios.Scenario, rep *scenarios.Report, at int, state map[string]string, dry *alarm.DryRunResult) replayJSON {
	o := replayJSON{Scenario: s.Name, Ticks: rep.Result.Ticks, TraceHash: rep.Result.TraceHash,
		Failures: []string{}, Accepted: rep.Accepted, ConvergeTicks: rep.ConvergeTicks,
		NeverRules: rep.Coverage.NeverRules(), NeverActions: rep.Coverage.NeverActions(),
		FaultsFired: rep.Result.Faults.Fired, At: at, State: state}
	for _, v := range rep.Failures {
		o.Failures = append(o.Failures, v.String())
	}
	if dry != nil {
		o.EventsDrained = dry.Metrics.EventsDrained
		o.Actions = []string{}
		for _, a := range dry.Actions {
			o.Actions = append(o.Actions, a.String()+" ["+a.Rule+"]")
		}
	}
	return o
}

func writeReplayReport(w io.Writer, o replayJSON) error {
	t := tablewriter.NewWriter(w)
	t.Header("figure", "value")
	rows := [][]string{
		{"scenario", o.Scenario},
		{"ticks", strconv.Itoa(o.Ticks)},
		{"trace hash", o.TraceHash},
		{"properties failed", strconv.Itoa(len(o.Failures))},
		{"accepted findings", fmt.Sprint(o.Accepted)},
		{"ticks to converge after the heal", converge(o.ConvergeTicks)},
		{"rule ids never fired", fmt.Sprint(o.NeverRules)},
		{"faults fired", fmt.Sprint(o.FaultsFired)},
	}
	if o.At > 0 {
		keys := make([]string, 0, len(o.State))
		for k := range o.State {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			rows = append(rows, []string{"at tick " + strconv.Itoa(o.At) + ": " + k, o.State[k]})
		}
		rows = append(rows, []string{"dry run: events it drains", strconv.Itoa(o.EventsDrained)},
			[]string{"dry run: actions it computes", strconv.Itoa(len(o.Actions))})
	}
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, a := range o.Actions {
		fmt.Fprintf(w, "  action %s\n", a)
	}
	for _, f := range o.Failures {
		fmt.Fprintf(w, "FAIL %s\n", f)
	}
	return nil
}

func converge(n int) string {
	if n < 0 {
		return "never in the run"
	}
	return strconv.Itoa(n)
}

// stateSummary counts the Town's beads, agents and pending events now.
func stateSummary(w *sim.World) map[string]string {
	out := map[string]string{"time": w.Now().Format(time.RFC3339)}
	sc, err := w.StatusCounts()
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	for _, c := range sc.Issues {
		out["issues "+c.Status] = strconv.Itoa(c.Count)
	}
	for _, c := range sc.Agents {
		out["agents "+c.Status] = strconv.Itoa(c.Count)
	}
	out["open merge requests"] = strconv.Itoa(sc.MergeRequests)
	n, _ := w.Town().PendingEventCount()
	out["pending events"] = strconv.Itoa(n)
	return out
}
