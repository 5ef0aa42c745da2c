package model

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// TownEvent is one row of the town_events queue (model.md §2.8) with its
// payload parsed.
type TownEvent struct {
	ID      string
	Type    string
	AgentID sql.NullString
	BeadID  sql.NullString
	// Payload is the parsed payload object (never nil for a parsed row).
	Payload map[string]any
	// PayloadRaw is the stored payload text.
	PayloadRaw  string
	CreatedAt   string
	ProcessedAt sql.NullString
}

// EventRetention is how long the alarm keeps processed events (model.md §6.1).
const EventRetention = 7 * 24 * time.Hour

// InsertEvent appends a pending event (model.md §5.2): a new id, agentID and
// beadID ("" = NULL), the payload as JSON ({} when nil), created_at = now.
// Producers leave out optional payload keys whose value is falsy.
func (t *Town) InsertEvent(now time.Time, typ, agentID, beadID string, payload map[string]any) (string, error) {
	if payload == nil {
		payload = map[string]any{}
	}
	return t.insertEventRow(now, typ, NullIfEmpty(agentID), NullIfEmpty(beadID), MustJSON(payload))
}

// insertEventRow is insertEvent with the ids and the payload text as stored.
func (t *Town) insertEventRow(now time.Time, typ string, agentID, beadID sql.NullString, payload string) (string, error) {
	id := t.newID()
	_, err := t.db.Exec(`INSERT INTO town_events (event_id, event_type, agent_id, bead_id, payload, created_at, processed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, typ, agentID, beadID, payload, ISO(now), nil)
	if err != nil {
		return "", err
	}
	return id, nil
}

// UpsertContainerStatus records a container status observation of the
// alarm's pre-phase (model.md §5.2): when the agent's newest pending
// container_status event carries the same status, only its created_at
// moves to now (it goes to the end of the drain order); otherwise a new
// event is inserted with {status} and exit_reason when non-empty.
func (t *Town) UpsertContainerStatus(now time.Time, agentID, status, exitReason string) error {
	var id, raw string
	err := t.db.QueryRow(`SELECT event_id, payload FROM town_events
		WHERE event_type = 'container_status' AND agent_id = ? AND processed_at IS NULL
		ORDER BY created_at DESC LIMIT 1`, []any{agentID}, &id, &raw)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return err
	default:
		var prev map[string]any
		if json.Unmarshal([]byte(raw), &prev) == nil && prev != nil {
			if s, ok := prev["status"].(string); ok && s == status {
				_, err := t.db.Exec(`UPDATE town_events SET created_at = ? WHERE event_id = ?`, ISO(now), id)
				return err
			}
		}
	}
	payload := map[string]any{"status": status}
	if exitReason != "" {
		payload["exit_reason"] = exitReason
	}
	_, err = t.InsertEvent(now, EventContainerStatus, agentID, "", payload)
	return err
}

// PendingEvents returns every unprocessed event, oldest created_at first,
// ties in insertion order (model.md §5.3). The read is strict as
// production's schema parse: one row with an unknown event type or a
// payload that is not a JSON object fails the whole read.
func (t *Town) PendingEvents() ([]TownEvent, error) {
	return t.QueryTownEvents(`SELECT event_id, event_type, agent_id, bead_id, payload, created_at, processed_at
		FROM town_events WHERE processed_at IS NULL ORDER BY created_at ASC, rowid ASC`)
}

// QueryTownEvents runs q, which selects event_id, event_type, agent_id,
// bead_id, payload, created_at and processed_at of town_events, and parses
// every row as strictly as production's record schema: one row with an
// unknown event type or a payload that is not a JSON object fails the
// whole read.
func (t *Town) QueryTownEvents(q string, args ...any) ([]TownEvent, error) {
	rows, err := t.db.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TownEvent
	for rows.Next() {
		var e TownEvent
		if err := rows.Scan(&e.ID, &e.Type, &e.AgentID, &e.BeadID, &e.PayloadRaw, &e.CreatedAt, &e.ProcessedAt); err != nil {
			return nil, err
		}
		if !slices.Contains(EventTypes, e.Type) {
			return nil, fmt.Errorf("town event %s: invalid event_type %q", e.ID, e.Type)
		}
		p, err := parseEventPayload(e.PayloadRaw)
		if err != nil {
			return nil, fmt.Errorf("town event %s: %w", e.ID, err)
		}
		e.Payload = p
		out = append(out, e)
	}
	return out, rows.Err()
}

// parseEventPayload decodes a payload text that must be a JSON object
// (production's record schema rejects arrays, null and scalars).
func parseEventPayload(raw string) (map[string]any, error) {
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, fmt.Errorf("invalid JSON in payload: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("payload is not a JSON object: %s", raw)
	}
	return m, nil
}

// MarkProcessed sets the event's processed_at to now.
func (t *Town) MarkProcessed(now time.Time, id string) error {
	_, err := t.db.Exec(`UPDATE town_events SET processed_at = ? WHERE event_id = ?`, ISO(now), id)
	return err
}

// PendingEventCount counts the unprocessed events.
func (t *Town) PendingEventCount() (int, error) {
	return t.db.Int(`SELECT count(*) AS cnt FROM town_events WHERE processed_at IS NULL`)
}

// PruneOldEvents deletes processed events created before now − retention;
// pending events are never pruned.
func (t *Town) PruneOldEvents(now time.Time, retention time.Duration) error {
	_, err := t.db.Exec(`DELETE FROM town_events WHERE processed_at IS NOT NULL AND created_at < ?`,
		ISO(now.Add(-retention)))
	return err
}

// DrainResult counts what one Phase 0 drain did.
type DrainResult struct {
	// Drained is the number of pending events read (failures included).
	Drained int
	// Applied counts events applied and marked processed.
	Applied int
	// Skipped counts events that failed with "Bead/Agent <id> not found"
	// and were marked processed anyway.
	Skipped int
	// Failed counts events left pending (retried next tick; the writes
	// they made before failing stay).
	Failed int
}

// DrainEvents is the alarm's Phase 0 (reconciler.md T7): read every pending
// event (a failed read returns the error and applies nothing), apply each
// in order and mark it processed. An event whose application fails with a
// missing-entity error is marked processed; any other failure leaves it
// pending, without rolling back its partial writes (no transactions).
func (t *Town) DrainEvents(now time.Time, cfg *TownConfig) (DrainResult, error) {
	if err := t.Fault(FPDrainRead, ""); err != nil {
		return DrainResult{}, err
	}
	pending, err := t.PendingEvents()
	if err != nil {
		return DrainResult{}, err
	}
	res := DrainResult{Drained: len(pending)}
	for _, ev := range pending {
		if t.eventObserver != nil {
			t.eventObserver.BeforeEvent(t, now, ev, cfg)
		}
		err := t.applyEventFaulty(now, ev, cfg)
		if t.eventObserver != nil {
			t.eventObserver.AfterEvent(t, now, ev, err)
		}
		if err == nil && t.Mutant(MutantNeverProcessed) {
			res.Applied++
			continue
		}
		if err == nil {
			err = t.MarkProcessed(now, ev.ID)
			if err == nil {
				res.Applied++
				continue
			}
		}
		if isMissingEntity(err) && t.MarkProcessed(now, ev.ID) == nil {
			res.Skipped++
			continue
		}
		res.Failed++
	}
	return res, nil
}

// applyEventFaulty is ApplyEvent under the drain's two failpoints: one
// that throws a missing-entity error before any write (FPEventNotFound)
// and one that throws half-way through the event's writes (FPEventApply).
func (t *Town) applyEventFaulty(now time.Time, ev TownEvent, cfg *TownConfig) error {
	if err := t.Fault(FPEventNotFound, ev.ID); err != nil {
		return fmt.Errorf("Bead %s not found (%w)", ev.ID, err)
	}
	finish := t.FaultHalfway(FPEventApply, ev.ID)
	return finish(t.ApplyEvent(now, ev, cfg))
}
