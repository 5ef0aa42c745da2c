package model

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Knobs are production's constants that bound a Town's capacity, made
// parameters for what-if runs: the dispatch circuit breaker, the alarm
// cadences, the dispatch cooldown ladder and attempt cap, the PR polling
// interval, the grace periods of the heartbeat and container-status rules,
// and whether SQLite has ANALYZE statistics to plan with.
//
// The zero value (and DefaultKnobs) is production: a zero field takes
// production's value, so a Town opened without knobs runs exactly as
// production does. A run with any knob off production is labelled so
// wherever it is reported (see OffProduction).
type Knobs struct {
	// BreakerThreshold opens the dispatch circuit breaker at this many beads
	// dispatched within BreakerWindow and not closed (production: 20).
	BreakerThreshold int `yaml:"breaker_threshold"`
	// BreakerWindow is the breaker's look-back window (production: 30 min).
	BreakerWindow time.Duration `yaml:"breaker_window"`
	// BreakerFailuresOnly makes the breaker count only the dispatches that
	// did not stick — beads dispatched in the window that are back to open
	// or failed — instead of every bead not closed, healthy work in
	// progress or in review included (production: false).
	BreakerFailuresOnly bool `yaml:"breaker_failures_only"`
	// ActiveInterval is the alarm cadence with active work (production: 5 s).
	ActiveInterval time.Duration `yaml:"active_interval"`
	// IdleInterval is the alarm cadence without active work (production: 5 min).
	IdleInterval time.Duration `yaml:"idle_interval"`
	// DispatchCooldown is the per-bead cooldown ladder by dispatch attempts:
	// entry i applies to attempts i+1 (the first to ≤ 1 attempt), the last
	// to every attempt after (production: 30 s, 60 s, 2 min, 5 min, 10 min).
	DispatchCooldown []time.Duration `yaml:"dispatch_cooldown"`
	// MaxDispatchAttempts is MAX_DISPATCH_ATTEMPTS, the cap of BD-1, BD-2,
	// BD-3, AG-3, RQ-6 and triage (production: 5). A rig's
	// max_dispatch_attempts setting still overrides it where production
	// reads that setting.
	MaxDispatchAttempts int `yaml:"max_dispatch_attempts"`
	// PRPollInterval is PR_POLL_INTERVAL_MS, RQ-1's polling interval
	// (production: 60 s).
	PRPollInterval time.Duration `yaml:"pr_poll_interval"`
	// HeartbeatStale is the grace after an agent's last activity before the
	// heartbeat rules (AG-1, AG-4) treat it as lost (production: 90 s).
	HeartbeatStale time.Duration `yaml:"heartbeat_stale"`
	// NotFoundGrace is how long after an agent's last activity a not_found
	// container status is ignored (production: 180 s).
	NotFoundGrace time.Duration `yaml:"not_found_grace"`
	// StaleInProgress is BD-3's grace before an in_progress issue without a
	// live agent is reset (production: 5 min).
	StaleInProgress time.Duration `yaml:"stale_in_progress"`
	// Analyze gives SQLite statistics: the Town runs ANALYZE at the first
	// tick and then every AnalyzeEvery of virtual time (production never
	// runs ANALYZE, so SQLite plans without statistics).
	Analyze bool `yaml:"analyze"`
}

// AnalyzeEvery is how often a Town with Knobs.Analyze refreshes its
// statistics, at the start of a tick.
const AnalyzeEvery = 10 * time.Minute

// defaultCooldown is production's dispatch cooldown ladder (reconciler.md §2.0).
var defaultCooldown = []time.Duration{30 * time.Second, 60 * time.Second, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute}

// DefaultKnobs returns production's values.
func DefaultKnobs() Knobs {
	return Knobs{
		BreakerThreshold:    20,
		BreakerWindow:       30 * time.Minute,
		ActiveInterval:      ActiveInterval,
		IdleInterval:        IdleInterval,
		DispatchCooldown:    slices.Clone(defaultCooldown),
		MaxDispatchAttempts: MaxDispatchAttempts,
		PRPollInterval:      60 * time.Second,
		HeartbeatStale:      90 * time.Second,
		NotFoundGrace:       NotFoundGrace,
		StaleInProgress:     5 * time.Minute,
	}
}

