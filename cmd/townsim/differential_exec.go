package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/sim"
)

// compareKinds are the comparisons --compare names, in order.
var compareKinds = []string{"reconcile", "events", "actions"}

// parseCompare reads a --compare list: a comma-separated subset of
// reconcile, events and actions, at least one.
func parseCompare(s string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(compareKinds, k) {
			return nil, fmt.Errorf("unknown comparison %q (a list of %s)", k, strings.Join(compareKinds, ", "))
		}
		out[k] = true
	}
	return out, nil
}

// checkCompareFlag checks --compare against --gastown and its mode.
func checkCompareFlag(set map[string]bool, f *runFlags) error {
	if f.gastown == "" {
		if set["compare"] {
			return fmt.Errorf("--compare: needs --gastown")
		}
		return nil
	}
	kinds, err := parseCompare(f.compare)
	if err != nil {
		return fmt.Errorf("--compare: %v", err)
	}
	if f.gastownMode == string(differential.ModeDrive) {
		if set["compare"] && (kinds["events"] || kinds["actions"] || !kinds["reconcile"]) {
			return fmt.Errorf("--compare: drive mode compares reconcile only")
		}
		kinds = map[string]bool{"reconcile": true}
	}
	f.compareKinds = kinds
	for _, prefix := range []string{"event", "action"} {
		if err := differential.CheckNewDir(f.diffs, prefix); err != nil {
			return fmt.Errorf("--diffs: %v", err)
		}
	}
	return nil
}

// startExec installs the event and action comparisons of --compare.
func (d *differentialRun) startExec(f *runFlags, opts *sim.RunOptions) {
	if d.host == nil || !(f.compareKinds["events"] || f.compareKinds["actions"]) {
		return
	}
	d.exec = &differential.ExecComparer{Host: d.host, Events: f.compareKinds["events"] && d.host.Exec.ApplyEvent,
		Actions: f.compareKinds["actions"] && d.host.Exec.ApplyAction, DiffDir: f.diffs, WallClock: time.Now}
	opts.Apply = d.exec.Apply
	opts.Events = d.exec
}

// execSummary is the "events" and "actions" part of the JSON summary.
type execSummary struct {
	Events      *differential.ExecStats `json:"events,omitempty"`
	Actions     *differential.ExecStats `json:"actions,omitempty"`
	Differences []string                `json:"differences"`
	HostSeconds float64                 `json:"host_seconds"`
}

func (d *differentialRun) execSummary() *execSummary {
	if d == nil || d.exec == nil {
		return nil
	}
	s := &execSummary{Differences: append([]string{}, d.exec.Differences...), HostSeconds: d.exec.HostTime.Seconds()}
	if d.exec.Events {
		s.Events = &d.exec.EventStats
	}
	if d.exec.Actions {
		s.Actions = &d.exec.ActionStats
	}
	return s
}

// writeExecTables prints the event and action comparisons by type.
func writeExecTables(w io.Writer, s *execSummary) error {
	if s == nil {
		return nil
	}
	if s.Events != nil {
		t := reports.NewTable(w)
		t.Header("event type", "applied and compared", "differed")
		for _, r := range s.Events.ByType {
			if err := t.Append(r.Type, strconv.Itoa(r.Compared), strconv.Itoa(r.Differed)); err != nil {
				return err
			}
		}
		if err := t.Append("(all)", fmt.Sprintf("%d (%d agreed with accepted differences; %d skipped: fault injected)", s.Events.Compared, s.Events.Accepted, s.Events.Skipped), strconv.Itoa(s.Events.Differed)); err != nil {
			return err
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if s.Actions != nil {
		t := reports.NewTable(w)
		t.Header("action type", "sync parts compared", "differed", "side effects compared", "their rows compared", "differed")
		for _, r := range s.Actions.ByType {
			if err := t.Append(r.Type, strconv.Itoa(r.Compared), strconv.Itoa(r.Differed), strconv.Itoa(r.Effects), strconv.Itoa(r.EffectRows), strconv.Itoa(r.EffectsDiffered)); err != nil {
				return err
			}
		}
		if err := t.Append("(all)", fmt.Sprintf("%d steps (%d agreed with accepted differences; %d skipped: fault injected)", s.Actions.Compared, s.Actions.Accepted, s.Actions.Skipped), strconv.Itoa(s.Actions.Differed), "", "", ""); err != nil {
			return err
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if s.Actions != nil && len(s.Actions.Analytics) > 0 {
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(s.Actions.Analytics)) {
			parts = append(parts, fmt.Sprintf("%s %d", name, s.Actions.Analytics[name]))
		}
		fmt.Fprintf(w, "analytics data points compared: %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "event and action differences: %d; time in the original's executors: %.3fs\n", len(s.Differences), s.HostSeconds)
	return nil
}

// writeStepReplay prints a replay of saved event and action differences:
// the counts by type and the differing states.
func writeStepReplay(w io.Writer, st differential.StepStats, diffs []differential.ReplayedStep, list int) error {
	s := &execSummary{}
	if st.Events.Compared > 0 {
		s.Events = &st.Events
	}
	if st.Actions.Compared > 0 {
		s.Actions = &st.Actions
	}
	for _, d := range diffs {
		s.Differences = append(s.Differences, d.State)
	}
	if err := writeExecTables(w, s); err != nil {
		return err
	}
	listDifferences(w, diffs, list, func(d differential.ReplayedStep) (string, string) { return d.State, describeStep(d.Comparison) })
	return nil
}

// describeStep says in one line how an event or action step differs.
func describeStep(c *differential.StepComparison) string {
	what := c.Type + " (" + c.Part + ")"
	switch {
	case (c.PortError == "") != (c.OriginalError == "") && c.PortError != "":
		return what + ": only the port threw: " + oneLine(c.PortError)
	case (c.PortError == "") != (c.OriginalError == ""):
		return what + ": only the original threw: " + oneLine(c.OriginalError)
	case c.PortEffect != nil && c.OriginalEffect != nil && *c.PortEffect != *c.OriginalEffect:
		return fmt.Sprintf("%s: side effect returned by the port %v, by the original %v", what, *c.PortEffect, *c.OriginalEffect)
	case len(c.Rows) > 0:
		r := c.Rows[0]
		return fmt.Sprintf("%s: %d rows changed differently, first %s rowid %d %v", what, len(c.Rows), r.Table, r.RowID, r.Columns)
	}
	return what + ": other calls of the action context"
}
