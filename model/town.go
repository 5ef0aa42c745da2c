// Package model is the gastown Town as production runs it: its state on
// SQLite, its RPC surface, the town_events queue and the alarm tick with
// the reconciler. Time is always a parameter; external calls go through Env.
package model

import (
	"database/sql"
	"fmt"
	"time"
)

// Options configure a Town.
type Options struct {
	// Path is the database file; "" or ":memory:" for an in-memory database.
	Path string
	// TownID is the KV `town:id`; "" makes the alarm delete itself (T1).
	TownID string
	// IDs makes new row ids; nil uses NewSeededIDs(1).
	IDs IDSource
	// Config is the town config; nil seeds NewTownConfig (a brand-new town).
	Config *TownConfig
	// Analytics receives every analytics data point; nil drops them.
	Analytics func(AnalyticsEvent)
	// Errors receives every Sentry-style report; nil drops them.
	Errors func(ErrorReport)
	// Faults are the Town's failpoints (NewFaults); nil = none ever fires.
	Faults *Faults
	// Knobs are the capacity constants; the zero value is production.
	Knobs Knobs
}

// KV is the Town's state outside SQLite: production keeps it in the
// Durable Object's key-value storage and in memory (model.md §2.11).
type KV struct {
	// TownID is `town:id`; "" means absent.
	TownID string
	// Config is `town:config`.
	Config TownConfig
	// ConfigErr, when set, makes reading the town config throw (a stored
	// config that fails schema validation; reconciler.md §8.16).
	ConfigErr error
	// RigConfigs holds `rig:<rigId>:config` presence, by rig id.
	RigConfigs map[string]bool
	// Draining, DrainNonce and DrainStartedAt are the eviction drain flag.
	Draining       bool
	DrainNonce     string
	DrainStartedAt time.Time
	// ContainerInstanceID is `town:containerInstanceId`.
	ContainerInstanceID string
	// LastTokenRefreshAt is `container:lastTokenRefreshAt`.
	LastTokenRefreshAt time.Time
	// LastIdleStopAt is `container:lastIdleStopAt`.
	LastIdleStopAt time.Time
	// MayorReadyReportedFor is `mayor:ready_reported_for`.
	MayorReadyReportedFor string
	// LastKiloTokenCheck is the in-memory 24 h throttle of T3c.
	LastKiloTokenCheck time.Time
}

// Town is one gastown Town: a database, its KV state and its alarm.
type Town struct {
	db    *DB
	ids   IDSource
	opts  Options
	kv    KV
	alarm time.Time // zero: no alarm set
	knobs Knobs     // resolved: every field set
	// lastAnalyze is when ANALYZE last ran (Knobs.Analyze).
	lastAnalyze time.Time

	// lastStartError is production's module-level "last start error"
	// (reconciler.md §3.9, hazard 21).
	lastStartError string
}

// Open creates a Town with its schema. now is the creation time.
func Open(opts Options) (*Town, error) {
	db, err := OpenDB(opts.Path)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	ids := opts.IDs
	if ids == nil {
		ids = NewSeededIDs(1)
	}
	cfg := NewTownConfig()
	if opts.Config != nil {
		cfg = *opts.Config
	}
	t := &Town{db: db, ids: ids, opts: opts, knobs: opts.Knobs.Resolved()}
	t.kv = KV{TownID: opts.TownID, Config: cfg, RigConfigs: map[string]bool{}}
	return t, nil
}

// Close closes the database.
func (t *Town) Close() error { return t.db.Close() }

// DB returns the Town's database (for tests, dumps and reports).
func (t *Town) DB() *DB { return t.db }

// Knobs returns the Town's capacity constants, every field resolved.
func (t *Town) Knobs() Knobs { return t.knobs }

// KV returns the Town's key-value state for reading and for tests to set.
func (t *Town) KV() *KV { return &t.kv }

// ID returns the town id.
func (t *Town) ID() string { return t.kv.TownID }

// newID returns a fresh row id.
func (t *Town) newID() string { return t.ids.NewID() }

// townConfig is getTownConfig: it fails when the stored config does.
func (t *Town) townConfig() (*TownConfig, error) {
	if err := t.Fault(FPConfigRead, ""); err != nil {
		return nil, err
	}
	if t.kv.ConfigErr != nil {
		return nil, t.kv.ConfigErr
	}
	c := t.kv.Config
	return &c, nil
}

// ---- alarm ----

