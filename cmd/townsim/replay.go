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
	"strings"
	"time"

	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/reports"
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
	gastown := fs.String("gastown", "", "also run this gastown checkout's own reconcile on every pass (needs Node.js 20)")
	gastownMode := fs.String("gastown-mode", "compare", "with --gastown: compare (the port drives; a difference fails) or drive (the original drives; the properties judge it)")
	diffs := fs.String("diffs", "", "with --gastown: folder for the differences (default: a new temporary folder)")
	maxDiffs := fs.Int("max-diffs", 100, "with --gastown: save at most this many differences (all are counted; 0 = save all)")
	strict := fs.Bool("strict", false, "with --gastown-mode drive: a difference from the port fails the replay too")
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
	var judged *replayGastown
	if *gastown != "" {
		var code int
		if judged, code = startReplayGastown(*gastown, *gastownMode, *diffs, *maxDiffs, *strict, stderr); judged == nil {
			return code
		}
		defer judged.host.Close()
	} else if err := gastownFlagsUnused(fs); err != nil {
		fmt.Fprintf(stderr, "townsim replay: %v\n", err)
		return 2
	}
	var dry *alarm.DryRunResult
	var state *replayState
	var dryErr error
	if *at > 0 {
		// The checker stops after tick N-1 has ended; the world then runs
		// on to the moment tick N fires (the Town's alarm), so that the
		// state and the dry run are tick N's: the one the trace numbers N.
		opts.AtStop = func(w *sim.World) {
			now := w.Now()
			for {
				due, armed := w.Town().AlarmAt() // re-read: the world's RPCs may re-arm it
				next, ok := w.Engine().NextAt()
				if !armed || !ok || !next.Before(due) || !w.Engine().Step() {
					if now = w.Now(); armed && due.After(now) {
						now = due // a late alarm fires at once, when the tick before ends
					}
					break
				}
			}
			state = stateSummary(w, now)
			dry, dryErr = alarm.DryRun(w.Town(), now)
		}
	}
	var rep *scenarios.Report
	var gr scenarios.GastownResult
	if judged != nil {
		rep, gr, err = scenarios.CheckGastown(s.Config, s.Expect.Bounds, opts, judged.g)
	} else {
		rep, err = s.Check(opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "townsim replay: %v\n", err)
		return 1
	}
	if dryErr != nil {
		fmt.Fprintf(stderr, "townsim replay: dry run at tick %d: %v\n", *at, dryErr)
		return 1
	}
	out := replayOutput(s, rep, *at, state, dry)
	if judged != nil {
		out.Gastown = &gr
		judged.summary(stderr, gr)
	}
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
	if *at > 0 && (rep.Result.Ticks < *at-1 || state == nil) {
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
	Scenario      string         `json:"scenario"`
	Ticks         int            `json:"ticks"`
	TraceHash     string         `json:"trace_hash"`
	Failures      []string       `json:"failures"`
	Accepted      map[string]int `json:"accepted_findings"`
	ConvergeTicks int            `json:"converge_ticks"`
	NeverRules    []string       `json:"rules_never_fired"`
	NeverActions  []string       `json:"actions_never_emitted"`
	FaultsFired   map[string]int `json:"faults_fired"`
	// With --at: the tick, the state before it, and its dry run (zero
	// counts kept).
	At            int          `json:"at,omitempty"`
	State         *replayState `json:"state,omitempty"`
	EventsDrained *int         `json:"events_drained,omitempty"`
	Actions       *[]string    `json:"actions,omitempty"`
	// With --gastown: what the checkout's reconcile did.
	Gastown *scenarios.GastownResult `json:"gastown,omitempty"`
}

func (o replayJSON) actions() []string {
	if o.Actions == nil {
		return nil
	}
	return *o.Actions
}

