package reconciler

import (
	"database/sql"
	"time"

	"github.com/townsim/townsim/model"
)

// applyTransitionAgent is transition_agent: updateAgentStatus (`from` is
// ignored); errors are caught.
func applyTransitionAgent(t *model.Town, now time.Time, a Action) error {
	_ = t.UpdateAgentStatus(now, a.AgentID, a.To)
	return nil
}

// applyResetAgentDispatchAttempts is reset_agent_dispatch_attempts: the
// agent's counter and its hooked bead's counters are zeroed; a failed
// hooked bead is "reopened" through updateBeadStatus, which the terminal
// guard makes a no-op (hazard 12); a hooked MR's retry_count is zeroed.
func applyResetAgentDispatchAttempts(t *model.Town, now time.Time, a Action) error {
	db := t.DB()
	var hook sql.NullString
	if err := queryOptional(db, `SELECT current_hook_bead_id FROM agent_metadata WHERE bead_id = ?`,
		[]any{a.AgentID}, &hook); err != nil {
		return err
	}
	if _, err := db.Exec(`UPDATE agent_metadata SET dispatch_attempts = 0 WHERE bead_id = ?`, a.AgentID); err != nil {
		return err
	}
	if !hook.Valid || hook.String == "" {
		return nil
	}
	hooked := hook.String
	var status, typ sql.NullString
	if err := queryOptional(db, `SELECT status, type FROM beads WHERE bead_id = ?`, []any{hooked}, &status, &typ); err != nil {
		return err
	}
	if _, err := db.Exec(`UPDATE beads SET dispatch_attempts = 0, last_dispatch_attempt_at = NULL WHERE bead_id = ?`,
		hooked); err != nil {
		return err
	}
	if status.String == model.StatusFailed {
		if _, err := t.UpdateBeadStatus(now, hooked, model.StatusOpen, "system", nil); err != nil {
			return err
		}
	}
	if typ.String == model.TypeMergeRequest {
		if _, err := db.Exec(`UPDATE review_metadata SET retry_count = 0 WHERE bead_id = ?`, hooked); err != nil {
			return err
		}
	}
	return nil
}

// applyHookAgent is hook_agent: hookBead; errors are caught.
func applyHookAgent(t *model.Town, now time.Time, a Action) error {
	_ = t.HookBead(now, a.AgentID, a.BeadID)
	return nil
}

// applyUnhookAgent is unhook_agent: unhookBead (a no-op for a missing or
// unhooked agent).
func applyUnhookAgent(t *model.Town, now time.Time, a Action) error {
	return t.UnhookBead(now, a.AgentID)
}

// applyClearAgentCheckpoint is clear_agent_checkpoint: checkpoint = NULL.
func applyClearAgentCheckpoint(t *model.Town, a Action) error {
	return t.WriteCheckpoint(a.AgentID, nil)
}

// applyDeleteAgent is delete_agent: deleteAgent; errors are caught.
func applyDeleteAgent(t *model.Town, now time.Time, a Action) error {
	_ = t.DeleteAgent(now, a.AgentID)
	return nil
}

// triageOptions are the options of a reconciler triage request; CLOSE is
// not a name the triage resolver accepts (hazard 6).
var triageOptions = []string{"RESTART", "CLOSE", "ESCALATE"}

// applyCreateTriageRequest is create_triage_request (§3.7): a triage
// request about the agent, with no rig and no hooked bead; errors are caught.
func applyCreateTriageRequest(t *model.Town, now time.Time, a Action) error {
	_ = t.CreateTriageRequest(now, model.TriageRequestInput{
		TriageType:  a.TriageType,
		AgentBeadID: a.AgentID,
		Title:       "Triage: " + a.Reason,
		Context:     map[string]any{"reason": a.Reason},
		Options:     append([]string(nil), triageOptions...),
	})
	return nil
}
