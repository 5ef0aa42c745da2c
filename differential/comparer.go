package differential

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
)

// Mode says whose actions drive a run in differential mode.
type Mode string

const (
	// ModeCompare: the port's actions drive the run; the original's are
	// computed on the same state and compared.
	ModeCompare Mode = "compare"
	// ModeDrive: the original's actions drive the run; the port's are
	// computed and compared.
	ModeDrive Mode = "drive"
)

// ParseMode reads a --gastown-mode value.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case ModeCompare, ModeDrive:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown mode %q (compare or drive)", s)
}

// Stats count what a Comparer or a replay compared.
type Stats struct {
	// Compared is the number of states both sides reconciled.
	Compared int `json:"compared"`
	// Agreed emitted the same actions in the same order; BothThrew threw
	// on both sides (agreement too); Differed is the rest.
	Agreed    int `json:"agreed"`
	BothThrew int `json:"both_threw"`
	Differed  int `json:"differed"`
	// Table counts the differing actions by rule and action type.
	Table *Table `json:"table"`
}

func (s *Stats) add(c *Comparison) {
	s.Compared++
	switch {
	case c.Same && c.PortError != "":
		s.BothThrew++
	case c.Same:
		s.Agreed++
	default:
		s.Differed++
		if s.Table == nil {
			s.Table = &Table{}
		}
		s.Table.Add(c)
	}
}

// Comparer runs the original's reconcile beside the port's on every
// reconcile pass of a run. Its Reconcile is an alarm.ReconcileFunc.
type Comparer struct {
	// Host runs the original.
	Host *Host
	// Mode says whose actions the pass returns.
	Mode Mode
	// DiffDir receives every difference (diff-NNNNNN.sqlite and .json);
	// it is created at the first one.
	DiffDir string
	// SaveLimit, when positive, saves only the first SaveLimit
	// differences; the rest are attributed to rules and counted all the
	// same (through a temporary copy, deleted at once).
	SaveLimit int
	// WallClock, when set, measures the time spent in the host (reported
	// only, never fed back).
	WallClock func() time.Time

	// Stats count the passes compared.
	Stats Stats
	// Differences are the saved differences' JSON files, in order.
	Differences []string
	// HostTime is the real time spent waiting for the host.
	HostTime time.Duration

	passes int
	err    error
}

var _ alarm.ReconcileFunc = (*Comparer)(nil).Reconcile

// Err is the first failure that stopped the comparing (the host died, a
// difference could not be saved, in drive mode an action the port cannot
// read). A run with an Err is not a valid comparison.
func (c *Comparer) Err() error { return c.err }

// Reconcile runs both reconciles on the Town's current state (the pass
// only reads it), compares them, saves a difference, and returns the
// actions of the side that drives.
func (c *Comparer) Reconcile(t *model.Town, now time.Time, o reconciler.Options) ([]reconciler.Action, error) {
	c.passes++
	port, portErr := reconciler.Reconcile(t, now, o)
	if c.err != nil {
		if c.Mode == ModeDrive {
			return nil, c.err
		}
		return port, portErr
	}
	orig, cmp, err := c.compare(t, now, o, port, portErr)
	if err != nil {
		c.err = err
		if c.Mode == ModeDrive {
			return nil, err
		}
		return port, portErr
	}
	if c.Mode == ModeCompare {
		return port, portErr
	}
	if orig.Threw {
		return nil, errors.New(orig.Error)
	}
	if len(cmp.Unparsed) > 0 {
		c.err = fmt.Errorf("drive mode: the original emitted an action the port cannot apply: %s", cmp.Unparsed[0])
		return nil, c.err
	}
	actions := make([]reconciler.Action, len(orig.Actions))
	for i, raw := range orig.Actions {
		actions[i], _ = ParseAction(raw) // parsed once already in Compare
	}
	return actions, nil
}

