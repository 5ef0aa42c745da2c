package model

import (
	"time"
)

// MaxOpenTriageRequests caps the open non-escalation triage requests.
const MaxOpenTriageRequests = 5

// TriageRequestInput is createTriageRequest's input. AgentBeadID,
// HookedBeadID and RigID "" = null; nil Context / Options encode as {} / [].
type TriageRequestInput struct {
	TriageType, AgentBeadID, HookedBeadID, Title, RigID string
	Context                                             map[string]any
	Options                                             []string
}

// CreateTriageRequest creates a gt:triage-request issue bead [M 4.21]
// unless one of the same type is already open for the agent, or (for any
// type but escalation) five open requests whose metadata.triage_type is
// present and not escalation already exist. Requests without a
// triage_type are not counted: SQL's != yields NULL for a missing key.
func (t *Town) CreateTriageRequest(now time.Time, in TriageRequestInput) error {
	if in.AgentBeadID != "" {
		n, err := t.db.Int(`SELECT 1 FROM beads WHERE type = 'issue' AND labels LIKE ? AND status = 'open'
			AND assignee_agent_bead_id = ? AND json_extract(metadata, '$.triage_type') = ? LIMIT 1`,
			triageRequestLike, in.AgentBeadID, in.TriageType)
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	if in.TriageType != "escalation" {
		n, err := t.db.Int(`SELECT COUNT(*) AS cnt FROM beads WHERE type = 'issue' AND labels LIKE ? AND status = 'open'
			AND json_extract(metadata, '$.triage_type') != 'escalation'`, triageRequestLike)
		if err != nil {
			return err
		}
		if n >= MaxOpenTriageRequests {
			return nil
		}
	}
	var ctx any = in.Context
	if in.Context == nil {
		ctx = jsonObj{}
	}
	opts := in.Options
	if opts == nil {
		opts = []string{}
	}
	meta := jsonObj{
		{"triage_type", in.TriageType},
		{"agent_bead_id", strOrNull(in.AgentBeadID)},
		{"hooked_bead_id", strOrNull(in.HookedBeadID)},
		{"context", ctx},
		{"options", opts},
	}
	_, err := t.createBead(now, CreateBeadInput{
		Type:     TypeIssue,
		Title:    in.Title,
		Body:     MustJSON(ctx),
		Priority: "medium",
		Labels:   []string{LabelTriageRequest},
		Assignee: in.AgentBeadID,
		RigID:    in.RigID,
	}, meta)
	return err
}

// PendingTriageCount counts open issue beads labelled gt:triage-request.
func (t *Town) PendingTriageCount() (int, error) {
	return t.db.Int(`SELECT COUNT(*) AS cnt FROM beads WHERE type = 'issue' AND labels LIKE ? AND status = 'open'`, triageRequestLike)
}
