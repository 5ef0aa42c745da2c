package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/sim"
)

// checkDifferentialFlags checks --gastown, --gastown-mode, --diffs and
// --save-states without starting anything.
func checkDifferentialFlags(fs *flag.FlagSet, f *runFlags) error {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if f.gastown == "" {
		for _, name := range []string{"gastown-mode", "diffs"} {
			if set[name] {
				return fmt.Errorf("--%s: needs --gastown", name)
			}
		}
	} else {
		if _, err := differential.ParseMode(f.gastownMode); err != nil {
			return fmt.Errorf("--gastown-mode: %v", err)
		}
		if _, err := differential.GastownRoot(f.gastown); err != nil {
			return fmt.Errorf("--gastown: %v", err)
		}
		if f.diffs == "" {
			f.diffs = freeDir("gastown-diffs")
		} else if err := differential.CheckNewDir(f.diffs, "diff"); err != nil {
			return fmt.Errorf("--diffs: %v", err)
		}
	}
	if f.saveStates != "" {
		if err := differential.CheckNewDir(f.saveStates, "state"); err != nil {
			return fmt.Errorf("--save-states: %v", err)
		}
	}
	return checkCompareFlag(set, f)
}

// freeDir returns base, or base-2, base-3, ...: the first that does not exist.
func freeDir(base string) string {
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = base + "-" + strconv.Itoa(i)
		}
		if _, err := os.Stat(name); os.IsNotExist(err) {
			return name
		}
	}
}

// differentialRun is the differential side of one run: the host and the
// comparer (with --gastown) and the state saver (with --save-states).
type differentialRun struct {
	host     *differential.Host
	comparer *differential.Comparer
	saver    *differential.StateSaver
	exec     *differential.ExecComparer
	dir      string
}

// startDifferential starts the host and installs the reconcile hook.
func startDifferential(f *runFlags, opts *sim.RunOptions, stderr io.Writer) (*differentialRun, error) {
	d := &differentialRun{}
	if f.gastown != "" {
		mode, _ := differential.ParseMode(f.gastownMode)
		h, err := differential.StartHost(differential.HostOptions{Gastown: f.gastown})
		if err != nil {
			return nil, fmt.Errorf("--gastown: %v", err)
		}
		d.host = h
		d.dir = f.diffs
		fmt.Fprintf(stderr, "gastown: %s's reconcile bundled (stubbed: %v; townsim's own: %v); %s mode; differences go to %s\n",
			h.Root, h.Stubbed, h.Shimmed, mode, f.diffs)
		if e := h.Exec.TownMethodsError; e != "" && f.compareKinds["actions"] {
			fmt.Fprintf(stderr, "gastown: the Town's methods are not loaded (%s): the side effects of dispatch_agent, stop_agent, send_nudge and report_wasteland_done are compared by their calls only\n", e)
		}
		if f.compareKinds["reconcile"] {
			d.comparer = &differential.Comparer{Host: h, Mode: mode, DiffDir: f.diffs, WallClock: time.Now}
			opts.Reconcile = d.comparer.Reconcile
		}
		d.startExec(f, opts)
	}
	if f.saveStates != "" {
		d.saver = &differential.StateSaver{Dir: f.saveStates, Next: opts.Reconcile}
		opts.Reconcile = d.saver.Reconcile
	}
	if opts.Reconcile != nil || d.exec != nil {
		// A failed host or save stops the run at the next simulated minute.
		interrupted := opts.Interrupted
		opts.Interrupted = func() bool { return d.err() != nil || (interrupted != nil && interrupted()) }
	}
	return d, nil
}

// err is the failure that made the comparison or the saving invalid.
func (d *differentialRun) err() error {
	if d == nil {
		return nil
	}
	if d.comparer != nil && d.comparer.Err() != nil {
		return fmt.Errorf("--gastown: %w", d.comparer.Err())
	}
	if d.exec != nil && d.exec.Err() != nil {
		return fmt.Errorf("--gastown: %w", d.exec.Err())
	}
	if d.saver != nil && d.saver.Err() != nil {
		return d.saver.Err()
	}
	return nil
}

