package model

import (
	"fmt"
	"time"
)

// The Town's life as a Durable Object: created on its first request
// (start-up: initializeDatabase), evicted from memory and re-created on a
// later request (Restart: in-memory state lost, SQLite and KV kept), and
// deleted (Destroy: alarm deleted, storage wiped).

// initialize is initializeDatabase: load the town id and the owner id
// (reading the config seeds the new-town defaults in a town without one),
// create the tables and re-arm the alarm when the town has an id and no
// pending alarm. A zero now leaves the alarm alone (tools that open a
// Town to read it).
func (t *Town) initialize(now time.Time) error {
	if err := t.db.migrate(); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if c, err := t.townConfig(); err == nil {
		t.ownerUserID = c.OwnerUserID
	} else {
		return err
	}
	if !now.IsZero() {
		t.armAlarmIfNeeded(now)
	}
	return nil
}

// Restart models the Durable Object evicted from memory and re-created by
// the next request at now: what production keeps only in memory is lost
// (the owner id cache, the 24 h kilo-token check throttle, the module's
// last start error) and start-up runs again (initialize), which re-arms
// the alarm when the town has an id. SQLite, the KV state and a pending
// alarm are kept. After Destroy, Restart gives the empty Town a re-created
// Durable Object would see: empty tables, no town id, no alarm.
func (t *Town) Restart(now time.Time) error {
	t.ownerUserID = ""
	t.kv.LastKiloTokenCheck = time.Time{}
	t.lastStartError = ""
	t.destroyed = false
	return t.initialize(now)
}

// Destroyed reports whether Destroy wiped the Town and no Restart has
// re-created it since.
func (t *Town) Destroyed() bool { return t.destroyed }

// Destroy is the Town's destroy RPC: it asks the container to destroy
// itself (its failure ignored, as production's try/catch does), deletes
// the alarm and wipes the storage: every table and every KV key. Later
// RPCs that touch the database fail ("no such table"), and nothing re-arms
// the alarm: the town id is gone, so armAlarmIfNeeded does nothing, and a
// tick finding no id deletes its own alarm (T1). Reading the config again
// seeds the new-town defaults, as production's getTownConfig does.
func (t *Town) Destroy(env Env) error {
	env.Call(Call{Kind: CallContainerDestroy})
	t.alarm = time.Time{}
	if err := t.db.dropAll(); err != nil {
		return err
	}
	t.kv = KV{RigConfigs: map[string]RigRuntimeConfig{}}
	t.destroyed = true
	return nil
}

// dropAll drops every table and index (deleteAll on a SQLite-backed
// Durable Object).
func (d *DB) dropAll() error {
	names, err := d.Strings(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return err
	}
	if err := d.ExecRaw(`PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	for _, n := range names {
		if err := d.ExecRaw(`DROP TABLE IF EXISTS "` + n + `"`); err != nil {
			return err
		}
	}
	return d.ExecRaw(`PRAGMA foreign_keys = ON`)
}
