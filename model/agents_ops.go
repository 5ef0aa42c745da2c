package model

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RegisterAgent inserts an agent bead and its agent_metadata row [M 4.8]
// (status idle, no hook, no bead event). rigID "" = NULL. A duplicate
// identity fails on the UNIQUE index.
func (t *Town) RegisterAgent(now time.Time, role, name, identity, rigID string) (*Agent, error) {
	return t.registerAgent(now, role, name, identity, NullIfEmpty(rigID))
}

func (t *Town) registerAgent(now time.Time, role, name, identity string, rig sql.NullString) (*Agent, error) {
	id := t.newID()
	ts := ISO(now)
	if _, err := t.db.Exec(insertBeadSQL,
		id, TypeAgent, StatusOpen, name, nil, rig, nil, nil, "medium", "[]", "{}", nil, ts, ts, nil); err != nil {
		return nil, err
	}
	if _, err := t.db.Exec(`INSERT INTO agent_metadata (bead_id, role, identity, container_process_id,
		status, current_hook_bead_id, dispatch_attempts, checkpoint, last_activity_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, role, identity, nil, AgentIdle, nil, 0, nil, nil); err != nil {
		return nil, err
	}
	a, err := t.GetAgent(id)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, errors.New("Failed to create agent")
	}
	return a, nil
}

// AllocatePolecatName returns the first pool name no polecat (any rig,
// any status) has, else Polecat-<number of distinct polecat names + 1>.
func (t *Town) AllocatePolecatName() (string, error) {
	titles, err := t.db.Strings(`SELECT b.title FROM beads b INNER JOIN agent_metadata a ON b.bead_id = a.bead_id WHERE a.role = 'polecat'`)
	if err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, n := range titles {
		used[n] = true
	}
	for _, n := range PolecatNames {
		if !used[n] {
			return n, nil
		}
	}
	return fmt.Sprintf("Polecat-%d", len(used)+1), nil
}

// GetOrCreateAgent returns an agent for the role in the rig [M 4.8]: the
// oldest mayor; the rig's first refinery whatever its status or hook; the
// rig's first idle unhooked agent of any other role. Otherwise it
// registers a new one named from the pool (polecats) or after the role,
// with identity <name>-<role>-<rig8>@<town8> and rig_id = rigID (even "").
func (t *Town) GetOrCreateAgent(now time.Time, role, rigID string) (*Agent, error) {
	var found []*Agent
	var err error
	switch role {
	case RoleMayor:
		found, err = t.QueryAgents(`SELECT `+AgentColumns+AgentFrom+`WHERE a.role = ? ORDER BY b.created_at ASC, b.rowid ASC`, role)
	case RoleRefinery:
		found, err = t.QueryAgents(`SELECT `+AgentColumns+AgentFrom+`WHERE a.role = ? AND b.rig_id = ? LIMIT 1`, role, rigID)
	default:
		found, err = t.QueryAgents(`SELECT `+AgentColumns+AgentFrom+`WHERE a.role = ? AND a.status = 'idle'
			AND a.current_hook_bead_id IS NULL AND b.rig_id = ? LIMIT 1`, role, rigID)
	}
	if err != nil {
		return nil, err
	}
	if len(found) > 0 {
		return found[0], nil
	}
	name := role
	if role == RolePolecat {
		if name, err = t.AllocatePolecatName(); err != nil {
			return nil, err
		}
	}
	identity := fmt.Sprintf("%s-%s-%s@%s", name, role, truncate(rigID, 8), truncate(t.kv.TownID, 8))
	return t.registerAgent(now, role, name, identity, Null(rigID))
}

// unhookableTypes are the bead types no agent may be hooked to.
func unhookableType(typ string) bool {
	switch typ {
	case TypeEscalation, TypeConvoy, TypeAgent, TypeMessage:
		return true
	}
	return false
}

// HookBead hooks the agent to the bead [M 4.9]. Preconditions, each an
// error that changes nothing: the agent and the bead exist, the bead type
// is workable, it is not a triage request, and the agent has no other
// hook. Re-hooking the same bead is a no-op. Other agents hooked to the
// bead are unhooked first. The agent becomes idle with a fresh
// last_activity_at; the bead gets the agent as assignee (status unchanged).
func (t *Town) HookBead(now time.Time, agentID, beadID string) error {
	a, err := t.existingAgent(agentID)
	if err != nil {
		return err
	}
	b, err := t.existingBead(beadID)
	if err != nil {
		return err
	}
	if unhookableType(b.Type) {
		return fmt.Errorf("Cannot hook agent to bead %s: type '%s' is not workable", beadID, b.Type)
	}
	if b.HasLabel(LabelTriageRequest) {
		return fmt.Errorf("Cannot hook agent to bead %s: triage requests are resolved via gt_triage_resolve", beadID)
	}
	if a.Hook.Valid && a.Hook.String == beadID {
		return nil
	}
	if a.Hook.Valid && a.Hook.String != "" {
		return fmt.Errorf("Agent %s is already hooked to bead %s. Unhook first.", agentID, a.Hook.String)
	}
	stale, err := t.db.Strings(`SELECT bead_id FROM agent_metadata WHERE current_hook_bead_id = ? AND bead_id != ?`, beadID, agentID)
	if err != nil {
		return err
	}
	for _, s := range stale {
		if err := t.UnhookBead(now, s); err != nil {
			return err
		}
	}
	ts := ISO(now)
	if _, err := t.db.Exec(`UPDATE agent_metadata SET current_hook_bead_id = ?, status = 'idle', last_activity_at = ?,
		agent_status_message = NULL, agent_status_updated_at = NULL WHERE bead_id = ?`, beadID, ts, agentID); err != nil {
		return err
	}
	if _, err := t.db.Exec(`UPDATE beads SET assignee_agent_bead_id = ?, updated_at = ? WHERE bead_id = ?`, agentID, ts, beadID); err != nil {
		return err
	}
	return t.logEvent(now, beadID, Null(agentID), "hooked", sql.NullString{}, Null(agentID), nil)
}

// UnhookBead clears the agent's hook [M 4.10]: no-op for a missing or
// unhooked agent; else hook NULL, idle, checkpoint NULL (stalled_at kept)
// and an unhooked event on the former hook. The bead is untouched.
func (t *Town) UnhookBead(now time.Time, agentID string) error {
	a, err := t.GetAgent(agentID)
	if err != nil || a == nil || !a.Hook.Valid || a.Hook.String == "" {
		return err
	}
	if _, err := t.db.Exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL, status = 'idle', checkpoint = NULL WHERE bead_id = ?`, agentID); err != nil {
		return err
	}
	return t.logEvent(now, a.Hook.String, Null(agentID), "unhooked", Null(agentID), sql.NullString{}, nil)
}

