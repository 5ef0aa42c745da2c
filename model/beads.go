package model

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// FailureReason is the structured reason attached to a transition to
// failed (stored in the status_changed bead event's metadata).
type FailureReason struct {
	Code, Message, Details, Source string
}

// MarshalJSON writes the reason with production's key order, dropping an
// empty Details as JavaScript drops an undefined key.
func (r FailureReason) MarshalJSON() ([]byte, error) {
	o := jsonObj{{"code", r.Code}, {"message", r.Message}}
	if r.Details != "" {
		o = append(o, kv{"details", r.Details})
	}
	o = append(o, kv{"source", r.Source})
	return o.MarshalJSON()
}

// CreateBeadInput is createBead's input (model.md §4.1). Empty strings
// stand for absent values (NULL), nil slices and maps for [] and {}.
type CreateBeadInput struct {
	Type, Title, Body, Priority          string // Body "" = NULL; Priority "" = medium
	Labels                               []string
	Metadata                             map[string]any
	Assignee, ParentID, RigID, CreatedBy string // "" = NULL
}

// insertBeadSQL inserts one beads row with every column given.
const insertBeadSQL = `INSERT INTO beads (bead_id, type, status, title, body, rig_id,
		parent_bead_id, assignee_agent_bead_id, priority, labels, metadata, created_by,
		created_at, updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// CreateBead inserts a bead and its `created` bead event [M 4.1]. It
// inserts no town event and does not touch convoys.
func (t *Town) CreateBead(now time.Time, in CreateBeadInput) (*Bead, error) {
	var meta any = in.Metadata
	if in.Metadata == nil {
		meta = nil
	}
	return t.createBead(now, in, meta)
}

// createBead is CreateBead with the metadata given as any JSON-encodable
// value (a jsonObj keeps production's key order); nil encodes as {}.
func (t *Town) createBead(now time.Time, in CreateBeadInput, meta any) (*Bead, error) {
	id := t.newID()
	ts := ISO(now)
	labels := "[]"
	if in.Labels != nil {
		labels = MustJSON(in.Labels)
	}
	metaText := "{}"
	if meta != nil {
		metaText = MustJSON(meta)
	}
	priority := in.Priority
	if priority == "" {
		priority = "medium"
	}
	if _, err := t.db.Exec(insertBeadSQL,
		id, in.Type, StatusOpen, in.Title, NullIfEmpty(in.Body), NullIfEmpty(in.RigID),
		NullIfEmpty(in.ParentID), NullIfEmpty(in.Assignee), priority, labels, metaText,
		NullIfEmpty(in.CreatedBy), ts, ts, nil); err != nil {
		return nil, err
	}
	b, err := t.GetBead(id)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("Failed to create bead")
	}
	if err := t.logEvent(now, id, NullIfEmpty(in.Assignee), "created", sql.NullString{}, Null(StatusOpen),
		jsonObj{{"type", in.Type}, {"title", in.Title}}); err != nil {
		return nil, err
	}
	return b, nil
}

// UpdateBeadStatus is the guarded status change [M 4.2]: no-op when the
// status is unchanged or the bead is terminal; closed_at is stamped only on
// closed; a terminal transition recounts convoy progress. actor "" = NULL.
func (t *Town) UpdateBeadStatus(now time.Time, id, status, actor string, reason *FailureReason) (*Bead, error) {
	return t.updateBeadStatus(now, id, status, NullIfEmpty(actor), reason)
}

// CloseBead is UpdateBeadStatus to closed.
func (t *Town) CloseBead(now time.Time, id, actor string) (*Bead, error) {
	return t.updateBeadStatus(now, id, StatusClosed, NullIfEmpty(actor), nil)
}

func (t *Town) updateBeadStatus(now time.Time, id, status string, actor sql.NullString, reason *FailureReason) (*Bead, error) {
	b, err := t.existingBead(id)
	if err != nil {
		return nil, err
	}
	if b.Status == status || Terminal(b.Status) {
		return b, nil
	}
	ts := ISO(now)
	closedAt := b.ClosedAt
	if status == StatusClosed {
		closedAt = Null(ts)
	}
	if _, err := t.db.Exec(`UPDATE beads SET status = ?, updated_at = ?, closed_at = ? WHERE bead_id = ?`,
		status, ts, closedAt, id); err != nil {
		return nil, err
	}
	var meta any = jsonObj{}
	if reason != nil && status == StatusFailed {
		meta = jsonObj{{"failure_reason", *reason}}
	}
	if err := t.logEvent(now, id, actor, "status_changed", Null(b.Status), Null(status), meta); err != nil {
		return nil, err
	}
	if Terminal(status) {
		if err := t.updateConvoyProgress(id, ts); err != nil {
			return nil, err
		}
	}
	if status == StatusClosed && b.Type == TypeIssue && t.Mutant(MutantLoseBead) {
		return b, t.loseBead(id)
	}
	return t.reloadBead(id)
}

// reloadBead re-reads a bead just written; its disappearance is an error.
func (t *Town) reloadBead(id string) (*Bead, error) {
	u, err := t.GetBead(id)
	if err == nil && u == nil {
		err = fmt.Errorf("Bead %s not found after update", id)
	}
	return u, err
}

// BeadFields are the editable fields of UpdateBeadFields; nil = not given.
type BeadFields struct {
	Status, Title, Body, Priority, Type, ParentID *string
	// RigID moves the bead to another rig; a NullString that is not Valid
	// moves it out of every rig (rig_id NULL), as production's updateBead
	// with rig_id null does.
	RigID    *sql.NullString
	Labels   *[]string
	Metadata map[string]any // nil = not given
}

// UpdateBeadFields is the partial update [M 4.5]: a status change goes
// through the guarded path; the other given fields are written even on a
// terminal bead, with updated_at and a fields_updated event.
func (t *Town) UpdateBeadFields(now time.Time, id string, f BeadFields, actor string) (*Bead, error) {
	b, err := t.existingBead(id)
	if err != nil {
		return nil, err
	}
	if f.Status != nil && *f.Status != b.Status {
		if _, err := t.updateBeadStatus(now, id, *f.Status, NullIfEmpty(actor), nil); err != nil {
			return nil, err
		}
	}
	var sets []string
	var vals []any
	var names []string
	add := func(col string, v any) {
		sets = append(sets, col+" = ?")
		vals = append(vals, v)
		names = append(names, col)
	}
	if f.Title != nil {
		add("title", *f.Title)
	}
	if f.Body != nil {
		add("body", *f.Body)
	}
	if f.Priority != nil {
		add("priority", *f.Priority)
	}
	if f.Labels != nil {
		labels := "[]"
		if *f.Labels != nil {
			labels = MustJSON(*f.Labels)
		}
		add("labels", labels)
	}
	if f.Metadata != nil {
		add("metadata", MustJSON(f.Metadata))
	}
	if f.Type != nil {
		add("type", *f.Type)
	}
	if f.RigID != nil {
		add("rig_id", nullable(*f.RigID))
	}
	if f.ParentID != nil {
		add("parent_bead_id", *f.ParentID)
	}
	if len(sets) > 0 {
		sets = append(sets, "updated_at = ?")
		vals = append(vals, ISO(now), id)
		if _, err := t.db.Exec(`UPDATE beads SET `+strings.Join(sets, ", ")+` WHERE bead_id = ?`, vals...); err != nil {
			return nil, err
		}
		if err := t.logEvent(now, id, NullIfEmpty(actor), "fields_updated", sql.NullString{},
			Null(strings.Join(names, ",")), jsonObj{{"changed", names}, {"actor", actor}}); err != nil {
			return nil, err
		}
	}
	return t.reloadBead(id)
}

// DeleteBead deletes a bead and its descendants [M 4.6]. With rigID given
// ("" = not given) a bead of another rig, or a missing one, is left alone
// and false returned.
func (t *Town) DeleteBead(now time.Time, id, rigID string) (bool, error) {
	if rigID != "" {
		var bid string
		var rig sql.NullString
		err := t.db.QueryRow(`SELECT bead_id, rig_id FROM beads WHERE bead_id = ?`, []any{id}, &bid, &rig)
		if err == sql.ErrNoRows {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !rig.Valid || rig.String != rigID {
			return false, nil
		}
	}
	children, err := t.db.Strings(`SELECT bead_id FROM beads WHERE parent_bead_id = ?`, id)
	if err != nil {
		return false, err
	}
	for _, c := range children {
		if _, err := t.DeleteBead(now, c, ""); err != nil {
			return false, err
		}
	}
	steps := []struct {
		q    string
		args []any
	}{
		{`UPDATE agent_metadata SET current_hook_bead_id = NULL, status = 'idle' WHERE current_hook_bead_id = ?`, []any{id}},
		{`DELETE FROM bead_dependencies WHERE bead_id = ? OR depends_on_bead_id = ?`, []any{id, id}},
		{`DELETE FROM bead_events WHERE bead_id = ?`, []any{id}},
		{`DELETE FROM agent_metadata WHERE bead_id = ?`, []any{id}},
		{`DELETE FROM review_metadata WHERE bead_id = ?`, []any{id}},
		{`DELETE FROM escalation_metadata WHERE bead_id = ?`, []any{id}},
		{`DELETE FROM convoy_metadata WHERE bead_id = ?`, []any{id}},
		{`DELETE FROM town_events WHERE bead_id = ? OR agent_id = ?`, []any{id, id}},
		{`DELETE FROM beads WHERE bead_id = ?`, []any{id}},
	}
	for _, s := range steps {
		if _, err := t.db.Exec(s.q, s.args...); err != nil {
			return false, err
		}
	}
	return true, nil
}

// DeleteBeads deletes a set of beads and all their descendants with
// set-wise statements, as production's deleteBeads does. With rigID given
// the input is first filtered to that rig. It returns how many ids it
// deleted (ids that did not exist are counted when no rig is given).
func (t *Town) DeleteBeads(now time.Time, ids []string, rigID string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	roots := ids
	if rigID != "" {
		owned, err := t.db.Strings(`SELECT bead_id FROM beads WHERE rig_id = ? AND bead_id IN (`+placeholders(len(ids))+`)`,
			append([]any{rigID}, anySlice(ids)...)...)
		if err != nil {
			return 0, err
		}
		if len(owned) == 0 {
			return 0, nil
		}
		roots = owned
	}
	var all []string
	seen := map[string]bool{}
	addAll := func(xs []string) {
		for _, x := range xs {
			if !seen[x] {
				seen[x] = true
				all = append(all, x)
			}
		}
	}
	addAll(roots)
	descendants, err := t.collectChildBeadIDs(roots)
	if err != nil {
		return 0, err
	}
	addAll(descendants)
	ph := placeholders(len(all))
	args := anySlice(all)
	args2 := append(anySlice(all), args...)
	steps := []struct {
		q    string
		args []any
	}{
		{`UPDATE agent_metadata SET current_hook_bead_id = NULL, status = 'idle' WHERE current_hook_bead_id IN (` + ph + `)`, args},
		{`DELETE FROM bead_dependencies WHERE bead_id IN (` + ph + `) OR depends_on_bead_id IN (` + ph + `)`, args2},
		{`DELETE FROM bead_events WHERE bead_id IN (` + ph + `)`, args},
		{`DELETE FROM agent_metadata WHERE bead_id IN (` + ph + `)`, args},
		{`DELETE FROM review_metadata WHERE bead_id IN (` + ph + `)`, args},
		{`DELETE FROM escalation_metadata WHERE bead_id IN (` + ph + `)`, args},
		{`DELETE FROM convoy_metadata WHERE bead_id IN (` + ph + `)`, args},
		{`DELETE FROM town_events WHERE bead_id IN (` + ph + `) OR agent_id IN (` + ph + `)`, args2},
		{`DELETE FROM beads WHERE bead_id IN (` + ph + `)`, args},
	}
	for _, s := range steps {
		if _, err := t.db.Exec(s.q, s.args...); err != nil {
			return 0, err
		}
	}
	return len(all), nil
}

// collectChildBeadIDs returns every descendant of parents, level by level
// (one query per level).
func (t *Town) collectChildBeadIDs(parents []string) ([]string, error) {
	if len(parents) == 0 {
		return nil, nil
	}
	children, err := t.db.Strings(`SELECT bead_id FROM beads WHERE parent_bead_id IN (`+placeholders(len(parents))+`)`, anySlice(parents)...)
	if err != nil || len(children) == 0 {
		return nil, err
	}
	deeper, err := t.collectChildBeadIDs(children)
	if err != nil {
		return nil, err
	}
	return append(children, deeper...), nil
}

// BeadEvent is one bead_events row to write. AgentID "" = NULL; Metadata
// nil = {}.
type BeadEvent struct {
	BeadID, AgentID, Type string
	OldValue, NewValue    sql.NullString
	Metadata              map[string]any
}

// LogBeadEvent appends a bead_events row [M 4.7].
func (t *Town) LogBeadEvent(now time.Time, e BeadEvent) error {
	var meta any
	if e.Metadata != nil {
		meta = e.Metadata
	}
	return t.logEvent(now, e.BeadID, NullIfEmpty(e.AgentID), e.Type, e.OldValue, e.NewValue, meta)
}

// logEvent writes a bead event; meta nil encodes as {}.
func (t *Town) logEvent(now time.Time, beadID string, agentID sql.NullString, typ string, oldV, newV sql.NullString, meta any) error {
	metaText := "{}"
	if meta != nil {
		metaText = MustJSON(meta)
	}
	_, err := t.db.Exec(`INSERT INTO bead_events (bead_event_id, bead_id, agent_id, event_type,
		old_value, new_value, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.newID(), beadID, agentID, typ, oldV, newV, metaText, ISO(now))
	return err
}

// ---- JSON as JavaScript writes it ----

// kv is one key of a jsonObj.
type kv struct {
	k string
	v any
}

// jsonObj is a JSON object that keeps its keys in insertion order, as
// JavaScript's JSON.stringify does (Go maps encode with sorted keys).
type jsonObj []kv

// MarshalJSON encodes the object with its keys in order.
func (o jsonObj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, p := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := marshalNoEscape(p.k)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		v, err := marshalNoEscape(p.v)
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshalNoEscape encodes v as JSON.stringify does: no HTML escaping of
// <, > and &, no trailing newline.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// strOrNull is JSON null for "" and the string s otherwise.
func strOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullJSON is a nullable column as a JSON value: null for NULL, else the
// string (even "").
func nullJSON(ns sql.NullString) any {
	if !ns.Valid {
		return nil
	}
	return ns.String
}

// placeholders is n comma-separated ? markers.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// anySlice converts xs to query arguments.
func anySlice(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