// replayState is the Town's state just before tick --at fires.
type replayState struct {
	// Time is the tick's time (RFC 3339, milliseconds).
	Time string `json:"time"`
	// Issues and Agents count by status (every status, zeros included).
	Issues            map[string]int `json:"issues"`
	Agents            map[string]int `json:"agents"`
	OpenMergeRequests int            `json:"open_merge_requests"`
	PendingEvents     int            `json:"pending_events"`
	Error             string         `json:"error,omitempty"`
}

func replayOutput(s scenarios.Scenario, rep *scenarios.Report, at int, state *replayState, dry *alarm.DryRunResult) replayJSON {
	o := replayJSON{Scenario: s.Name, Ticks: rep.Result.Ticks, TraceHash: rep.Result.TraceHash,
		Failures: []string{}, Accepted: rep.Accepted, ConvergeTicks: rep.ConvergeTicks,
		NeverRules: rep.Coverage.NeverRules(), NeverActions: rep.Coverage.NeverActions(),
		FaultsFired: rep.Result.Faults.Fired, At: at, State: state}
	for _, v := range rep.Failures {
		o.Failures = append(o.Failures, v.String())
	}
	if o.FaultsFired == nil {
		o.FaultsFired = map[string]int{}
	}
	if dry != nil {
		n := dry.Metrics.EventsDrained
		o.EventsDrained = &n
		actions := []string{}
		for _, a := range dry.Actions {
			actions = append(actions, a.String()+" ["+a.Rule+"]")
		}
		o.Actions = &actions
	}
	return o
}

func writeReplayReport(w io.Writer, o replayJSON) error {
	t := reports.NewTable(w)
	t.Header("figure", "value")
	rows := [][]string{
		{"scenario", o.Scenario},
		{"ticks", strconv.Itoa(o.Ticks)},
		{"trace hash", o.TraceHash},
		{"properties failed", strconv.Itoa(len(o.Failures))},
		{"accepted findings", counts(o.Accepted)},
		{"ticks to converge after the heal", converge(o.ConvergeTicks)},
		{"rule ids never fired", list(o.NeverRules)},
		{"faults fired", counts(o.FaultsFired)},
	}
	if o.At > 0 && o.State != nil {
		st := o.State
		tick := "tick " + strconv.Itoa(o.At) + ": "
		rows = append(rows, []string{tick + "time", st.Time},
			[]string{tick + "issues by status", counts(st.Issues)},
			[]string{tick + "agents by status", counts(st.Agents)},
			[]string{tick + "open merge requests", strconv.Itoa(st.OpenMergeRequests)},
			[]string{tick + "pending events", strconv.Itoa(st.PendingEvents)})
		if st.Error != "" {
			rows = append(rows, []string{tick + "error", st.Error})
		}
		drained := 0
		if o.EventsDrained != nil {
			drained = *o.EventsDrained
		}
		rows = append(rows, []string{"dry run: events it drains", strconv.Itoa(drained)},
			[]string{"dry run: actions it computes", strconv.Itoa(len(o.actions()))})
	}
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, a := range o.actions() {
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

// stateSummary counts the Town's beads, agents and pending events, at the
// tick due at now.
func stateSummary(w *sim.World, now time.Time) *replayState {
	out := &replayState{Time: now.Round(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00"), Issues: map[string]int{}, Agents: map[string]int{}}
	for _, st := range []string{"open", "in_progress", "in_review", "closed", "failed"} {
		out.Issues[st] = 0
	}
	for _, st := range []string{"idle", "working", "waiting", "stalled", "dead"} {
		out.Agents[st] = 0
	}
	sc, err := w.StatusCounts()
	if err != nil {
		out.Error = err.Error()
		return out
	}
	for _, c := range sc.Issues {
		out.Issues[c.Status] = c.Count
	}
	for _, c := range sc.Agents {
		out.Agents[c.Status] = c.Count
	}
	out.OpenMergeRequests = sc.MergeRequests
	out.PendingEvents, _ = w.Town().PendingEventCount()
	return out
}

// counts prints a count by name as "a 1, b 0" (sorted), "none" when empty.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.Itoa(m[k])
	}
	return list(parts)
}

// list prints a list comma-separated, "none" when empty.
func list(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