// UnhookAgentsOf unhooks (UnhookBead) every agent hooked to beadID, in
// row order; the first failure stops it.
func (t *Town) UnhookAgentsOf(now time.Time, beadID string) error {
	hooked, err := t.db.Strings(`SELECT bead_id FROM agent_metadata WHERE current_hook_bead_id = ?`, beadID)
	if err != nil {
		return err
	}
	for _, a := range hooked {
		if err := t.UnhookBead(now, a); err != nil {
			return err
		}
	}
	return nil
}

// UpdateAgentStatus writes the agent status [M 4.11]; stalled_at is kept
// (or set to now) on stalled and cleared on any other status. No
// existence check, any string accepted.
func (t *Town) UpdateAgentStatus(now time.Time, agentID, status string) error {
	_, err := t.db.Exec(`UPDATE agent_metadata SET status = ?,
		stalled_at = CASE WHEN ? = 'stalled' THEN COALESCE(stalled_at, ?) ELSE NULL END
		WHERE bead_id = ?`, status, status, ISO(now), agentID)
	return err
}

// WriteCheckpoint stores data as JSON, or NULL for nil [M 4.12].
func (t *Town) WriteCheckpoint(agentID string, data any) error {
	var v any
	if data != nil {
		v = MustJSON(data)
	}
	_, err := t.db.Exec(`UPDATE agent_metadata SET checkpoint = ? WHERE bead_id = ?`, v, agentID)
	return err
}

