package reconciler

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/townsim/townsim/model"
)

// Options are the inputs of one reconcile pass (reconciler.md §2.0).
type Options struct {
	// Draining is the town's container-eviction drain flag (§2.8).
	Draining bool
	// Config is the town config; nil means no townConfig, so the per-rig
	// settings take their defaults (§2.0).
	Config *model.TownConfig
	// Cost, when set, receives the database work of each sub-reconciler
	// (by its production name, e.g. "reconcileBeads"), measured around it.
	// The pass has no awaits, so each figure is that rule's own work.
	Cost func(rule string, c model.Cost)
}

// Reconcile reads the town's state at now and returns the actions that
// bring it toward its desired state: reconcileAgents, reconcileBeads,
// reconcileReviewQueue, reconcileConvoys, reconcileGUPP, reconcileGC and
// reconcileWastelandClaims, concatenated in that order (§2.0). It only
// reads the database; no rule sees another rule's actions. An error is
// production's throw (a row that fails its schema parse, a failing query);
// no actions are returned with it.
//
// The pass reads the clock at millisecond resolution, as production's
// Date.now() does: a sub-millisecond virtual clock is truncated, so the
// strict "older than" tests (heartbeats, cooldowns, …) compare whole
// milliseconds with the millisecond timestamps production stores.
func Reconcile(t *model.Town, now time.Time, o Options) ([]Action, error) {
	p := newPass(t, now, o)
	var out []Action
	for _, s := range p.rules() {
		before := p.db.Cost()
		as, err := s.run()
		if o.Cost != nil {
			o.Cost(s.name, p.db.Cost().Sub(before))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		out = append(out, as...)
	}
	return out, nil
}

// newPass starts a reconcile pass at now (whole milliseconds) with the
// Town's knobs; the skip-cooldown mutant lifts the cooldown and the cap.
func newPass(t *model.Town, now time.Time, o Options) *rulePass {
	p := &rulePass{t: t, db: t.DB(), now: now.Truncate(time.Millisecond), o: o, k: t.Knobs()}
	if t.Mutant(model.MutantSkipCooldown) {
		p.k.DispatchCooldown = []time.Duration{0}
		p.k.MaxDispatchAttempts = 1 << 30
	}
	return p
}

// ruleActor is the actor every rule's transition_bead carries.
const ruleActor = "system"

// rulePass is one reconcile pass: the snapshot's database, the clock and
// the options. Every rule is a method on it.
type rulePass struct {
	t   *model.Town
	db  *model.DB
	now time.Time
	o   Options
	k   model.Knobs // the Town's capacity constants
}

// stale is production's staleMs at the pass's clock (§0.5).
func (p *rulePass) stale(ts sql.NullString, d time.Duration) bool {
	return model.Stale(ts, d, p.now)
}

// sqlCutoff renders now−d as production's strftime('%Y-%m-%dT%H:%M:%fZ',
// 'now', '-d') (ISO text, compared as strings).
func (p *rulePass) sqlCutoff(d time.Duration) string { return model.ISO(p.now.Add(-d)) }

// ---- agent rows ----

// ruleAgent is production's AgentRow: agent_metadata columns plus the
// rig of the agent's own bead (LEFT JOIN, so possibly NULL).
type ruleAgent struct {
	ID               string
	Role             string
	Status           string
	Hook             sql.NullString
	DispatchAttempts int
	LastActivityAt   sql.NullString
	LastEventType    sql.NullString
	LastEventAt      sql.NullString
	ActiveTools      sql.NullString
	StalledAt        sql.NullString
	RigID            sql.NullString
}

// ruleAgentSelect is the select list and join every rule's agent query
// uses: agent_metadata LEFT JOIN its bead.
const ruleAgentSelect = `SELECT a.bead_id, a.role, a.status, a.current_hook_bead_id,
	a.dispatch_attempts, a.last_activity_at, a.last_event_type, a.last_event_at,
	a.active_tools, a.stalled_at, b.rig_id
	FROM agent_metadata a
	LEFT JOIN beads b ON b.bead_id = a.bead_id
	`

// agents runs ruleAgentSelect with the given WHERE clause (and tail) and
// reads every row before returning, as production materialises them.
func (p *rulePass) agents(where string, args ...any) ([]*ruleAgent, error) {
	rows, err := p.db.Query(ruleAgentSelect+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ruleAgent
	for rows.Next() {
		var a ruleAgent
		if err := rows.Scan(&a.ID, &a.Role, &a.Status, &a.Hook, &a.DispatchAttempts,
			&a.LastActivityAt, &a.LastEventType, &a.LastEventAt, &a.ActiveTools,
			&a.StalledAt, &a.RigID); err != nil {
			return nil, err
		}
		out = append(out, &a)
	}
	return out, rows.Err()
}

// ---- bead rows ----

// ruleBead is production's BeadRow (the picked bead columns, labels parsed).
type ruleBead struct {
	ID                    string
	Type                  string
	Status                string
	RigID                 sql.NullString
	Assignee              sql.NullString
	UpdatedAt             string
	Labels                []string
	CreatedBy             sql.NullString
	DispatchAttempts      int
	LastDispatchAttemptAt sql.NullString
}

// ruleBeadSelect is BeadRow's select list over `beads b`.
const ruleBeadSelect = `SELECT b.bead_id, b.type, b.status, b.rig_id, b.assignee_agent_bead_id,
	b.updated_at, b.labels, b.created_by, b.dispatch_attempts, b.last_dispatch_attempt_at
	FROM beads b
	`

// beads runs ruleBeadSelect with the given WHERE clause. Like production's
// schema parse, an unknown type or status or labels that are not a JSON
// array make the whole read fail.
func (p *rulePass) beads(where string, args ...any) ([]*ruleBead, error) {
	rows, err := p.db.Query(ruleBeadSelect+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ruleBead
	for rows.Next() {
		var b ruleBead
		var labels sql.NullString
		if err := rows.Scan(&b.ID, &b.Type, &b.Status, &b.RigID, &b.Assignee, &b.UpdatedAt,
			&labels, &b.CreatedBy, &b.DispatchAttempts, &b.LastDispatchAttemptAt); err != nil {
			return nil, err
		}
		if err := model.CheckBeadEnums(b.ID, b.Type, b.Status); err != nil {
			return nil, err
		}
		if !labels.Valid {
			return nil, fmt.Errorf("bead %s: labels is null", b.ID)
		}
		l, err := model.ParseLabels(labels.String)
		if err != nil {
			return nil, fmt.Errorf("bead %s: invalid JSON in labels: %w", b.ID, err)
		}
		b.Labels = l
		out = append(out, &b)
	}
	return out, rows.Err()
}

// hasLabel is JavaScript's labels.includes(l) on a parsed array.
func (b *ruleBead) hasLabel(l string) bool {
	for _, x := range b.Labels {
		if x == l {
			return true
		}
	}
	return false
}

// ---- JSON as JavaScript reads it ----

// errNullProperty is JavaScript's TypeError when a rule reads a property
// of a JSON text that parsed to null.
var errNullProperty = errors.New("TypeError: cannot read properties of null")

// jsObject is `try { m = JSON.parse(raw) } catch { m = {} }` followed by
// property reads: a parse error or a non-object value (array, string,
// number) reads as {}; null throws.
func jsObject(raw string) (map[string]any, error) {
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return map[string]any{}, nil
	}
	switch x := v.(type) {
	case nil:
		return nil, errNullProperty
	case map[string]any:
		return x, nil
	}
	return map[string]any{}, nil
}

// parseRecord is production's schema parse of a bead's metadata column:
// the column must not be NULL and its text must be JSON that decodes to an
// object (null, arrays and scalars fail the read).
func parseRecord(id string, meta sql.NullString) (map[string]any, error) {
	if !meta.Valid {
		return nil, fmt.Errorf("bead %s: metadata is null", id)
	}
	if m, ok := model.ParsedObject(meta.String); ok {
		return m, nil
	}
	var v any
	if err := json.Unmarshal([]byte(meta.String), &v); err != nil {
		return nil, fmt.Errorf("bead %s: invalid JSON in metadata: %w", id, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("bead %s: metadata is not an object", id)
	}
	return m, nil
}

// awaitingApproval is `awaiting_approval === 1 || awaiting_approval === true`.
func awaitingApproval(meta map[string]any) bool { return model.Truthy1(meta["awaiting_approval"]) }

// msSince is Date.now() − new Date(ts).getTime(); false is NaN.
func (p *rulePass) msSince(ts string) (float64, bool) {
	return model.MsSince(model.Null(ts), p.now)
}

// exists runs a `SELECT 1 … LIMIT 1` query and reports whether it found a row.
func (p *rulePass) exists(q string, args ...any) (bool, error) {
	rows, err := p.db.Query(q, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return found, rows.Err()
}

// rowCount runs a query, reads every row (production materialises the
// result) and returns how many there were.
func (p *rulePass) rowCount(q string, args ...any) (int, error) {
	rows, err := p.db.Query(q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}
