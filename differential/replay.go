package differential

import (
	"fmt"

	"github.com/townsim/townsim/model/reconciler"
)

// Replayed is one saved state replayed through both reconciles.
type Replayed struct {
	// State is the saved state's SQLite file.
	State string
	// Comparison is the verdict, attributed to rules when it differs.
	*Comparison
}

// Replay runs every saved state in dir through the port and the original
// (townsim diff) and returns the counts and the differing states.
func Replay(h *Host, dir string) (Stats, []Replayed, error) {
	states, err := ListStates(dir)
	if err != nil {
		return Stats{}, nil, err
	}
	var stats Stats
	var diffs []Replayed
	for _, s := range states {
		if s.Kind != "" {
			continue // an event or action difference: ReplaySteps
		}
		c, err := replayOne(h, s)
		if err != nil {
			return stats, diffs, fmt.Errorf("%s: %w", s.DB, err)
		}
		stats.add(c)
		if !c.Same {
			diffs = append(diffs, Replayed{State: s.DB, Comparison: c})
		}
	}
	return stats, diffs, nil
}

func replayOne(h *Host, s SavedState) (*Comparison, error) {
	town, cleanup, err := openCopy(s.DB)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	now := s.Meta.Time()
	o := reconciler.Options{Draining: s.Meta.Draining, Config: s.Meta.TownConfig}
	port, portErr := reconciler.Reconcile(town, now, o)
	tables, err := town.DB().Snapshot()
	if err != nil {
		return nil, err
	}
	st := State{Now: now, Draining: o.Draining, Config: o.Config, Tables: tables}
	orig, err := h.Reconcile(st)
	if err != nil {
		return nil, err
	}
	c := Compare(port, portErr, orig)
	if !c.Same {
		portByRule, _ := reconciler.ReconcileByRule(town, now, o)
		origByRule, err := h.ReconcileByRule(st, reconciler.Rules)
		if err != nil {
			return nil, err
		}
		c.Attribute(portByRule, origByRule)
	}
	return c, nil
}
