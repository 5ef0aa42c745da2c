package model

import "time"

// EventObserver watches the drain apply each event (differential mode
// compares every application with the original's). It must only read the
// Town: a run with an observer is the run without one.
type EventObserver interface {
	// BeforeEvent is called before ev is applied, on the state it applies to.
	BeforeEvent(t *Town, now time.Time, ev TownEvent, cfg *TownConfig)
	// AfterEvent is called once ev's application returned err (nil = it
	// applied), before the event is marked processed.
	AfterEvent(t *Town, now time.Time, ev TownEvent, err error)
}

// SetEventObserver sets the drain's observer (nil = none).
func (t *Town) SetEventObserver(o EventObserver) { t.eventObserver = o }

// OpenObserverCopy opens the SQLite file at path (a SaveCopy of t's
// database) as a Town with t's id, knobs, token service and KV state (the
// town config, rig configs, drain flag), and none of its failpoints,
// mutant or report sinks: an observer runs the port on it, apart from the
// run (differential mode replays a side effect there).
func (t *Town) OpenObserverCopy(path string) (*Town, error) {
	c, err := Open(Options{Path: path, TownID: t.kv.TownID, IDs: NewSeededIDs(observerIDSeed),
		Knobs: t.opts.Knobs, TokenService: t.opts.TokenService})
	if err != nil {
		return nil, err
	}
	kv := t.kv
	kv.ConfigJSON = append([]byte(nil), t.kv.ConfigJSON...)
	if t.kv.ConfigJSON == nil {
		kv.ConfigJSON = nil
	}
	kv.RigConfigs = make(map[string]RigRuntimeConfig, len(t.kv.RigConfigs))
	for k, v := range t.kv.RigConfigs {
		kv.RigConfigs[k] = v
	}
	c.kv = kv
	c.ownerUserID = t.ownerUserID
	return c, nil
}

// observerIDSeed seeds the ids an observer copy creates: not 1, the seed
// of a Town opened without an IDSource, whose rows such a copy holds (its
// first new row would take the id of the Town's first).
const observerIDSeed = 0x6f62736572766572