// Resolved returns k with every zero field replaced by production's value.
func (k Knobs) Resolved() Knobs {
	d := DefaultKnobs()
	pick := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	if k.BreakerThreshold == 0 {
		k.BreakerThreshold = d.BreakerThreshold
	}
	if k.MaxDispatchAttempts == 0 {
		k.MaxDispatchAttempts = d.MaxDispatchAttempts
	}
	if len(k.DispatchCooldown) == 0 {
		k.DispatchCooldown = d.DispatchCooldown
	}
	pick(&k.BreakerWindow, d.BreakerWindow)
	pick(&k.ActiveInterval, d.ActiveInterval)
	pick(&k.IdleInterval, d.IdleInterval)
	pick(&k.PRPollInterval, d.PRPollInterval)
	pick(&k.HeartbeatStale, d.HeartbeatStale)
	pick(&k.NotFoundGrace, d.NotFoundGrace)
	pick(&k.StaleInProgress, d.StaleInProgress)
	return k
}

// Cooldown is the dispatch cooldown after the given number of attempts.
func (k Knobs) Cooldown(attempts int) time.Duration {
	ladder := k.DispatchCooldown
	if len(ladder) == 0 {
		ladder = defaultCooldown
	}
	i := max(attempts, 1) - 1
	if i >= len(ladder) {
		i = len(ladder) - 1
	}
	return ladder[i]
}

// knobDef names one knob for the command line and reports.
type knobDef struct {
	name string
	help string
	get  func(k *Knobs) string
	set  func(k *Knobs, v string) error
}

func durationKnob(name, help string, f func(k *Knobs) *time.Duration) knobDef {
	return knobDef{name: name, help: help,
		get: func(k *Knobs) string { return f(k).String() },
		set: func(k *Knobs, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("want a positive duration such as 90s or 30m, got %q", v)
			}
			*f(k) = d
			return nil
		}}
}

func intKnob(name, help string, f func(k *Knobs) *int) knobDef {
	return knobDef{name: name, help: help,
		get: func(k *Knobs) string { return strconv.Itoa(*f(k)) },
		set: func(k *Knobs, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("want a whole number of at least 1, got %q", v)
			}
			*f(k) = n
			return nil
		}}
}

// knobDefs lists the knobs in the order they are reported.
var knobDefs = []knobDef{
	intKnob("breaker_threshold", "dispatch breaker opens at this many recent not-closed dispatches (20)",
		func(k *Knobs) *int { return &k.BreakerThreshold }),
	durationKnob("breaker_window", "dispatch breaker look-back window (30m)",
		func(k *Knobs) *time.Duration { return &k.BreakerWindow }),
	{name: "breaker_failures_only", help: "the breaker counts only dispatched beads back to open or failed (false)",
		get: func(k *Knobs) string { return strconv.FormatBool(k.BreakerFailuresOnly) },
		set: func(k *Knobs, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", v)
			}
			k.BreakerFailuresOnly = b
			return nil
		}},
	durationKnob("active_interval", "alarm cadence with active work (5s)",
		func(k *Knobs) *time.Duration { return &k.ActiveInterval }),
	durationKnob("idle_interval", "alarm cadence without active work (5m)",
		func(k *Knobs) *time.Duration { return &k.IdleInterval }),
	{name: "dispatch_cooldown", help: "dispatch cooldown ladder by attempts, '/'-separated (30s/1m0s/2m0s/5m0s/10m0s)",
		get: func(k *Knobs) string {
			parts := make([]string, len(k.DispatchCooldown))
			for i, d := range k.DispatchCooldown {
				parts[i] = d.String()
			}
			return strings.Join(parts, "/")
		},
		set: func(k *Knobs, v string) error {
			var ladder []time.Duration
			for _, p := range strings.Split(v, "/") {
				d, err := time.ParseDuration(strings.TrimSpace(p))
				if err != nil || d <= 0 {
					return fmt.Errorf("want positive durations separated by '/', such as 30s/1m/2m/5m/10m, got %q", v)
				}
				ladder = append(ladder, d)
			}
			k.DispatchCooldown = ladder
			return nil
		}},
	intKnob("max_dispatch_attempts", "MAX_DISPATCH_ATTEMPTS (5)",
		func(k *Knobs) *int { return &k.MaxDispatchAttempts }),
	durationKnob("pr_poll_interval", "RQ-1 PR polling interval (1m0s)",
		func(k *Knobs) *time.Duration { return &k.PRPollInterval }),
	durationKnob("heartbeat_stale", "heartbeat grace of AG-1/AG-4 (1m30s)",
		func(k *Knobs) *time.Duration { return &k.HeartbeatStale }),
	durationKnob("not_found_grace", "grace before a not_found container status counts (3m0s)",
		func(k *Knobs) *time.Duration { return &k.NotFoundGrace }),
	durationKnob("stale_in_progress", "BD-3 grace for an in_progress issue without a live agent (5m0s)",
		func(k *Knobs) *time.Duration { return &k.StaleInProgress }),
	{name: "analyze", help: "run ANALYZE so SQLite plans with statistics (false)",
		get: func(k *Knobs) string { return strconv.FormatBool(k.Analyze) },
		set: func(k *Knobs, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", v)
			}
			k.Analyze = b
			return nil
		}},
}

