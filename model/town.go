// Package model is the gastown Town as production runs it: its state on
// SQLite, its RPC surface, the town_events queue and the alarm tick with
// the reconciler. Time is always a parameter; external calls go through Env.
package model

import (
	"database/sql"
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
	// Config, when set, is stored whole as the town config; nil leaves the
	// town without one, so that its first read seeds NewTownConfig (a
	// brand-new town). Scenarios change config with UpdateTownConfig.
	Config *TownConfig
	// Analytics receives every analytics data point; nil drops them.
	Analytics func(AnalyticsEvent)
	// Errors receives every Sentry-style report; nil drops them.
	Errors func(ErrorReport)
	// Faults are the Town's failpoints (NewFaults); nil = none ever fires.
	Faults *Faults
	// Mutant is a deliberate bug for testing the property checker
	// (MutantNames); "" in every real run.
	Mutant string
	// Knobs are the capacity constants; the zero value is production.
	Knobs Knobs
	// TokenService mints GitHub tokens for platform integrations; nil
	// stands for production's GIT_TOKEN_SERVICE binding being absent.
	TokenService TokenService
	// Start is the creation time: start-up (initializeDatabase) arms the
	// alarm at Start+5 s when TownID is set. Zero leaves the alarm unset.
	Start time.Time
}

// KV is the Town's state outside SQLite: production keeps it in the
// Durable Object's key-value storage and in memory (model.md §2.11).
type KV struct {
	// TownID is `town:id`; "" means absent.
	TownID string
	// ConfigJSON is `town:config` as stored (JSON); nil means absent.
	// Read it through the Town (ReadTownConfig), which applies the schema.
	ConfigJSON []byte
	// NewDefaultsSeeded is `town:config:newDefaultsSeeded`.
	NewDefaultsSeeded bool
	// ConfigErr, when set, makes reading the town config throw as a stored
	// config that fails the schema does (reconciler.md §8.16); tests set it.
	ConfigErr error
	// RigConfigs holds `rig:<rigId>:config`, by rig id.
	RigConfigs map[string]RigRuntimeConfig
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
	// LastKiloTokenCheck is the in-memory 24 h throttle of T3c (lost
	// when the Town restarts).
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
	// ownerUserID is the in-memory copy of the config's owner_user_id that
	// analytics events carry: loaded at start-up, set by UpdateTownConfig.
	ownerUserID string
	// destroyed is set by Destroy: the storage is wiped and every later
	// call fails until Restart re-creates an empty Town.
	destroyed bool
	// eventObserver watches the drain (SetEventObserver; nil = none).
	eventObserver EventObserver
}

// Open creates a Town: its database, the config of opts.Config if any,
// and start-up (initializeDatabase) at opts.Start: the schema, the config
// read that seeds a brand-new town's, and the alarm armed when the town
// has an id.
func Open(opts Options) (*Town, error) {
	db, err := OpenDB(opts.Path)
	if err != nil {
		return nil, err
	}
	ids := opts.IDs
	if ids == nil {
		ids = NewSeededIDs(1)
	}
	t := &Town{db: db, ids: ids, opts: opts, knobs: opts.Knobs.Resolved()}
	t.kv = KV{TownID: opts.TownID, RigConfigs: map[string]RigRuntimeConfig{}}
	if opts.Config != nil {
		if err := t.PutTownConfig(*opts.Config); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := t.initialize(opts.Start); err != nil {
		db.Close()
		return nil, err
	}
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

// RigRuntimeConfig is a rig's runtime config (KV `rig:<rigId>:config`),
// which dispatch reads to build a start payload.
type RigRuntimeConfig struct {
	TownID        string `json:"townId"`
	RigID         string `json:"rigId"`
	GitURL        string `json:"gitUrl"`
	DefaultBranch string `json:"defaultBranch"`
	UserID        string `json:"userId"`
	// KilocodeToken, when set, is propagated to the town config.
	KilocodeToken string `json:"kilocodeToken,omitempty"`
	// PlatformIntegrationID is the rig's GitHub App installation (the
	// last link of the GitHub token chain).
	PlatformIntegrationID string `json:"platformIntegrationId,omitempty"`
	// MergeStrategy is a per-rig override ("" = inherit).
	MergeStrategy string `json:"merge_strategy,omitempty"`
}

// ConfigureRig is the configureRig RPC: it stores the rig's runtime
// config, copies a kilocode token that differs from the town's into the
// town config (through UpdateTownConfig) and arms the alarm. Production
// also pushes the token to the container and pings its health; those
// calls change no Town state and are not modelled here.
func (t *Town) ConfigureRig(now time.Time, c RigRuntimeConfig) error {
	t.kv.RigConfigs[c.RigID] = c
	if c.KilocodeToken != "" {
		cfg, err := t.townConfig()
		if err != nil {
			return err
		}
		if cfg.KilocodeToken != c.KilocodeToken {
			tok := c.KilocodeToken
			if _, err := t.UpdateTownConfig(TownConfigUpdate{KilocodeToken: &tok}); err != nil {
				return err
			}
		}
	}
	t.armAlarmIfNeeded(now)
	return nil
}

// RigRuntimeConfig returns the stored runtime config of a rig
// (getRigConfig) and whether there is one.
func (t *Town) RigRuntimeConfig(rigID string) (RigRuntimeConfig, bool) {
	c, ok := t.kv.RigConfigs[rigID]
	return c, ok
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
