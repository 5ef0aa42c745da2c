package differential

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// Judge wraps a Comparer for a run whose properties are judged (townsim
// replay, check, history, the property runs): besides the comparison it
// counts the passes in which the original threw and keeps the first
// message, so that a checkout that cannot run the town gets a verdict
// (Verdict) rather than a crash or a silent stall. Its Reconcile is an
// alarm.ReconcileFunc.
type Judge struct {
	*Comparer
	// Passes counts the reconcile passes run.
	Passes int
	// OriginalThrew counts, in drive mode, the passes in which the
	// original's reconcile threw (the pass then applies no action);
	// FirstThrow is the first message.
	OriginalThrew int
	FirstThrow    string
	// Exec, when set (compare mode), compares the checkout's event
	// application and action executor with the port's on every event
	// drained and every action executed.
	Exec *ExecComparer
}

// NewJudge returns a Judge over a new Comparer of h in mode, saving
// differences to diffDir.
func NewJudge(h *Host, mode Mode, diffDir string) *Judge {
	return &Judge{Comparer: &Comparer{Host: h, Mode: mode, DiffDir: diffDir}}
}

// Reconcile runs the Comparer's pass and counts the original's throws.
func (j *Judge) Reconcile(t *model.Town, now time.Time, o reconciler.Options) ([]reconciler.Action, error) {
	j.Passes++
	actions, err := j.Comparer.Reconcile(t, now, o)
	if err != nil && j.Mode == ModeDrive && j.Comparer.Err() == nil {
		j.OriginalThrew++
		if j.FirstThrow == "" {
			j.FirstThrow = err.Error()
		}
	}
	return actions, err
}

// Verdict says why the run cannot judge the checkout, "" when it can: the
// comparing stopped (in drive mode an action the port cannot apply, which
// it names; or the host failed), or, in drive mode, the original threw on
// every pass (its first message is given).
func (j *Judge) Verdict() string {
	if err := j.Comparer.Err(); err != nil {
		return err.Error()
	}
	if j.Mode == ModeDrive && j.Passes > 0 && j.OriginalThrew == j.Passes {
		return fmt.Sprintf("the original's reconcile threw on every pass (%d): %s", j.Passes, firstLines(j.FirstThrow, 3))
	}
	return ""
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " / ")
}

// Drift is how a checkout's schema differs from the port's, and what the
// host does about it: a table or column the port writes that the checkout
// lacks is left out of every request; a column only the checkout has
// takes its default in every row (a NOT NULL column without one makes
// every pass a host failure, which stops the comparing with its message).
type Drift struct {
	// MissingTables are the port's tables the checkout does not create.
	MissingTables []string `json:"missing_tables,omitempty"`
	// ExtraTables are the checkout's tables the port does not have (they
	// stay empty).
	ExtraTables []string `json:"extra_tables,omitempty"`
	// MissingColumns are "table.column" the port writes and the checkout
	// lacks; ExtraColumns "table.column" only the checkout has.
	MissingColumns []string `json:"missing_columns,omitempty"`
	ExtraColumns   []string `json:"extra_columns,omitempty"`
}

// None reports that the schemas agree.
func (d Drift) None() bool {
	return len(d.MissingTables)+len(d.ExtraTables)+len(d.MissingColumns)+len(d.ExtraColumns) == 0
}

// String lists the drift on one line ("none" when the schemas agree).
func (d Drift) String() string {
	if d.None() {
		return "none"
	}
	var parts []string
	add := func(label string, xs []string) {
		if len(xs) > 0 {
			parts = append(parts, label+" "+strings.Join(xs, ", "))
		}
	}
	add("tables the checkout lacks:", d.MissingTables)
	add("tables only the checkout has:", d.ExtraTables)
	add("columns the checkout lacks:", d.MissingColumns)
	add("columns only the checkout has:", d.ExtraColumns)
	return strings.Join(parts, "; ")
}

// PortSchema is the port's schema: each table's columns in order, as the
// port creates them (on an empty in-memory Town).
func PortSchema() (map[string][]string, error) {
	town, err := model.Open(model.Options{TownID: "schema"})
	if err != nil {
		return nil, err
	}
	defer town.Close()
	tables, err := town.DB().Snapshot()
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, t := range tables {
		out[t.Name] = slices.DeleteFunc(slices.Clone(t.Columns), func(c string) bool { return c == "rowid" })
	}
	return out, nil
}

// SchemaDrift compares the checkout's schema (from the host's handshake)
// with the port's.
func SchemaDrift(checkout, port map[string][]string) Drift {
	var d Drift
	for _, name := range slices.Sorted(maps.Keys(port)) {
		cols, ok := checkout[name]
		if !ok {
			d.MissingTables = append(d.MissingTables, name)
			continue
		}
		for _, c := range port[name] {
			if !slices.Contains(cols, c) {
				d.MissingColumns = append(d.MissingColumns, name+"."+c)
			}
		}
		for _, c := range cols {
			if !slices.Contains(port[name], c) {
				d.ExtraColumns = append(d.ExtraColumns, name+"."+c)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(checkout)) {
		if _, ok := port[name]; !ok {
			d.ExtraTables = append(d.ExtraTables, name)
		}
	}
	return d
}
