package scenarios

import (
	"testing"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// firesOn reports whether judge makes prop fire on a fresh failure list.
func firesOn(c *checker, prop string, judge func()) bool {
	c.failures, c.seen = nil, map[string]bool{}
	judge()
	for _, v := range c.failures {
		if v.Property == prop {
			return true
		}
	}
	return false
}

// safety/agent-status-shown and safety/user-edit-applied stay quiet on a
// real agents-and-editors run and fire on hand-made violations of it: a
// row that does not show the message, an entry logged for an unhooked
// agent, the hooked bead's entry missing or naming another rig; an edit
// not written, a status taken from a terminal issue, the fields_updated
// entry missing or naming other fields.
func TestAgentStatusAndUserEditFire(t *testing.T) {
	c, db := passedRun(t, "agents-and-editors", 0)
	exec, _ := rowsOf(t, db)
	msgs := c.world.StatusMessages()
	hooked, free := -1, -1
	for i, m := range msgs {
		switch {
		case m.HookBefore != "" && hooked < 0 && len(c.pairs(db, `SELECT bead_id, '' FROM beads WHERE bead_id = ?`, m.HookBefore)) == 1:
			hooked = i
		case m.HookBefore == "" && free < 0:
			free = i
		}
	}
	if hooked < 0 || free < 0 {
		t.Fatalf("no status message from a hooked (%d) or an unhooked (%d) agent in %d", hooked, free, len(msgs))
	}
	status := func(m sim.StatusMessage) func() {
		return func() { propByName(t, PropAgentStatusShown).(*agentStatusShownProp).judge(c, db, m) }
	}
	for _, i := range []int{hooked, free} {
		if firesOn(c, PropAgentStatusShown, status(msgs[i])) {
			t.Fatalf("fires on the real message %+v: %v", msgs[i], c.failures)
		}
	}
	shownOther := msgs[hooked]
	shownOther.ShownMessage = "an older message"
	unhooked := msgs[hooked]
	unhooked.HookBefore = ""
	if !firesOn(c, PropAgentStatusShown, status(shownOther)) {
		t.Error("quiet on a row that does not show the message")
	}
	if !firesOn(c, PropAgentStatusShown, status(unhooked)) {
		t.Error("quiet on an entry logged for an agent hooked to nothing")
	}
	at := model.ISO(msgs[hooked].At)
	exec(`UPDATE bead_events SET metadata = json_set(metadata, '$.rig_name', 'elsewhere')
		WHERE event_type = 'agent_status' AND agent_id = ? AND created_at = ?`, msgs[hooked].Agent, at)
	if !firesOn(c, PropAgentStatusShown, status(msgs[hooked])) {
		t.Error("quiet on an entry naming another rig")
	}
	exec(`DELETE FROM bead_events WHERE event_type = 'agent_status' AND agent_id = ? AND created_at = ?`, msgs[hooked].Agent, at)
	if !firesOn(c, PropAgentStatusShown, status(msgs[hooked])) {
		t.Error("quiet on a hooked agent's message the bead did not log")
	}

	edits := c.world.EditRequests()
	closing, plain := -1, -1
	for i, e := range edits {
		if e.After == nil || len(c.pairs(db, `SELECT bead_id, '' FROM beads WHERE bead_id = ?`, e.Bead)) == 0 {
			continue
		}
		switch {
		case e.Status != "" && closing < 0:
			closing = i
		case e.Status == "" && e.Parent != "" && plain < 0:
			plain = i
		}
	}
	if closing < 0 || plain < 0 {
		t.Fatalf("no closing (%d) or plain edit with a parent (%d) in %d edits", closing, plain, len(edits))
	}
	edit := func(e sim.EditRequest) func() {
		return func() { propByName(t, PropUserEditApplied).(*userEditProp).judge(c, db, e) }
	}
	for _, i := range []int{closing, plain} {
		if firesOn(c, PropUserEditApplied, edit(edits[i])) {
			t.Fatalf("fires on the real edit %+v: %v", edits[i], c.failures)
		}
	}
	notWritten := edits[plain]
	notWritten.After = append([]string(nil), notWritten.After...)
	notWritten.After[0] = "the old title"
	notClosed := edits[closing]
	notClosed.After = append([]string(nil), notClosed.After...)
	notClosed.After[4] = model.StatusOpen
	reopened := edits[closing]
	reopened.StatusBefore = model.StatusFailed // the guard should have kept failed
	noParent := edits[plain]
	noParent.After = append([]string(nil), noParent.After...)
	noParent.After[3] = ""
	for name, e := range map[string]sim.EditRequest{"title": notWritten, "status": notClosed, "guard": reopened, "parent": noParent} {
		if !firesOn(c, PropUserEditApplied, edit(e)) {
			t.Errorf("quiet on an edit whose %s is wrong: %+v", name, e)
		}
	}
	at = model.ISO(edits[plain].At)
	exec(`UPDATE bead_events SET metadata = json_set(metadata, '$.changed', json('["title"]'))
		WHERE event_type = 'fields_updated' AND bead_id = ? AND created_at = ?`, edits[plain].Bead, at)
	if !firesOn(c, PropUserEditApplied, edit(edits[plain])) {
		t.Error("quiet on a fields_updated entry naming other fields")
	}
	exec(`DELETE FROM bead_events WHERE event_type = 'fields_updated' AND bead_id = ? AND created_at = ?`, edits[plain].Bead, at)
	if !firesOn(c, PropUserEditApplied, edit(edits[plain])) {
		t.Error("quiet on an edit the audit log lacks")
	}
}
