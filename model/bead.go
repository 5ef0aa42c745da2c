package model

import (
	"database/sql"
	"encoding/json"
	"fmt"
)

// Bead is one row of the beads table, with labels and metadata parsed.
type Bead struct {
	ID                    string
	Type                  string
	Status                string
	Title                 string
	Body                  sql.NullString
	RigID                 sql.NullString
	ParentID              sql.NullString
	Assignee              sql.NullString
	Priority              sql.NullString
	Labels                []string
	Metadata              map[string]any
	DispatchAttempts      int
	LastDispatchAttemptAt sql.NullString
	CreatedBy             sql.NullString
	CreatedAt             string
	UpdatedAt             string
	ClosedAt              sql.NullString
}

// BeadColumns is the select list matching ScanBead, with table alias b.
const BeadColumns = `b.bead_id, b.type, b.status, b.title, b.body, b.rig_id, b.parent_bead_id,
	b.assignee_agent_bead_id, b.priority, b.labels, b.metadata, b.dispatch_attempts,
	b.last_dispatch_attempt_at, b.created_by, b.created_at, b.updated_at, b.closed_at`

// Scanner is a row that can be scanned (sql.Row, sql.Rows, Rows).
type Scanner interface{ Scan(dest ...any) error }

// ScanBead reads a row selected with BeadColumns and validates it as
// production's schema parse does: an unknown type or status, or labels or
// metadata that are not JSON, make the read fail.
func ScanBead(s Scanner) (*Bead, error) {
	var b Bead
	var labels, meta sql.NullString
	if err := s.Scan(&b.ID, &b.Type, &b.Status, &b.Title, &b.Body, &b.RigID, &b.ParentID,
		&b.Assignee, &b.Priority, &labels, &meta, &b.DispatchAttempts,
		&b.LastDispatchAttemptAt, &b.CreatedBy, &b.CreatedAt, &b.UpdatedAt, &b.ClosedAt); err != nil {
		return nil, err
	}
	if err := CheckBeadEnums(b.ID, b.Type, b.Status); err != nil {
		return nil, err
	}
	var err error
	if b.Labels, err = ParseLabels(labels.String); err != nil {
		return nil, fmt.Errorf("bead %s: labels: %w", b.ID, err)
	}
	if b.Metadata, err = ParseObject(meta.String); err != nil {
		return nil, fmt.Errorf("bead %s: metadata: %w", b.ID, err)
	}
	return &b, nil
}

// CheckBeadEnums is the type and status part of production's bead schema
// parse: an unknown type or status makes the read fail.
func CheckBeadEnums(id, typ, status string) error {
	if !validBeadType(typ) {
		return fmt.Errorf("bead %s: invalid type %q", id, typ)
	}
	if !validBeadStatus(status) {
		return fmt.Errorf("bead %s: invalid status %q", id, status)
	}
	return nil
}

// ParseLabels decodes a labels JSON array.
func ParseLabels(raw string) ([]string, error) {
	if raw == "" || raw == "[]" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseObject decodes a metadata JSON object ("" and null read as {}).
func ParseObject(raw string) (map[string]any, error) {
	if raw == "" || raw == "{}" {
		return map[string]any{}, nil
	}
	if m, ok := ParsedObject(raw); ok {
		return m, nil
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// HasLabel reports whether the bead carries exactly label l.
func (b *Bead) HasLabel(l string) bool {
	for _, x := range b.Labels {
		if x == l {
			return true
		}
	}
	return false
}

// MetaString returns metadata key k when it is a string.
func (b *Bead) MetaString(k string) (string, bool) {
	s, ok := b.Metadata[k].(string)
	return s, ok
}

// Truthy1 reports whether v is JSON true or the number 1 (model.md §1.6).
func Truthy1(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x == 1
	}
	return false
}

// JSTruthy is JavaScript truthiness for a decoded JSON value.
func JSTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != ""
	}
	return true
}

// GetBead returns the bead or nil when it does not exist.
func (t *Town) GetBead(id string) (*Bead, error) {
	rows, err := t.db.Query(`SELECT `+BeadColumns+` FROM beads b WHERE b.bead_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	return ScanBead(rows)
}

// QueryBeads runs a query selecting BeadColumns and returns the rows.
func (t *Town) QueryBeads(q string, args ...any) ([]*Bead, error) {
	rows, err := t.db.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Bead
	for rows.Next() {
		b, err := ScanBead(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// MustJSON encodes v as JSON.stringify would (no HTML escaping); the
// values the model encodes always encode.
func MustJSON(v any) string {
	b, err := marshalNoEscape(v)
	if err != nil {
		panic(fmt.Sprintf("model: encode %T: %v", v, err))
	}
	return string(b)
}
