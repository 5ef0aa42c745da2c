package model

import (
	"database/sql"
)

// Agent is production's agent view: the agent's bead joined with its
// agent_metadata row. Status and DispatchAttempts come from agent_metadata
// (model.md §7.18).
type Agent struct {
	ID               string
	Name             string
	RigID            sql.NullString
	CreatedAt        string
	Role             string
	Identity         string
	Status           string
	Hook             sql.NullString
	DispatchAttempts int
	Checkpoint       sql.NullString
	LastActivityAt   sql.NullString
	StatusMessage    sql.NullString
	StatusUpdatedAt  sql.NullString
	LastEventType    sql.NullString
	LastEventAt      sql.NullString
	ActiveTools      sql.NullString
	StalledAt        sql.NullString
}

// AgentColumns is the select list matching ScanAgent (b = beads, a = agent_metadata).
const AgentColumns = `b.bead_id, b.title, b.rig_id, b.created_at, a.role, a.identity, a.status,
	a.current_hook_bead_id, a.dispatch_attempts, a.checkpoint, a.last_activity_at,
	a.agent_status_message, a.agent_status_updated_at, a.last_event_type, a.last_event_at,
	a.active_tools, a.stalled_at`

// AgentFrom is the join every agent query uses.
const AgentFrom = ` FROM beads b INNER JOIN agent_metadata a ON a.bead_id = b.bead_id `

func ScanAgent(s Scanner) (*Agent, error) {
	var a Agent
	if err := s.Scan(&a.ID, &a.Name, &a.RigID, &a.CreatedAt, &a.Role, &a.Identity, &a.Status,
		&a.Hook, &a.DispatchAttempts, &a.Checkpoint, &a.LastActivityAt, &a.StatusMessage,
		&a.StatusUpdatedAt, &a.LastEventType, &a.LastEventAt, &a.ActiveTools, &a.StalledAt); err != nil {
		return nil, err
	}
	return &a, nil
}

// GetAgent returns the agent or nil when it does not exist.
func (t *Town) GetAgent(id string) (*Agent, error) {
	as, err := t.QueryAgents(`SELECT `+AgentColumns+AgentFrom+`WHERE b.bead_id = ?`, id)
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return as[0], nil
}

// QueryAgents runs a query selecting AgentColumns.
func (t *Town) QueryAgents(q string, args ...any) ([]*Agent, error) {
	rows, err := t.db.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Agent
	for rows.Next() {
		a, err := ScanAgent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ListAgents returns every agent, by bead created_at ascending.
func (t *Town) ListAgents() ([]*Agent, error) {
	return t.QueryAgents(`SELECT ` + AgentColumns + AgentFrom + `ORDER BY b.created_at ASC, b.rowid ASC`)
}
