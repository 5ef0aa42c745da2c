package scenarios

import (
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropUserEditApplied names the outcome of a user's field edit.
const PropUserEditApplied = "safety/user-edit-applied"

// userEditProp: a user's updateBead writes what the user sent (model.md
// §4.5): right after it the issue shows the sent title, description,
// priority and parent, updated_at is the edit's time, and a status the
// user sent is taken unless the issue was already terminal (the terminal
// guard keeps it); and the audit log holds one fields_updated entry at
// that time by the user naming exactly the fields sent other than the
// status. Judged from the world's edits (the row the user saw before and
// after) and, at the end, the bead_events rows of issues still there.
type userEditProp struct{ judged int }

func (p *userEditProp) end(c *checker, w *sim.World, db *model.DB) {
	for _, e := range w.EditRequests() {
		p.judge(c, db, e)
	}
}

func (p *userEditProp) judge(c *checker, db *model.DB, e sim.EditRequest) {
	if e.After == nil {
		return
	}
	p.judged++
	at := model.ISO(e.At)
	status := e.StatusBefore
	if e.Status != "" && !model.Terminal(e.StatusBefore) {
		status = e.Status
	}
	want := []string{e.Title, e.Body, e.Priority, e.Parent, status, at}
	if e.Parent == "" {
		want[3] = e.After[3] // no parent sent: whatever it was
	}
	if !slices.Equal(e.After, want) {
		c.violation(PropUserEditApplied, e.Bead, "issue %s after the user's edit at %s shows %q, want %q (title, body, priority, parent, status, updated_at)",
			short(e.Bead), e.At.Format(time.RFC3339), e.After, want)
	}
	changed := []string{"body", "priority", "title"}
	if e.Parent != "" {
		changed = append(changed, "parent_bead_id")
	}
	slices.Sort(changed)
	logged := c.pairs(db, `SELECT COALESCE(agent_id, ''), COALESCE((SELECT group_concat(value, ',') FROM
			(SELECT value FROM json_each(metadata, '$.changed') ORDER BY value)), '')
		FROM bead_events WHERE bead_id = ? AND event_type = 'fields_updated' AND created_at = ?`, e.Bead, at)
	if len(c.pairs(db, `SELECT bead_id, '' FROM beads WHERE bead_id = ?`, e.Bead)) == 0 {
		return // deleted since: its log went with it
	}
	if len(logged) != 1 || logged[0][0] != "user" || logged[0][1] != strings.Join(changed, ",") {
		c.violation(PropUserEditApplied, e.Bead, "issue %s edited by the user at %s logs fields_updated %q, want one by user naming %s",
			short(e.Bead), e.At.Format(time.RFC3339), logged, strings.Join(changed, ","))
	}
}

func (p *userEditProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no user edited an issue"
	}
	return ""
}
