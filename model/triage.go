package model

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The triage actions production's triage-resolve route accepts (after
// upper-casing). DISCARD and PROVIDE_GUIDANCE have no server-side effect.
const (
	TriageRestart            = "RESTART"
	TriageRestartWithBackoff = "RESTART_WITH_BACKOFF"
	TriageCloseBead          = "CLOSE_BEAD"
	TriageEscalate           = "ESCALATE"
	TriageEscalateToMayor    = "ESCALATE_TO_MAYOR"
	TriageNudge              = "NUDGE"
	TriageReassignBead       = "REASSIGN_BEAD"
	TriageDiscard            = "DISCARD"
	TriageProvideGuidance    = "PROVIDE_GUIDANCE"
)

// TriageActions lists the accepted triage actions in the route's order.
var TriageActions = []string{TriageRestart, TriageRestartWithBackoff, TriageCloseBead, TriageEscalate,
	TriageEscalateToMayor, TriageNudge, TriageReassignBead, TriageDiscard, TriageProvideGuidance}

// triageNudgeMessage is the nudge text when the triage agent gives no notes.
const triageNudgeMessage = "The triage system has flagged you as potentially stuck. Please report your status."

// ResolveTriageInput is resolveTriage's input: the calling (triage) agent,
// the triage request bead, the chosen action and the resolution notes.
type ResolveTriageInput struct {
	AgentID             string
	TriageRequestBeadID string
	Action              string
	ResolutionNotes     string
}

// PendingTriageRequests returns the oldest open triage requests (issue
// beads labelled gt:triage-request), at most limit, by created_at: the
// list production's triage prompt is built from (limit 20 there).
func (t *Town) PendingTriageRequests(limit int) ([]*Bead, error) {
	return t.QueryBeads(`SELECT `+BeadColumns+` FROM beads b WHERE b.type = 'issue' AND b.labels LIKE ? AND b.status = 'open'
		ORDER BY b.created_at ASC LIMIT ?`, triageRequestLike, limit)
}

// HandleResolveTriage is production's triage-resolve route in front of
// ResolveTriage: an agent id is required; the triage request id and the
// action must be non-empty and the action, upper-cased, one of
// TriageActions; the agent must be hooked to a gt:triage batch created
// by patrol. The upper-cased action is what ResolveTriage receives (and
// stores). Each refusal is an error naming production's response.
func (t *Town) HandleResolveTriage(env Env, in ResolveTriageInput) error {
	if in.AgentID == "" {
		return errors.New("401: Agent authentication required")
	}
	action := strings.ToUpper(in.Action)
	if in.TriageRequestBeadID == "" || in.Action == "" || !slices.Contains(TriageActions, action) {
		return errors.New("400: Invalid request body")
	}
	a, err := t.GetAgent(in.AgentID)
	if err != nil {
		return err
	}
	var hooked *Bead
	if a != nil && a.Hook.Valid && a.Hook.String != "" {
		if hooked, err = t.GetBead(a.Hook.String); err != nil {
			return err
		}
	}
	if hooked == nil || !hooked.HasLabel(LabelTriage) || hooked.CreatedBy.String != "patrol" {
		return errors.New("403: Only triage agents can resolve triage requests")
	}
	in.Action = action
	return t.ResolveTriage(env, in)
}

