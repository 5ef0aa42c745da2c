package model

import (
	"time"
)

// nudgeExpiryFormat is how production writes agent_nudges.expires_at:
// toISOString with the T replaced by a space and the Z dropped (so with
// milliseconds, unlike SQLite's datetime()).
const nudgeExpiryFormat = "2006-01-02 15:04:05.000"

// NudgeInput is queueNudge's input. Mode "" = wait-idle, Priority "" =
// normal, Source "" = system; a zero ExpiresAt = NULL.
type NudgeInput struct {
	AgentID, Message, Mode, Priority, Source string
	ExpiresAt                                time.Time
}

// QueueNudge inserts an agent_nudges row and returns its id. created_at is
// SQLite's datetime() form of now (production's column default). The
// immediate delivery attempt of production's RPC is the caller's.
func (t *Town) QueueNudge(now time.Time, in NudgeInput) (string, error) {
	id := t.newID()
	mode, priority, source := in.Mode, in.Priority, in.Source
	if mode == "" {
		mode = "wait-idle"
	}
	if priority == "" {
		priority = "normal"
	}
	if source == "" {
		source = "system"
	}
	var expires any
	if !in.ExpiresAt.IsZero() {
		expires = in.ExpiresAt.UTC().Format(nudgeExpiryFormat)
	}
	_, err := t.db.Exec(`INSERT INTO agent_nudges (nudge_id, agent_bead_id, message, mode, priority, source, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, in.AgentID, in.Message, mode, priority, source, expires, SQLiteTime(now))
	if err != nil {
		return "", err
	}
	return id, nil
}

// InsertReconcilerNudge is the synchronous row of the reconciler's
// send_nudge action [R 3.5]: mode immediate, priority urgent, source
// reconciler:<tier>, an ISO created_at, no expiry.
func (t *Town) InsertReconcilerNudge(now time.Time, agentID, message, tier string) error {
	_, err := t.db.Exec(`INSERT INTO agent_nudges (nudge_id, agent_bead_id, message, mode, priority, source, created_at, expires_at)
		VALUES (?, ?, ?, 'immediate', 'urgent', ?, ?, ?)`, t.newID(), agentID, message, "reconciler:"+tier, ISO(now), nil)
	return err
}

// MarkNudgeDelivered sets delivered_at to now in SQLite's datetime() form.
func (t *Town) MarkNudgeDelivered(now time.Time, nudgeID string) error {
	_, err := t.db.Exec(`UPDATE agent_nudges SET delivered_at = ? WHERE nudge_id = ?`, SQLiteTime(now), nudgeID)
	return err
}

// ExpireStaleNudges marks undelivered nudges whose expires_at is before now
// (compared as text with SQLite's datetime() form, as production does) as
// delivered.
func (t *Town) ExpireStaleNudges(now time.Time) error {
	ts := SQLiteTime(now)
	rows, err := t.db.Query(`UPDATE agent_nudges SET delivered_at = ?
		WHERE expires_at IS NOT NULL AND expires_at < ? AND delivered_at IS NULL
		RETURNING nudge_id`, ts, ts)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}