func (d *differentialRun) close() {
	if d != nil && d.host != nil {
		d.host.Close()
	}
}

// differentialSummary is the "differential" member of the JSON summary.
type differentialSummary struct {
	Gastown      string              `json:"gastown"`
	Mode         string              `json:"mode"`
	Stats        *differential.Stats `json:"stats"`
	DiffsDir     string              `json:"diffs_dir,omitempty"`
	Differences  []string            `json:"differences"`
	HostSeconds  float64             `json:"host_seconds"`
	StatesSaved  int                 `json:"states_saved,omitempty"`
	StatesFolder string              `json:"states_folder,omitempty"`
	// Exec is the event and action comparisons (--compare events,actions).
	Exec *execSummary `json:"exec,omitempty"`
}

func (d *differentialRun) summary() *differentialSummary {
	if d == nil || (d.comparer == nil && d.saver == nil && d.exec == nil) {
		return nil
	}
	s := &differentialSummary{Differences: []string{}, Exec: d.execSummary()}
	if d.host != nil {
		s.Gastown = d.host.Root
	}
	if c := d.comparer; c != nil {
		s.Gastown, s.Mode, s.Stats = d.host.Root, string(c.Mode), &c.Stats
		s.Differences = append(s.Differences, c.Differences...)
		s.HostSeconds = c.HostTime.Seconds()
		if len(c.Differences) > 0 {
			s.DiffsDir = d.dir
		}
	}
	if d.saver != nil {
		s.StatesSaved, s.StatesFolder = d.saver.Saved, d.saver.Dir
	}
	return s
}

// writeJSON writes the run's summary, with a "differential" member when
// differential mode or --save-states was on.
func (d *differentialRun) writeJSON(w io.Writer, s reports.Summary) error {
	ds := d.summary()
	if ds == nil {
		return s.WriteJSON(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		reports.Summary
		Differential *differentialSummary `json:"differential"`
	}{s, ds})
}

// writeTable writes the differential figures after the run's tables.
func (d *differentialRun) writeTable(w io.Writer) error {
	ds := d.summary()
	if ds == nil {
		return nil
	}
	t := reports.NewTable(w)
	t.Header("differential", "value")
	var rows [][]string
	if ds.Stats != nil {
		st := ds.Stats
		rows = append(rows,
			[]string{"gastown", ds.Gastown + " (" + ds.Mode + " mode)"},
			[]string{"reconcile passes compared", strconv.Itoa(st.Compared)},
			[]string{"agreed", fmt.Sprintf("%d (%d of them both threw)", st.Agreed+st.BothThrew, st.BothThrew)},
			[]string{"differences", strconv.Itoa(st.Differed)},
			[]string{"time in the original", fmt.Sprintf("%.3fs (included in compute per tick and model compute)", ds.HostSeconds)})
		if ds.DiffsDir != "" {
			rows = append(rows, []string{"saved in", ds.DiffsDir})
		}
	}
	if ds.StatesFolder != "" {
		rows = append(rows, []string{"states saved", fmt.Sprintf("%d in %s", ds.StatesSaved, ds.StatesFolder)})
	}
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	if ds.Stats != nil && ds.Stats.Table != nil {
		if err := writeDiffTable(w, ds.Stats.Table); err != nil {
			return err
		}
	}
	return writeExecTables(w, ds.Exec)
}

// writeDiffTable prints the differences by rule and action type.
func writeDiffTable(w io.Writer, tab *differential.Table) error {
	t := reports.NewTable(w)
	t.Header("rule", "action type", "only in port", "only in original", "reordered")
	for _, r := range tab.Rows {
		if err := t.Append(r.Rule, r.Type, strconv.Itoa(r.OnlyPort), strconv.Itoa(r.OnlyOriginal), strconv.Itoa(r.Reordered)); err != nil {
			return err
		}
	}
	return t.Render()
}