// ResolveTriage is the Town's resolveTriage [M 4.21]. The request must
// exist, carry gt:triage-request and be open (errors otherwise, nothing
// written). When its metadata names an agent (agent_bead_id, a non-empty
// string), the upper-cased action is applied to that agent and to the
// bead captured in hooked_bead_id (when that key is not a string, the
// agent's current hook):
//
//   - RESTART / RESTART_WITH_BACKOFF (agent must exist): a working or
//     stalled agent still on that bead is stopped (fire-and-forget); a
//     bead with dispatch_attempts >= MaxDispatchAttempts is failed
//     (max_dispatch_attempts, actor system) and the agent unhooked —
//     whatever its hook — and nothing more; else an agent still on the
//     bead gets status idle and last_activity_at NULL (RESTART) or now
//     (backoff) by a direct write (counters and stalled_at untouched), and
//     the backoff stamps the bead's last_dispatch_attempt_at.
//   - CLOSE_BEAD: the bead is failed (triage_close, notes or "Closed via
//     triage") through UpdateBeadStatus; an agent still on it is stopped
//     when working/stalled and unhooked.
//   - ESCALATE / ESCALATE_TO_MAYOR: a "[Triage Escalation]" message to the
//     mayor (fire-and-forget SendMayorMessage).
//   - NUDGE (agent must exist): an immediate urgent nudge (source triage)
//     queued and pushed fire-and-forget, and a nudge.queued analytics event.
//   - REASSIGN_BEAD: an agent still on the bead is stopped when
//     working/stalled and unhooked; a bead at the dispatch cap is failed,
//     any other non-terminal one set open with no assignee (direct write).
//   - anything else (DISCARD, PROVIDE_GUIDANCE, the reconciler's CLOSE…):
//     no effect.
//
// Then the request is closed by a direct write (closed_at, resolution_action
// = the action as given, resolution_notes, resolved_by in metadata) with a
// manual status_changed event, a triage_resolved event is logged on the
// target bead (the snapshot bead, else the agent), and a linked escalation
// (metadata.context.escalation_bead_id) is closed through UpdateBeadStatus.
// Nothing is done to the triage batch bead or the calling agent's hook
// (the triage agent's gt_done closes the batch), and the alarm is not
// armed. Errors of writes stop the operation; earlier writes stay.
func (t *Town) ResolveTriage(env Env, in ResolveTriageInput) error {
	now := env.Now()
	req, err := t.GetBead(in.TriageRequestBeadID)
	if err != nil {
		return err
	}
	if req == nil {
		return fmt.Errorf("Triage request bead %s not found", in.TriageRequestBeadID)
	}
	if !req.HasLabel(LabelTriageRequest) {
		return fmt.Errorf("Bead %s is not a triage request", in.TriageRequestBeadID)
	}
	if req.Status != StatusOpen {
		return fmt.Errorf("Triage request %s is already %s — cannot resolve again", in.TriageRequestBeadID, req.Status)
	}
	targetAgentID, _ := req.MetaString("agent_bead_id")
	snapshot, hasSnapshot := req.MetaString("hooked_bead_id")
	action := strings.ToUpper(in.Action)

	if targetAgentID != "" {
		target, err := t.GetAgent(targetAgentID)
		if err != nil {
			return err
		}
		// beadOf is the snapshot bead, else (no snapshot key) the agent's
		// current hook; "" = none.
		beadOf := func() string {
			if hasSnapshot {
				return snapshot
			}
			if target != nil {
				return target.Hook.String
			}
			return ""
		}
		if err := t.applyTriageAction(env, in, action, req, targetAgentID, target, beadOf()); err != nil {
			return err
		}
	}

	ts := ISO(now)
	if _, err := t.db.Exec(`UPDATE beads SET status = 'closed', closed_at = ?, updated_at = ?,
		metadata = json_set(COALESCE(metadata, '{}'), '$.resolution_action', ?, '$.resolution_notes', ?, '$.resolved_by', ?)
		WHERE bead_id = ?`, ts, ts, in.Action, in.ResolutionNotes, in.AgentID, in.TriageRequestBeadID); err != nil {
		return err
	}
	if err := t.logEvent(now, in.TriageRequestBeadID, Null(in.AgentID), "status_changed", Null(req.Status), Null(StatusClosed),
		jsonObj{{"action", in.Action}, {"resolution_notes", in.ResolutionNotes}}); err != nil {
		return err
	}
	targetBeadID := targetAgentID
	if hasSnapshot {
		targetBeadID = snapshot
	}
	if targetBeadID != "" && targetBeadID != in.TriageRequestBeadID {
		if err := t.logEvent(now, targetBeadID, Null(in.AgentID), "triage_resolved", sql.NullString{}, Null(action),
			jsonObj{{"action", action}, {"resolution_notes", in.ResolutionNotes},
				{"triage_request_bead_id", in.TriageRequestBeadID}, {"target_agent_id", strOrNull(targetAgentID)}}); err != nil {
			return err
		}
	}
	if ctx, ok := req.Metadata["context"].(map[string]any); ok {
		if esc, _ := ctx["escalation_bead_id"].(string); esc != "" {
			if _, err := t.UpdateBeadStatus(now, esc, StatusClosed, in.AgentID, nil); err != nil {
				return err
			}
		}
	}
	u, err := t.GetBead(in.TriageRequestBeadID)
	if err == nil && u == nil {
		err = errors.New("Triage bead not found after update")
	}
	return err
}