func (c *Comparer) compare(t *model.Town, now time.Time, o reconciler.Options, port []reconciler.Action, portErr error) (Outcome, *Comparison, error) {
	tables, err := t.DB().Snapshot()
	if err != nil {
		return Outcome{}, nil, err
	}
	st := State{Now: now.Truncate(time.Millisecond), Draining: o.Draining, Config: o.Config, Tables: tables}
	var start time.Time
	if c.WallClock != nil {
		start = c.WallClock()
	}
	orig, err := c.Host.Reconcile(st)
	if c.WallClock != nil {
		c.HostTime += c.WallClock().Sub(start)
	}
	if err != nil {
		return Outcome{}, nil, err
	}
	cmp := Compare(port, portErr, orig)
	if !cmp.Same {
		if err := c.record(t, st, cmp); err != nil {
			return Outcome{}, nil, fmt.Errorf("saving a difference: %w", err)
		}
	}
	c.Stats.add(cmp)
	return orig, cmp, nil
}

// record attributes a difference to rules and saves it with its state.
// The port's per-rule run is done on the saved copy, so the run's own
// database counts no extra work.
func (c *Comparer) record(t *model.Town, st State, cmp *Comparison) error {
	if c.DiffDir == "" {
		return errors.New("no folder for differences")
	}
	rec := Record{StateMeta: newMeta(c.passes, st.Now, st.Draining, st.Config), Mode: string(c.Mode), Comparison: *cmp}
	dir := c.DiffDir
	keep := c.SaveLimit <= 0 || len(c.Differences) < c.SaveLimit
	if !keep {
		tmp, err := os.MkdirTemp("", "townsim-diff-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(dir, fmt.Sprintf("diff-%06d", c.passes))
	if err := t.DB().SaveCopy(base + ".sqlite"); err != nil {
		return err
	}
	if err := attribute(c.Host, base+".sqlite", st, cmp); err != nil {
		return err
	}
	if !keep {
		return nil
	}
	rec.Comparison = *cmp
	if err := writeNewJSON(base+".json", rec); err != nil {
		return err
	}
	c.Differences = append(c.Differences, base+".json")
	return nil
}

// attribute runs both sides rule by rule on the state (the port on a
// private copy of dbFile) and names the rule of each differing action.
func attribute(h *Host, dbFile string, st State, cmp *Comparison) error {
	town, cleanup, err := openCopy(dbFile)
	if err != nil {
		return err
	}
	defer cleanup()
	portByRule, _ := reconciler.ReconcileByRule(town, st.Now, reconciler.Options{Draining: st.Draining, Config: st.Config})
	origByRule, err := h.ReconcileByRule(st, reconciler.Rules)
	if err != nil {
		return err
	}
	cmp.Attribute(portByRule, origByRule)
	return nil
}

// openCopy opens a private copy of a saved state's database as a Town (the
// saved file itself is left untouched).
func openCopy(dbFile string) (*model.Town, func(), error) {
	dir, err := os.MkdirTemp("", "townsim-state-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	data, err := os.ReadFile(dbFile)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	copyPath := filepath.Join(dir, "state.sqlite")
	if err := os.WriteFile(copyPath, data, 0o600); err != nil {
		cleanup()
		return nil, nil, err
	}
	town, err := model.Open(model.Options{Path: copyPath, TownID: "replay"})
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("open %s: %w", dbFile, err)
	}
	return town, func() { town.Close(); cleanup() }, nil
}

// StateSaver saves the state every reconcile pass reads (townsim run
// --save-states), then runs Next. Its Reconcile is an alarm.ReconcileFunc.
type StateSaver struct {
	// Dir receives state-NNNNNN.sqlite and state-NNNNNN.json.
	Dir string
	// Next is the reconcile pass to run (nil = reconciler.Reconcile).
	Next alarm.ReconcileFunc
	// Saved counts the states saved.
	Saved  int
	passes int
	err    error
}

// Err is the first save that failed; saving stops there.
func (s *StateSaver) Err() error { return s.err }

// Reconcile saves the state, then runs Next on it.
func (s *StateSaver) Reconcile(t *model.Town, now time.Time, o reconciler.Options) ([]reconciler.Action, error) {
	s.passes++
	if s.err == nil {
		meta := newMeta(s.passes, now.Truncate(time.Millisecond), o.Draining, o.Config)
		if _, err := saveState(s.Dir, "state", s.passes, t.DB(), meta); err != nil {
			s.err = fmt.Errorf("--save-states: %w", err)
		} else {
			s.Saved++
		}
	}
	if s.Next == nil {
		return reconciler.Reconcile(t, now, o)
	}
	return s.Next(t, now, o)
}
