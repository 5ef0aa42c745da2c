package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/reports"
)

// diffCommand is `townsim diff`: replay saved states through a gastown
// checkout's reconcile and the port's, and print the differences by rule
// and action type. Exit 0: no difference; 1: differences (or a failure); 2:
// bad usage.
func diffCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("townsim diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	states := fs.String("states", "", "folder of saved states (townsim run --save-states, or a run's differences)")
	gastown := fs.String("gastown", "", "gastown checkout whose reconcile to compare with the port's (needs Node.js 20)")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	list := fs.Int("list", 10, "differing states to list by name (0: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "townsim diff: %v\n", err)
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "townsim diff: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q (flags only)", fs.Arg(0))
	case *states == "":
		return bad("--states: required")
	case *gastown == "":
		return bad("--gastown: required")
	case *list < 0:
		return bad("--list: must not be negative, got %d", *list)
	}
	if _, err := differential.ListStates(*states); err != nil {
		return bad("--states: %v", err)
	}
	h, err := differential.StartHost(differential.HostOptions{Gastown: *gastown})
	if err != nil {
		return bad("--gastown: %v", err)
	}
	defer h.Close()
	stats, diffs, err := differential.Replay(h, *states)
	if err != nil {
		fmt.Fprintf(stderr, "townsim diff: %v\n", err)
		return 1
	}
	steps, stepDiffs, err := differential.ReplaySteps(h, *states)
	if err != nil {
		fmt.Fprintf(stderr, "townsim diff: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if diffs == nil {
			diffs = []differential.Replayed{}
		}
		if stepDiffs == nil {
			stepDiffs = []differential.ReplayedStep{}
		}
		err = enc.Encode(struct {
			Gastown         string                      `json:"gastown"`
			States          string                      `json:"states"`
			Stats           differential.Stats          `json:"stats"`
			Differences     []differential.Replayed     `json:"differences"`
			StepStats       differential.StepStats      `json:"step_stats"`
			StepDifferences []differential.ReplayedStep `json:"step_differences"`
		}{h.Root, *states, stats, diffs, steps, stepDiffs})
	} else {
		err = writeReplay(stdout, h.Root, *states, stats, diffs, *list)
		if err == nil && steps.Events.Compared+steps.Actions.Compared > 0 {
			err = writeStepReplay(stdout, steps, stepDiffs, *list)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "townsim diff: writing the result: %v\n", err)
		return 1
	}
	if stats.Differed > 0 || steps.Events.Differed+steps.Actions.Differed > 0 {
		return 1
	}
	return 0
}

func writeReplay(w io.Writer, root, states string, st differential.Stats, diffs []differential.Replayed, list int) error {
	t := reports.NewTable(w)
	t.Header("figure", "value")
	rows := [][]string{
		{"gastown", root},
		{"states", states},
		{"states replayed", strconv.Itoa(st.Compared)},
		{"agreed", fmt.Sprintf("%d (%d of them both threw)", st.Agreed+st.BothThrew, st.BothThrew)},
		{"differences", strconv.Itoa(st.Differed)},
	}
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	if st.Table == nil {
		return nil
	}
	if err := writeDiffTable(w, st.Table); err != nil {
		return err
	}
	listDifferences(w, diffs, list, func(d differential.Replayed) (string, string) { return d.State, describe(d.Comparison) })
	return nil
}

// listDifferences prints the first list of diffs, one line each (the
// saved state and how it differs), and how many more there are.
func listDifferences[D any](w io.Writer, diffs []D, list int, line func(D) (state, how string)) {
	for i, d := range diffs {
		if i == list {
			fmt.Fprintf(w, "... and %d more\n", len(diffs)-list)
			return
		}
		state, how := line(d)
		fmt.Fprintf(w, "%s: %s\n", state, how)
	}
}

// describe says in one line how a comparison differs.
func describe(c *differential.Comparison) string {
	switch {
	case c.Threw() && c.PortError != "":
		return "only the port threw: " + oneLine(c.PortError)
	case c.Threw():
		return "only the original threw (" + c.ThrowRule + "): " + oneLine(c.OriginalError)
	case c.OrderOnly:
		return "the same actions in another order"
	}
	return fmt.Sprintf("%d actions only in the port, %d only in the original", len(c.OnlyPort), len(c.OnlyOriginal))
}

// oneLine folds a (possibly multi-line, JSON) error message into one line
// of at most 240 characters.
func oneLine(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 240 {
		msg = msg[:240] + "..."
	}
	return msg
}
