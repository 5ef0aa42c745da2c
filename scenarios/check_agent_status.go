package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropAgentStatusShown names what an agent's status message leaves behind.
const PropAgentStatusShown = "safety/agent-status-shown"

// agentStatusShownProp: an agent's gt_status message is what the dashboard
// shows for it (model.md §4.14): right after the call the agent's row
// carries that message and the call's time; and, when the agent was
// hooked to a bead as it sent it, that bead's audit log gains one
// agent_status entry at that time, by that agent, with the message, the
// agent's name and its rig's id and name — none when it was not hooked.
// Judged at the end from the world's messages (the hook the dashboard
// listed just before, the row just after) against the bead_events rows;
// a hooked bead that was deleted since is not judged (its log went with
// it).
type agentStatusShownProp struct{ judged int }

func (p *agentStatusShownProp) end(c *checker, w *sim.World, db *model.DB) {
	for _, m := range w.StatusMessages() {
		p.judge(c, db, m)
	}
}

func (p *agentStatusShownProp) judge(c *checker, db *model.DB, m sim.StatusMessage) {
	at := model.ISO(m.At)
	p.judged++
	if m.ShownMessage != m.Message || m.ShownAt != at {
		c.violation(PropAgentStatusShown, m.Agent, "agent %s sent the status %q at %s; its row then showed %q at %q",
			short(m.Agent), m.Message, m.At.Format(time.RFC3339), m.ShownMessage, m.ShownAt)
	}
	// The agent's name and rig, and its rig's name, as the town lists them.
	who := c.pairs(db, `SELECT b.title, COALESCE(b.rig_id, '') || char(9) || COALESCE(g.name, '')
		FROM beads b LEFT JOIN rigs g ON g.id = b.rig_id WHERE b.bead_id = ?`, m.Agent)
	logged := c.pairs(db, `SELECT bead_id, COALESCE(new_value, '') || char(9) || COALESCE(json_extract(metadata, '$.agentId'), '')
			|| char(9) || COALESCE(json_extract(metadata, '$.message'), '') || char(9) || COALESCE(json_extract(metadata, '$.agent_name'), '')
			|| char(9) || COALESCE(json_extract(metadata, '$.rig_id'), '') || char(9) || COALESCE(json_extract(metadata, '$.rig_name'), '')
		FROM bead_events WHERE event_type = 'agent_status' AND agent_id = ? AND created_at = ? ORDER BY bead_id`, m.Agent, at)
	if m.HookBefore == "" {
		if len(logged) != 0 {
			c.violation(PropAgentStatusShown, m.Agent, "agent %s was hooked to nothing when it sent the status %q at %s, yet bead %s logged it",
				short(m.Agent), m.Message, m.At.Format(time.RFC3339), short(logged[0][0]))
		}
		return
	}
	if !c.beadExists(db, m.HookBefore) {
		return // the hooked bead was deleted since
	}
	want := m.Message + "\t" + m.Agent + "\t" + m.Message
	if len(who) == 1 {
		want += "\t" + who[0][0] + "\t" + who[0][1]
	}
	n := 0
	for _, l := range logged {
		if l[0] == m.HookBefore && l[1] == want {
			n++
		}
	}
	if n != 1 || len(logged) != 1 {
		got := ""
		if len(logged) > 0 {
			got = logged[0][0] + ": " + logged[0][1]
		}
		c.violation(PropAgentStatusShown, m.Agent, "agent %s hooked to %s sent the status %q at %s; the audit log holds %d agent_status entries for it (%q), want one on that bead with %q",
			short(m.Agent), short(m.HookBefore), m.Message, m.At.Format(time.RFC3339), len(logged), got, want)
	}
}

func (p *agentStatusShownProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no agent sent a status message"
	}
	return ""
}