// applyTriageAction applies action to the request's agent (target, nil
// when it no longer exists) and bead ("" = none) [M 4.21].
func (t *Town) applyTriageAction(env Env, in ResolveTriageInput, action string, req *Bead, agentID string, target *Agent, beadID string) error {
	now := env.Now()
	onBead := target != nil && beadID != "" && target.Hook.Valid && target.Hook.String == beadID
	busy := target != nil && (target.Status == AgentWorking || target.Status == AgentStalled)
	stop := func() {
		env.Go(func() { env.Call(Call{Kind: CallStopAgent, AgentID: agentID}) })
	}
	switch action {
	case TriageRestart, TriageRestartWithBackoff:
		if target == nil {
			return nil
		}
		if onBead && busy {
			stop()
		}
		if beadID != "" {
			b, err := t.GetBead(beadID)
			if err != nil {
				return err
			}
			if b != nil && b.DispatchAttempts >= t.knobs.MaxDispatchAttempts {
				if _, err := t.UpdateBeadStatus(now, beadID, StatusFailed, "system", &FailureReason{
					Code: "max_dispatch_attempts", Message: fmt.Sprintf("Dispatch attempts exhausted (%d)", b.DispatchAttempts),
					Source: "triage"}); err != nil {
					return err
				}
				return t.UnhookBead(now, agentID)
			}
		}
		if onBead {
			var activity any
			if action == TriageRestartWithBackoff {
				activity = ISO(now)
			}
			if _, err := t.db.Exec(`UPDATE agent_metadata SET status = 'idle', last_activity_at = ? WHERE bead_id = ?`,
				activity, agentID); err != nil {
				return err
			}
		}
		if action == TriageRestartWithBackoff && beadID != "" {
			if _, err := t.db.Exec(`UPDATE beads SET last_dispatch_attempt_at = ? WHERE bead_id = ?`, ISO(now), beadID); err != nil {
				return err
			}
		}
	case TriageCloseBead:
		if beadID == "" {
			return nil
		}
		msg := in.ResolutionNotes
		if msg == "" {
			msg = "Closed via triage"
		}
		if _, err := t.UpdateBeadStatus(now, beadID, StatusFailed, in.AgentID, &FailureReason{
			Code: "triage_close", Message: msg, Source: "triage"}); err != nil {
			return err
		}
		if onBead {
			if busy {
				stop()
			}
			return t.UnhookBead(now, agentID)
		}
	case TriageEscalateToMayor, TriageEscalate:
		msg := in.ResolutionNotes
		if msg == "" {
			msg = req.Title
		}
		if msg == "" {
			msg = "Triage escalation"
		}
		bead := "unknown"
		if snap, ok := req.MetaString("hooked_bead_id"); ok {
			bead = snap
		}
		text := fmt.Sprintf("[Triage Escalation] %s\n\nAgent: %s\nBead: %s", msg, agentID, bead)
		env.Go(func() { _ = t.SendMayorMessage(env, text) })
	case TriageNudge:
		if target == nil {
			return nil
		}
		msg := in.ResolutionNotes
		if msg == "" {
			msg = triageNudgeMessage
		}
		env.Go(func() {
			id, err := t.QueueNudge(env.Now(), NudgeInput{AgentID: agentID, Message: msg, Mode: "immediate",
				Priority: "urgent", Source: "triage"})
			if err != nil {
				return
			}
			r := env.Call(Call{Kind: CallSendMessage, AgentID: agentID, Message: msg})
			if r.Err == "" && r.OK {
				_ = t.MarkNudgeDelivered(env.Now(), id)
			}
		})
		t.emit(AnalyticsEvent{Event: "nudge.queued", TownID: t.kv.TownID, AgentID: agentID, Label: "triage_nudge"})
	case TriageReassignBead:
		if beadID == "" {
			return nil
		}
		if onBead {
			if busy {
				stop()
			}
			if err := t.UnhookBead(now, agentID); err != nil {
				return err
			}
		}
		b, err := t.GetBead(beadID)
		if err != nil {
			return err
		}
		if b != nil && b.DispatchAttempts >= t.knobs.MaxDispatchAttempts {
			_, err := t.UpdateBeadStatus(now, beadID, StatusFailed, in.AgentID, &FailureReason{
				Code: "max_dispatch_attempts", Message: fmt.Sprintf("Dispatch attempts exhausted during reassign (%d)", b.DispatchAttempts),
				Source: "triage"})
			return err
		}
		_, err = t.db.Exec(`UPDATE beads SET assignee_agent_bead_id = NULL, status = 'open', updated_at = ?
			WHERE bead_id = ? AND status != 'closed' AND status != 'failed'`, ISO(now), beadID)
		return err
	}
	return nil
}
