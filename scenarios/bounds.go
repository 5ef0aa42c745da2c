package scenarios

import "time"

// Bounds are the limits a run's properties are judged against. The zero
// value of a field takes its default (DefaultBounds); a scenario states
// the bounds that differ for it.
type Bounds struct {
	// Settle: an issue is terminal (or in an expected non-terminal status)
	// this long after it was created or after the heal time, whichever is
	// later. Only issues whose deadline falls inside the run are judged.
	Settle time.Duration `yaml:"settle"`
	// NonTerminal are the statuses an issue may still be in at its
	// deadline besides closed and failed (e.g. open, for held work).
	NonTerminal []string `yaml:"non_terminal"`
	// Starvation: a non-terminal bead whose row has not changed for this
	// long after the heal time is starving.
	Starvation time.Duration `yaml:"starvation"`
	// Grace is how long a harness invariant may be broken for one entity
	// before it counts (production repairs some states on the next tick).
	Grace time.Duration `yaml:"grace"`
	// PendingEvents is the most unprocessed town events a tick may leave
	// once the run has settled (the last Settle of the run after the heal).
	PendingEvents int `yaml:"pending_events"`
	// FlapWindow and FlapChanges: an entity that makes the same status
	// transition (an agent's status read with its hook) more than
	// FlapChanges times within FlapWindow is flapping.
	FlapWindow  time.Duration `yaml:"flap_window"`
	FlapChanges int           `yaml:"flap_changes"`
	// DispatchesPerBeadHour bounds dispatch_agent actions per bead per
	// simulated hour (a retry storm).
	DispatchesPerBeadHour int `yaml:"dispatches_per_bead_hour"`
	// EventsPerAgentHour bounds town events inserted per agent per hour.
	EventsPerAgentHour int `yaml:"events_per_agent_hour"`
	// PokesPerHour bounds the Town's container calls (status, start,
	// stop, message) per agent per hour.
	PokesPerAgentHour int `yaml:"pokes_per_agent_hour"`
	// MergesPerMRHour bounds merge calls per merge request per hour.
	MergesPerMRHour int `yaml:"merges_per_mr_hour"`
	// LandingMRsPerConvoy bounds the landing merge requests of one convoy.
	LandingMRsPerConvoy int `yaml:"landing_mrs_per_convoy"`
	// NudgesPerAgentHour bounds send_nudge actions per agent per hour.
	NudgesPerAgentHour int `yaml:"nudges_per_agent_hour"`
	// DispatchResume: after the heal time, with open work and no dispatch
	// since, a dispatch happens within this bound.
	DispatchResume time.Duration `yaml:"dispatch_resume"`
	// IdleTicksPerHour bounds the ticks per hour of a town that has had
	// no active work for a whole hour (the idle cadence is 5 min: 12).
	IdleTicksPerHour int `yaml:"idle_ticks_per_hour"`
	// HeartbeatFresh: a process whose heartbeat reached the Town this
	// recently is alive and reporting (no false death).
	HeartbeatFresh time.Duration `yaml:"heartbeat_fresh"`
	// EventAge: past the heal time and grace, no unprocessed town event
	// created after the heal is older than this.
	EventAge time.Duration `yaml:"event_age"`
	// DispatchesPerBead bounds dispatch_agent actions of one bead over the
	// whole run.
	DispatchesPerBead int `yaml:"dispatches_per_bead"`
	// TickLatency bounds the simulated duration of one tick: production's
	// calls with a timeout (health 5 s, status 10 s, start 60 s, token
	// 10 s) keep a tick well inside it.
	TickLatency time.Duration `yaml:"tick_latency"`
	// StatementsPerTick and StatementsPerUnit bound one tick's own SQL
	// statements: StatementsPerTick + StatementsPerUnit × (agents +
	// non-terminal beads).
	StatementsPerTick int `yaml:"statements_per_tick"`
	StatementsPerUnit int `yaml:"statements_per_unit"`
	// GitHubCallsPerPRHour bounds the GitHub status and feedback calls
	// for one PR per simulated hour (production polls every 60 s).
	GitHubCallsPerPRHour int `yaml:"github_calls_per_pr_hour"`
	// MRTerminal: once a PR is known merged or closed, its merge request
	// is closed or failed within this bound (excused while the polls of
	// its PR keep failing).
	MRTerminal time.Duration `yaml:"mr_terminal"`
	// ActiveGap: while a live process runs and heartbeats, the next tick
	// fires within this long of the last one's end (production: 5 s).
	ActiveGap time.Duration `yaml:"active_gap"`
}

// DefaultBounds are the bounds of a scenario that states none. They are
// loose enough for a healthy production town and its faults, tight enough
// to catch a runaway loop.
func DefaultBounds() Bounds {
	return Bounds{
		Settle:                3 * time.Hour,
		Starvation:            4 * time.Hour,
		Grace:                 2 * time.Minute,
		PendingEvents:         50,
		FlapWindow:            10 * time.Minute,
		FlapChanges:           5,
		DispatchesPerBeadHour: 20,
		EventsPerAgentHour:    600,
		PokesPerAgentHour:     1500,
		MergesPerMRHour:       30,
		LandingMRsPerConvoy:   5,
		NudgesPerAgentHour:    12,
		DispatchResume:        15 * time.Minute,
		IdleTicksPerHour:      20,
		HeartbeatFresh:        60 * time.Second,
		EventAge:              10 * time.Minute,
		DispatchesPerBead:     60,
		TickLatency:           2 * time.Minute,
		StatementsPerTick:     400,
		StatementsPerUnit:     25,
		GitHubCallsPerPRHour:  240,
		MRTerminal:            10 * time.Minute,
		ActiveGap:             time.Minute,
	}
}

// withDefaults fills b's zero fields from DefaultBounds.
func (b Bounds) withDefaults() Bounds {
	d := DefaultBounds()
	set := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	seti := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set(&b.Settle, d.Settle)
	set(&b.Starvation, d.Starvation)
	set(&b.Grace, d.Grace)
	set(&b.FlapWindow, d.FlapWindow)
	set(&b.DispatchResume, d.DispatchResume)
	set(&b.HeartbeatFresh, d.HeartbeatFresh)
	set(&b.EventAge, d.EventAge)
	set(&b.TickLatency, d.TickLatency)
	set(&b.MRTerminal, d.MRTerminal)
	set(&b.ActiveGap, d.ActiveGap)
	seti(&b.DispatchesPerBead, d.DispatchesPerBead)
	seti(&b.StatementsPerTick, d.StatementsPerTick)
	seti(&b.StatementsPerUnit, d.StatementsPerUnit)
	seti(&b.GitHubCallsPerPRHour, d.GitHubCallsPerPRHour)
	seti(&b.PendingEvents, d.PendingEvents)
	seti(&b.FlapChanges, d.FlapChanges)
	seti(&b.DispatchesPerBeadHour, d.DispatchesPerBeadHour)
	seti(&b.EventsPerAgentHour, d.EventsPerAgentHour)
	seti(&b.PokesPerAgentHour, d.PokesPerAgentHour)
	seti(&b.MergesPerMRHour, d.MergesPerMRHour)
	seti(&b.LandingMRsPerConvoy, d.LandingMRsPerConvoy)
	seti(&b.NudgesPerAgentHour, d.NudgesPerAgentHour)
	seti(&b.IdleTicksPerHour, d.IdleTicksPerHour)
	return b
}
