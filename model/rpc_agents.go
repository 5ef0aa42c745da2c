package model

import (
	"database/sql"
	"time"
)

// HeartbeatInput is an agent heartbeat's optional content.
type HeartbeatInput struct {
	// Watermark is the SDK activity watermark; nil = none supplied.
	Watermark *Watermark
	// ContainerInstanceID identifies the container process; "" = none.
	ContainerInstanceID string
}

// Heartbeat is touchAgentHeartbeat: touchAgent (model.md §4.13), arm the
// alarm, then compare the container instance id with the stored one: a
// new instance while draining clears the drain flag (reconciler.md §1.5);
// a new id is stored. It returns the current drain nonce ("" = none).
func (t *Town) Heartbeat(now time.Time, agentID string, in HeartbeatInput) (string, error) {
	if err := t.TouchAgent(now, agentID, in.Watermark); err != nil {
		return "", err
	}
	t.armAlarmIfNeeded(now)
	if id := in.ContainerInstanceID; id != "" {
		if t.kv.Draining && t.kv.ContainerInstanceID != "" && id != t.kv.ContainerInstanceID {
			if err := t.ClearDrain(); err != nil {
				return "", err
			}
		}
		t.kv.ContainerInstanceID = id
	}
	return t.kv.DrainNonce, nil
}

// ClearDrain clears the container-eviction drain flag, its nonce and its
// start time (KV; reconciler.md §1.5). It fails, changing nothing, when
// the KV write fails (failpoint FPKVWrite).
func (t *Town) ClearDrain() error {
	if err := t.Fault(FPKVWrite, "town:draining"); err != nil {
		return err
	}
	t.kv.Draining = false
	t.kv.DrainNonce = ""
	t.kv.DrainStartedAt = time.Time{}
	return nil
}

// AgentDone is the gt_done RPC: it only queues an agent_done event
// ({branch, pr_url?, summary?}) and arms the alarm; the state changes
// when the next tick drains it.
func (t *Town) AgentDone(now time.Time, agentID string, in AgentDoneInput) error {
	p := map[string]any{"branch": in.Branch}
	if in.PRURL != "" {
		p["pr_url"] = in.PRURL
	}
	if in.Summary != "" {
		p["summary"] = in.Summary
	}
	if _, err := t.InsertEvent(now, EventAgentDone, agentID, "", p); err != nil {
		return err
	}
	t.armAlarmIfNeeded(now)
	return nil
}

// AgentCompleted is the container's process-exit callback: an empty
// agentID stands for the mayor (stored as an empty string when there is none). It only
// queues an agent_completed event ({status, reason?}), emits agent.exited
// and arms the alarm.
func (t *Town) AgentCompleted(now time.Time, agentID string, in AgentCompletedInput) error {
	resolved := agentID
	if resolved == "" {
		m, err := t.firstMayor()
		if err != nil {
			return err
		}
		if m != nil {
			resolved = m.ID
		}
	}
	p := map[string]any{"status": in.Status}
	if in.Reason != "" {
		p["reason"] = in.Reason
	}
	if _, err := t.insertEventRow(now, EventAgentCompleted, Null(resolved), sql.NullString{}, MustJSON(p)); err != nil {
		return err
	}
	if resolved != "" {
		a, err := t.GetAgent(resolved)
		if err != nil {
			return err
		}
		e := AnalyticsEvent{Event: "agent.exited", AgentID: resolved}
		if a != nil {
			e.Role = a.Role
		}
		t.emit(e)
	}
	t.armAlarmIfNeeded(now)
	return nil
}

// ResetAgent is the mayor's reset of an agent: a hooked non-terminal bead
// goes back to open with its dispatch counters cleared; an unhooked event
// (reason agent_reset) and the unhook follow; the agent ends idle with
// dispatch_attempts 0.
func (t *Town) ResetAgent(now time.Time, agentID string) error {
	a, err := t.existingAgent(agentID)
	if err != nil {
		return err
	}
	if h := a.Hook.String; a.Hook.Valid && h != "" {
		b, err := t.GetBead(h)
		if err != nil {
			return err
		}
		if b != nil && !Terminal(b.Status) {
			if _, err := t.UpdateBeadStatus(now, h, StatusOpen, agentID, nil); err != nil {
				return err
			}
			if _, err := t.db.Exec(`UPDATE beads SET dispatch_attempts = 0, last_dispatch_attempt_at = NULL WHERE bead_id = ?`, h); err != nil {
				return err
			}
		}
		if err := t.LogBeadEvent(now, BeadEvent{BeadID: h, AgentID: agentID, Type: "unhooked",
			NewValue: Null(StatusOpen), Metadata: map[string]any{"reason": "agent_reset", "actor": "mayor"}}); err != nil {
			return err
		}
		if err := t.UnhookBead(now, agentID); err != nil {
			return err
		}
	}
	if err := t.UpdateAgentStatus(now, agentID, AgentIdle); err != nil {
		return err
	}
	_, err = t.db.Exec(`UPDATE agent_metadata SET dispatch_attempts = 0 WHERE bead_id = ?`, agentID)
	return err
}

// ResetAgentDispatchAttempts zeroes the agent's dispatch counter and its
// hooked bead's counter and timestamp, without unhooking. (Production also
// checks the caller's rig against the agent's; the simulated caller is
// always the agent's own rig.)
func (t *Town) ResetAgentDispatchAttempts(now time.Time, agentID string) error {
	a, err := t.existingAgent(agentID)
	if err != nil {
		return err
	}
	if _, err := t.db.Exec(`UPDATE agent_metadata SET dispatch_attempts = 0 WHERE bead_id = ?`, agentID); err != nil {
		return err
	}
	if a.Hook.Valid && a.Hook.String != "" {
		_, err = t.db.Exec(`UPDATE beads SET dispatch_attempts = 0, last_dispatch_attempt_at = NULL WHERE bead_id = ?`, a.Hook.String)
	}
	return err
}