// Watermark is the SDK activity a heartbeat carries; "" / nil = not supplied.
type Watermark struct {
	LastEventType, LastEventAt string
	ActiveTools                []string
}

// TouchAgent is the heartbeat write [M 4.13]: last_activity_at = now,
// idle → working, dispatch_attempts = 0, watermark columns when supplied.
func (t *Town) TouchAgent(now time.Time, agentID string, w *Watermark) error {
	var typ, at, tools any
	if w != nil {
		if w.LastEventType != "" {
			typ = w.LastEventType
		}
		if w.LastEventAt != "" {
			at = w.LastEventAt
		}
		if w.ActiveTools != nil {
			tools = MustJSON(w.ActiveTools)
		}
	}
	_, err := t.db.Exec(`UPDATE agent_metadata SET last_activity_at = ?,
		status = CASE WHEN status = 'idle' THEN 'working' ELSE status END,
		dispatch_attempts = 0,
		last_event_type = COALESCE(?, last_event_type),
		last_event_at = COALESCE(?, last_event_at),
		active_tools = COALESCE(?, active_tools)
		WHERE bead_id = ?`, ISO(now), typ, at, tools, agentID)
	return err
}

// UpdateAgentStatusMessage writes the agent's status message [M 4.14] and,
// as the RPC wrapper does, an agent_status event on its hooked bead.
func (t *Town) UpdateAgentStatusMessage(now time.Time, agentID, msg string) error {
	if _, err := t.db.Exec(`UPDATE agent_metadata SET agent_status_message = ?, agent_status_updated_at = ? WHERE bead_id = ?`,
		msg, ISO(now), agentID); err != nil {
		return err
	}
	a, err := t.GetAgent(agentID)
	if err != nil || a == nil || !a.Hook.Valid || a.Hook.String == "" {
		return err
	}
	var rig *Rig
	if a.RigID.Valid && a.RigID.String != "" {
		if rig, err = t.GetRig(a.RigID.String); err != nil {
			return err
		}
	}
	meta := jsonObj{{"agentId", agentID}, {"message", msg}, {"agent_name", a.Name}, {"rig_id", nullJSON(a.RigID)}}
	if rig != nil {
		meta = append(meta, kv{"rig_name", rig.Name})
	}
	return t.logEvent(now, a.Hook.String, Null(agentID), "agent_status", sql.NullString{}, Null(msg), meta)
}

// DeleteAgent deletes an agent [M 4.6]: its terminal assigned beads lose
// the assignee, its non-terminal ones also go back to open (direct, no
// events), then the agent bead is deleted as DeleteBead does.
func (t *Town) DeleteAgent(now time.Time, id string) error {
	ts := ISO(now)
	if _, err := t.db.Exec(`UPDATE beads SET assignee_agent_bead_id = NULL, updated_at = ?
		WHERE assignee_agent_bead_id = ? AND status IN ('closed', 'failed')`, ts, id); err != nil {
		return err
	}
	if _, err := t.db.Exec(`UPDATE beads SET assignee_agent_bead_id = NULL, status = 'open', updated_at = ?
		WHERE assignee_agent_bead_id = ? AND status NOT IN ('closed', 'failed')`, ts, id); err != nil {
		return err
	}
	_, err := t.DeleteBead(now, id, "")
	return err
}

// HookBeadRPC is the Town's hookBead RPC (what the API calls, as opposed
// to the internal hook the reconciler and scheduling use): the hook of
// HookBead, then armAlarmIfNeeded, so that hooking work onto an idle town
// with no pending alarm starts its alarm loop. A failed hook arms nothing.
func (t *Town) HookBeadRPC(now time.Time, agentID, beadID string) error {
	if err := t.HookBead(now, agentID, beadID); err != nil {
		return err
	}
	t.armAlarmIfNeeded(now)
	return nil
}