// ActiveInterval and IdleInterval are the alarm cadences (reconciler.md §7.1).
const (
	ActiveInterval = 5 * time.Second
	IdleInterval   = 5 * time.Minute
)

// AlarmAt returns the stored alarm time and whether one is set.
func (t *Town) AlarmAt() (time.Time, bool) { return t.alarm, !t.alarm.IsZero() }

// SetAlarm stores the alarm time (the platform's setAlarm).
func (t *Town) SetAlarm(at time.Time) { t.alarm = at }

// DeleteAlarm removes the alarm.
func (t *Town) DeleteAlarm() { t.alarm = time.Time{} }

// armAlarmIfNeeded sets now+5 s when town:id exists and no alarm is set or
// the alarm is in the past; it never moves a future alarm.
func (t *Town) armAlarmIfNeeded(now time.Time) {
	if t.kv.TownID == "" {
		return
	}
	if t.alarm.IsZero() || t.alarm.Before(now) {
		t.alarm = now.Add(t.knobs.ActiveInterval)
	}
}

// escalateToActiveCadence pulls the alarm to now+5 s when it is unset or later.
func (t *Town) escalateToActiveCadence(now time.Time) {
	if t.kv.TownID == "" {
		return
	}
	at := now.Add(t.knobs.ActiveInterval)
	if t.alarm.IsZero() || t.alarm.After(at) {
		t.alarm = at
	}
}

// HealthCheck is the per-user watchdog (every 5 min): it re-arms a missing
// or past alarm at the cadence hasActiveWork chooses.
func (t *Town) HealthCheck(now time.Time) error {
	if !t.alarm.IsZero() && !t.alarm.Before(now) {
		return nil
	}
	active, err := t.HasActiveWork(now)
	if err != nil {
		return err
	}
	if active {
		t.alarm = now.Add(t.knobs.ActiveInterval)
	} else {
		t.alarm = now.Add(t.knobs.IdleInterval)
	}
	return nil
}

// ---- rigs ----

// Rig is a row of the rigs table.
type Rig struct {
	ID            string
	Name          string
	GitURL        string
	DefaultBranch string
	Config        RigConfig
	CreatedAt     string
}

// AddRig inserts (or renames) a rig as production's addRig does.
func (t *Town) AddRig(now time.Time, id, name, gitURL, defaultBranch string) error {
	if defaultBranch == "" {
		defaultBranch = "main"
	}
	_, err := t.db.Exec(`INSERT INTO rigs (id, name, git_url, default_branch, config, created_at)
		VALUES (?, ?, ?, ?, '{}', ?)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name, git_url = excluded.git_url,
			default_branch = excluded.default_branch`,
		id, name, gitURL, defaultBranch, ISO(now))
	return err
}

// ConfigureRig stores the rig's runtime config (KV `rig:<id>:config`),
// which dispatch needs, and arms the alarm as production's configureRig does.
func (t *Town) ConfigureRig(now time.Time, rigID string) {
	t.kv.RigConfigs[rigID] = true
	t.armAlarmIfNeeded(now)
}

// SetRigOverrides writes a rig's override config (rigs.config).
func (t *Town) SetRigOverrides(rigID string, c RigConfig) error {
	_, err := t.db.Exec(`UPDATE rigs SET config = ? WHERE id = ?`, MustJSON(c), rigID)
	return err
}

// ListRigs returns every rig by created_at ascending.
func (t *Town) ListRigs() ([]*Rig, error) {
	rows, err := t.db.Query(`SELECT id, name, git_url, default_branch, config, created_at FROM rigs ORDER BY created_at ASC, rowid ASC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Rig
	for rows.Next() {
		var r Rig
		var cfg sql.NullString
		if err := rows.Scan(&r.ID, &r.Name, &r.GitURL, &r.DefaultBranch, &cfg, &r.CreatedAt); err != nil {
			return nil, err
		}
		r.Config = parseRigConfig(cfg.String)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// GetRig returns the rig or nil.
func (t *Town) GetRig(id string) (*Rig, error) {
	var r Rig
	var cfg sql.NullString
	err := t.db.QueryRow(`SELECT id, name, git_url, default_branch, config, created_at FROM rigs WHERE id = ?`,
		[]any{id}, &r.ID, &r.Name, &r.GitURL, &r.DefaultBranch, &cfg, &r.CreatedAt)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.Config = parseRigConfig(cfg.String)
	return &r, nil
}