// KnobNames lists every knob name with its help text, in report order.
func KnobNames() [][2]string {
	out := make([][2]string, len(knobDefs))
	for i, d := range knobDefs {
		out[i] = [2]string{d.name, d.help}
	}
	return out
}

// Set sets the knob called name from its text form (durations as Go
// durations, the cooldown ladder as durations separated by '/').
func (k *Knobs) Set(name, value string) error {
	for _, d := range knobDefs {
		if d.name == name {
			if err := d.set(k, value); err != nil {
				return fmt.Errorf("knob %s: %w", name, err)
			}
			return nil
		}
	}
	names := make([]string, len(knobDefs))
	for i, d := range knobDefs {
		names[i] = d.name
	}
	return fmt.Errorf("unknown knob %q (knobs: %s)", name, strings.Join(names, ", "))
}

// Parse applies a comma-separated list of name=value settings to k.
func (k *Knobs) Parse(list string) error {
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		if !ok {
			return fmt.Errorf("knob setting %q: want name=value", item)
		}
		if err := k.Set(strings.TrimSpace(name), strings.TrimSpace(value)); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the text form of the knob called name (resolved), and
// whether the name exists.
func (k Knobs) Get(name string) (string, bool) {
	r := k.Resolved()
	for _, d := range knobDefs {
		if d.name == name {
			return d.get(&r), true
		}
	}
	return "", false
}

// OffProduction lists the knobs whose value differs from production's as
// "name=value", in report order; empty for a production run.
func (k Knobs) OffProduction() []string {
	r, d := k.Resolved(), DefaultKnobs()
	var out []string
	for _, def := range knobDefs {
		if v := def.get(&r); v != def.get(&d) {
			out = append(out, def.name+"="+v)
		}
	}
	return out
}

// Label is "production" for production's values, else the knobs off
// production joined by commas.
func (k Knobs) Label() string {
	off := k.OffProduction()
	if len(off) == 0 {
		return "production"
	}
	return strings.Join(off, ",")
}

// MaybeAnalyze runs ANALYZE when Knobs.Analyze is on and AnalyzeEvery has
// passed since the last run (or it never ran), and reports whether it ran.
// Production never runs it; the alarm tick calls this first, so a what-if
// run pays for its statistics inside its ticks.
func (t *Town) MaybeAnalyze(now time.Time) (bool, error) {
	if !t.knobs.Analyze {
		return false, nil
	}
	if !t.lastAnalyze.IsZero() && now.Sub(t.lastAnalyze) < AnalyzeEvery {
		return false, nil
	}
	t.lastAnalyze = now
	if err := t.db.ExecRaw(`ANALYZE`); err != nil {
		return true, fmt.Errorf("ANALYZE: %w", err)
	}
	return true, nil
}
