package model

import (
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// The alarm's Phase 3 housekeeping tasks (reconciler.md T15) that live on
// the Town. Each returns its error for the tick to log.

// Re-escalation constants (model.md §6.2).
const (
	StaleEscalationThreshold = 4 * time.Hour
	MaxReEscalations         = 3
)

// severityOrder is the escalation severity ladder.
var severityOrder = []string{"low", "medium", "high", "critical"}

// pendingMail is one undelivered message bead.
type pendingMail struct {
	from, subject, body string
}

// DeliverPendingMail pushes the undelivered mail of every working agent to
// its container, all agents concurrently (env.All). When the container
// accepts, the agent's open messages are closed and, if one has the
// subject TRIAGE_NUDGE, GUPP_ESCALATION or GUPP_CHECK, nudge.delivered is
// emitted; otherwise the mail stays for the next tick.
func (t *Town) DeliverPendingMail(env Env) error {
	beads, err := t.QueryBeads(`SELECT ` + BeadColumns + ` FROM beads b
		INNER JOIN agent_metadata a ON b.assignee_agent_bead_id = a.bead_id
		WHERE b.type = 'message' AND b.status = 'open' AND a.status = 'working'
		ORDER BY b.created_at ASC`)
	if err != nil {
		return err
	}
	var order []string
	byAgent := map[string][]pendingMail{}
	for _, b := range beads {
		to := b.Assignee.String
		if to == "" {
			continue
		}
		from := b.CreatedBy.String
		if v, ok := b.Metadata["from_agent_id"]; ok && v != nil {
			from = fmt.Sprint(v)
		}
		if _, seen := byAgent[to]; !seen {
			order = append(order, to)
		}
		byAgent[to] = append(byAgent[to], pendingMail{from: from, subject: b.Title, body: b.Body.String})
	}
	if len(order) == 0 {
		return nil
	}
	tasks := make([]func(), 0, len(order))
	for _, agentID := range order {
		agentID, msgs := agentID, byAgent[agentID]
		// A delivery that throws is swallowed by production's allSettled.
		tasks = append(tasks, func() { _ = t.deliverMail(env, agentID, msgs) })
	}
	env.All(tasks)
	return nil
}

// deliverMail pushes one agent's mail and marks it delivered on success.
func (t *Town) deliverMail(env Env, agentID string, msgs []pendingMail) error {
	lines := make([]string, len(msgs))
	special := false
	for i, m := range msgs {
		lines[i] = "[MAIL from " + m.from + "] " + m.subject + "\n" + m.body
		switch m.subject {
		case "TRIAGE_NUDGE", "GUPP_ESCALATION", "GUPP_CHECK":
			special = true
		}
	}
	prompt := fmt.Sprintf("You have %d new mail message(s):\n\n%s", len(msgs), strings.Join(lines, "\n\n---\n\n"))
	res := env.Call(Call{Kind: CallSendMessage, AgentID: agentID, Message: prompt})
	if res.Err != "" || !res.OK {
		return nil
	}
	if err := t.CheckMail(env.Now(), agentID); err != nil {
		return err
	}
	if special {
		t.emit(AnalyticsEvent{Event: "nudge.delivered", AgentID: agentID})
	}
	return nil
}

// staleEscalation is a re-escalation candidate.
type staleEscalation struct {
	id, rig, message, severity, createdAt string
	count                                 int
}

// ReEscalateStaleEscalations bumps the severity of every open,
// unacknowledged escalation (with escalation_metadata, fewer than 3
// re-escalations) older than (count+1) × 4 h, increments its count and,
// unless the new severity is low, sends the mayor
// "[Re-Escalation:<sev>] rig=<rig> <message>" without awaiting it
// (env.Go); a send that fails writes a notification_failed bead event.
// A stored severity outside the ladder fails the whole task, as
// production's row parse does.
func (t *Town) ReEscalateStaleEscalations(env Env) error {
	rows, err := t.db.Query(`SELECT b.bead_id, b.rig_id, b.title, b.body, b.created_at, e.severity, e.re_escalation_count
		FROM beads b INNER JOIN escalation_metadata e ON b.bead_id = e.bead_id
		WHERE b.status NOT IN ('closed', 'failed') AND e.acknowledged = 0 AND e.re_escalation_count < ?`, MaxReEscalations)
	if err != nil {
		return err
	}
	var list []staleEscalation
	for rows.Next() {
		var e staleEscalation
		var rig, body sql.NullString
		var title string
		if err := rows.Scan(&e.id, &rig, &title, &body, &e.createdAt, &e.severity, &e.count); err != nil {
			rows.Close()
			return err
		}
		e.rig, e.message = rig.String, title
		if body.Valid {
			e.message = body.String
		}
		list = append(list, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range list {
		if severityIndex(e.severity) < 0 {
			return fmt.Errorf("escalation %s: invalid severity %q", e.id, e.severity)
		}
	}
	now := env.Now()
	for _, e := range list {
		required := time.Duration(e.count+1) * StaleEscalationThreshold
		if created, ok := ParseTime(e.createdAt); ok && now.UnixMilli()-created.UnixMilli() < required.Milliseconds() {
			continue // an unparsable created_at gives NaN: never skipped
		}
		i := severityIndex(e.severity)
		if i >= len(severityOrder)-1 {
			continue
		}
		sev := severityOrder[i+1]
		if _, err := t.db.Exec(`UPDATE escalation_metadata SET severity = ?, re_escalation_count = re_escalation_count + 1
			WHERE bead_id = ?`, sev, e.id); err != nil {
			return err
		}
		if sev == "low" {
			continue
		}
		id, msg := e.id, fmt.Sprintf("[Re-Escalation:%s] rig=%s %s", sev, e.rig, e.message)
		env.Go(func() {
			if err := t.SendMayorMessage(env, msg); err != nil {
				_ = t.LogBeadEvent(env.Now(), BeadEvent{BeadID: id, Type: "notification_failed",
					Metadata: map[string]any{"target": "mayor", "reason": err.Error(), "severity": sev, "re_escalation": true}})
			}
		})
	}
	return nil
}

// severityIndex is the position of s on the ladder, -1 when unknown.
func severityIndex(s string) int {
	for i, x := range severityOrder {
		if x == s {
			return i
		}
	}
	return -1
}

// MaybeDispatchTriageAgent is the triage batch dispatch (reconciler.md
// T15, model.md §4.21): with triageCount > 0 pending requests, no patrol
// gt:triage batch open/in_progress or failed within the 30 s cooldown, and
// a rig config for the first of rigs (the tick's T2 list, created_at
// order; nil or empty = no rigs), it creates the
// batch issue, hooks a polecat of that rig, sets the batch in_progress and
// starts the agent with a lightweight workspace: started → working; not
// started → unhooked and the batch failed (container_start_failed).
func (t *Town) MaybeDispatchTriageAgent(env Env, triageCount int, rigs []*Rig) error {
	if triageCount <= 0 {
		return nil
	}
	now := env.Now()
	n, err := t.db.Int(`SELECT count(*) FROM (SELECT bead_id FROM beads
		WHERE type = 'issue' AND labels LIKE ? AND created_by = 'patrol'
			AND (status IN ('open', 'in_progress') OR (status = 'failed' AND updated_at > ?))
		LIMIT 1)`, triageBatchLike, ISO(now.Add(-DispatchCooldown)))
	if err != nil || n > 0 {
		return err
	}
	if len(rigs) == 0 {
		return nil
	}
	rigID := rigs[0].ID
	rc, ok := t.kv.RigConfigs[rigID]
	if !ok {
		return nil
	}
	if _, err := t.townConfig(); err != nil {
		return err
	}
	if _, err := t.pendingTriageRequestIDs(); err != nil {
		return err
	}
	batch, err := t.CreateBead(now, CreateBeadInput{Type: TypeIssue,
		Title:    fmt.Sprintf("Triage batch: %d request(s)", triageCount),
		Body:     "Work through every pending triage request bead and resolve each one.",
		Priority: "high", Labels: []string{LabelTriage}, CreatedBy: "patrol", RigID: rigID})
	if err != nil {
		return err
	}
	agent, err := t.GetOrCreateAgent(now, RolePolecat, rigID)
	if err != nil {
		return err
	}
	if err := t.HookBead(now, agent.ID, batch.ID); err != nil {
		return err
	}
	if _, err := t.UpdateBeadStatus(now, batch.ID, StatusInProgress, agent.ID, nil); err != nil {
		return err
	}
	c := startCall(agent.Name, batch.ID, "", rc)
	c.AgentID, c.BeadID, c.RigID, c.Role, c.Lightweight = agent.ID, batch.ID, rigID, RolePolecat, true
	out := t.startAgentInContainer(env, c)
	after := env.Now()
	if out.started {
		return t.UpdateAgentStatus(after, agent.ID, AgentWorking)
	}
	if err := t.UnhookBead(after, agent.ID); err != nil {
		return err
	}
	_, err = t.UpdateBeadStatus(after, batch.ID, StatusFailed, agent.ID, &FailureReason{
		Code: "container_start_failed", Message: "Triage agent failed to start in container", Source: "container"})
	return err
}
