package model

import (
	"database/sql"
	"time"
)

// SendMail inserts a message bead (assignee = recipient, created_by =
// sender, labels ["gt:message","from:<sender>"]) and, when the recipient
// is hooked, a mail_sent event on its hooked bead. It returns the id.
func (t *Town) SendMail(now time.Time, from, to, subject, body string) (string, error) {
	id := t.newID()
	ts := ISO(now)
	if _, err := t.db.Exec(insertBeadSQL,
		id, TypeMessage, StatusOpen, subject, body, nil, nil, to, "medium",
		MustJSON([]string{LabelMessage, "from:" + from}),
		MustJSON(jsonObj{{"from_agent_id", from}, {"to_agent_id", to}}), from, ts, ts, nil); err != nil {
		return "", err
	}
	r, err := t.GetAgent(to)
	if err != nil {
		return "", err
	}
	if r != nil && r.Hook.Valid && r.Hook.String != "" {
		if err := t.logEvent(now, r.Hook.String, Null(from), "mail_sent", sql.NullString{}, sql.NullString{},
			jsonObj{{"subject", subject}, {"to", to}}); err != nil {
			return "", err
		}
	}
	return id, nil
}

// CheckMail is readAndDeliverMail: it reads the agent's open message beads
// and, if there are any, closes them all in one direct write.
func (t *Town) CheckMail(now time.Time, agentID string) error {
	_, err := t.readAndDeliverMail(now, agentID)
	return err
}

// readAndDeliverMail returns the agent's open messages (oldest first) and
// closes them.
func (t *Town) readAndDeliverMail(now time.Time, agentID string) ([]*Bead, error) {
	msgs, err := t.QueryBeads(`SELECT `+BeadColumns+` FROM beads b WHERE b.type = 'message'
		AND b.assignee_agent_bead_id = ? AND b.status = 'open' ORDER BY b.created_at ASC`, agentID)
	if err != nil || len(msgs) == 0 {
		return msgs, err
	}
	ts := ISO(now)
	_, err = t.db.Exec(`UPDATE beads SET status = 'closed', closed_at = ?, updated_at = ?
		WHERE type = 'message' AND assignee_agent_bead_id = ? AND status = 'open'`, ts, ts, agentID)
	return msgs, err
}
