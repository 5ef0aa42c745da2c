package model

import (
	"bytes"
	"maps"
	"slices"
	"sync"
)

// Parsed configs are kept per stored text. The town config is parsed on
// every read (production runs its schema on every read, and the reconciler
// reads it once per PR it polls and per agent it dispatches), but it
// changes rarely: the memo keeps the last stored text with its parse and
// answers a read whose stored text is byte-for-byte the same, without
// parsing it. Keying by the text, not by a version counter, means no
// writer (UpdateTownConfig, PutTownConfig, a test writing KV.ConfigJSON
// directly, a restored KV) can leave it stale. Callers get a deep copy:
// they edit what they read (EditTownConfig, UpdateTownConfig), and the
// memo must not see it.

// townConfigMemo is the last parsed town config: a private copy of the
// stored text, and the parse's result or error.
type townConfigMemo struct {
	raw []byte
	cfg TownConfig
	err error
}

// parseTownConfigMemo is ParseTownConfig through m.
func (m *townConfigMemo) parse(raw []byte) (TownConfig, error) {
	if m.raw == nil || !bytes.Equal(m.raw, raw) {
		cfg, err := ParseTownConfig(raw)
		m.raw, m.cfg, m.err = bytes.Clone(raw), cfg, err
	}
	if m.err != nil {
		return TownConfig{}, m.err
	}
	return m.cfg.Clone(), nil
}

// Clone returns a deep copy of c: no map, slice or pointer is shared.
func (c TownConfig) Clone() TownConfig {
	out := c
	if c.EnvVars != nil {
		out.EnvVars = maps.Clone(c.EnvVars)
	}
	out.RoleModels = clonePtr(c.RoleModels)
	out.MaxPolecatsPerRig = clonePtr(c.MaxPolecatsPerRig)
	if c.Refinery != nil {
		r := c.Refinery.Clone()
		out.Refinery = &r
	}
	out.AlarmIntervalActive = clonePtr(c.AlarmIntervalActive)
	out.AlarmIntervalIdle = clonePtr(c.AlarmIntervalIdle)
	if c.Container != nil {
		cs := ContainerSettings{SleepAfterMinutes: clonePtr(c.Container.SleepAfterMinutes)}
		out.Container = &cs
	}
	if c.CustomInstructions != nil {
		ci := CustomInstructions{
			Polecat:  clonePtr(c.CustomInstructions.Polecat),
			Refinery: clonePtr(c.CustomInstructions.Refinery),
			Mayor:    clonePtr(c.CustomInstructions.Mayor),
		}
		out.CustomInstructions = &ci
	}
	return out
}

// Clone returns a deep copy of r.
func (r RefineryConfig) Clone() RefineryConfig {
	out := r
	if r.Gates != nil {
		out.Gates = slices.Clone(r.Gates)
	}
	out.AutoResolveMergeConflicts = clonePtr(r.AutoResolveMergeConflicts)
	out.AutoMergeDelayMinutes = clonePtr(r.AutoMergeDelayMinutes)
	return out
}

// Clone returns a deep copy of c.
func (c RigConfig) Clone() RigConfig {
	out := c
	out.CodeReview = clonePtr(c.CodeReview)
	out.AutoResolvePRFeedback = clonePtr(c.AutoResolvePRFeedback)
	out.AutoResolveMergeConflicts = clonePtr(c.AutoResolveMergeConflicts)
	out.AutoMergeDelayMinutes = clonePtr(c.AutoMergeDelayMinutes)
	out.MaxConcurrentPolecats = clonePtr(c.MaxConcurrentPolecats)
	out.MaxDispatchAttempts = clonePtr(c.MaxDispatchAttempts)
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// rigConfigMemoLimit bounds the rig-config memo; when full it starts over.
const rigConfigMemoLimit = 1024

// rigConfigMemo maps a rigs.config text to its parse. It is shared by
// every town of the process (simulations run side by side in sweeps and
// tests), so it is locked; a text parses the same in every town.
var rigConfigMemo = struct {
	sync.Mutex
	byText map[string]RigConfig
}{byText: map[string]RigConfig{}}

// parseRigConfigMemo is parseRigConfig through the memo; it returns a
// deep copy.
func parseRigConfigMemo(raw string) RigConfig {
	if raw == "" {
		return RigConfig{}
	}
	rigConfigMemo.Lock()
	defer rigConfigMemo.Unlock()
	c, ok := rigConfigMemo.byText[raw]
	if !ok {
		c = parseRigConfigText(raw)
		if len(rigConfigMemo.byText) >= rigConfigMemoLimit {
			clear(rigConfigMemo.byText)
		}
		rigConfigMemo.byText[raw] = c
	}
	return c.Clone()
}
