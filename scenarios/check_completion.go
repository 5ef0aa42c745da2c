package scenarios

import (
	"encoding/json"
	"strings"

	"github.com/townsim/townsim/model"
)

// PropCompletionByRole names the role-dependent effect of a container's
// exit report.
const PropCompletionByRole = "safety/exit-report-matches-role"

// completionProp: a container's exit report (agent_completed) does to the
// agent's hooked bead what the agent's role calls for (model.md §4.19):
//
//   - a refinery's report, whatever its status or reason, leaves its merge
//     request and its hook alone: the tick that applied it records no
//     status change of that merge request to failed or open by the
//     refinery, and (no action of that tick naming the refinery, the
//     merge request not ended by another input of that drain, such as its
//     PR's merge) the refinery is still hooked to it at the tick's end — a refinery that
//     died mid-review is recovered by the reconcile rules, its review is
//     not failed nor handed back by the exit itself;
//   - another agent's failed report fails its hooked bead: that tick
//     records a status change of the bead to failed, or the bead is
//     terminal at the tick's end; and the agent no longer holds it;
//   - another agent's "container eviction" report hands its in-progress
//     bead back: that tick records a status change of the bead to open,
//     or the bead is no longer in progress at the tick's end;
//   - another agent's completed report (no eviction) neither fails nor
//     reopens its bead: that tick records no status change of it to
//     failed or open by the agent.
//
// The hook and the bead's status are those the previous tick's end
// showed; a report applied in the same drain as the agent's own gt_done,
// or at the first tick judged, is not judged (gt_done moves the hook
// first). It reads the Town's input queue (the exit reports each drain
// applied: agent, status, reason), rows (agents' role and hook, the hooked
// bead's status, the bead's status_changed events in the tick) and the
// tick's actions.
type completionProp struct {
	hooks  map[string]hookSeen // agent → its hook at the previous tick's end
	judged int
}

// hookSeen is an agent's hook and that bead's status at a tick's end.
type hookSeen struct{ role, hook, status string }

func (p *completionProp) tick(c *checker, t *tickView) {
	prev := p.hooks
	p.hooks = map[string]hookSeen{}
	rows, err := t.db.Query(`SELECT a.bead_id, a.role, a.current_hook_bead_id, COALESCE(b.status, '')
		FROM agent_metadata a LEFT JOIN beads b ON b.bead_id = a.current_hook_bead_id
		WHERE a.current_hook_bead_id IS NOT NULL AND a.current_hook_bead_id != '' ORDER BY a.bead_id`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	for rows.Next() {
		var id string
		var h hookSeen
		if rows.Scan(&id, &h.role, &h.hook, &h.status) == nil {
			p.hooks[id] = h
		}
	}
	rows.Close()
	if prev == nil || t.res == nil {
		return
	}
	from, to := model.ISO(t.rec.At), model.ISO(t.rec.End)
	type report struct{ agent, status, reason string }
	var reports []report
	done := map[string]bool{}
	for _, e := range c.pairs(t.db, `SELECT agent_id, event_type || char(9) || COALESCE(payload, '{}') FROM town_events
		WHERE event_type IN ('agent_completed', 'agent_done') AND agent_id IS NOT NULL
		  AND processed_at >= ? AND processed_at <= ? ORDER BY processed_at, event_id`, from, to) {
		typ, payload, _ := strings.Cut(e[1], "\t")
		if typ == model.EventAgentDone {
			done[e[0]] = true
			continue
		}
		var pl struct{ Status, Reason string }
		_ = json.Unmarshal([]byte(payload), &pl)
		reports = append(reports, report{e[0], pl.Status, pl.Reason})
	}
	if len(reports) == 0 {
		return
	}
	acted := map[string]bool{}
	for _, a := range t.res.Actions {
		acted[a.AgentID] = true
	}
	for _, r := range reports {
		h, ok := prev[r.agent]
		if !ok || done[r.agent] {
			continue
		}
		now := p.hooks[r.agent]
		end := c.beadStatus(t.db, h.hook)
		switch {
		case h.role == model.RoleRefinery:
			p.judged++
			for _, st := range []string{model.StatusFailed, model.StatusOpen} {
				if p.changedBy(c, t, h.hook, r.agent, st) {
					c.violation(PropCompletionByRole, r.agent, "refinery %s's exit report (%s %q) set its merge request %s to %s",
						short(r.agent), r.status, r.reason, short(h.hook), st)
				}
			}
			if !acted[r.agent] && now.hook != h.hook && end != model.StatusClosed && end != model.StatusFailed {
				c.violation(PropCompletionByRole, r.agent, "refinery %s's exit report (%s %q) released its merge request %s (hook now %q)",
					short(r.agent), r.status, r.reason, short(h.hook), now.hook)
			}
		case r.status == model.StatusFailed:
			p.judged++
			if !p.changedBy(c, t, h.hook, r.agent, model.StatusFailed) && end != model.StatusFailed && end != model.StatusClosed {
				c.violation(PropCompletionByRole, r.agent, "%s %s's failed exit report left its %s bead %s %s",
					h.role, short(r.agent), h.status, short(h.hook), end)
			}
			if now.hook == h.hook && !acted[r.agent] {
				c.violation(PropCompletionByRole, r.agent, "%s %s's failed exit report left it hooked to %s",
					h.role, short(r.agent), short(h.hook))
			}
		case r.reason == "container eviction" && h.status == model.StatusInProgress:
			p.judged++
			if !p.changedBy(c, t, h.hook, r.agent, model.StatusOpen) && end == model.StatusInProgress {
				c.violation(PropCompletionByRole, r.agent, "%s %s's eviction report left its bead %s in progress",
					h.role, short(r.agent), short(h.hook))
			}
		case r.reason != "container eviction":
			p.judged++
			for _, st := range []string{model.StatusFailed, model.StatusOpen} {
				if p.changedBy(c, t, h.hook, r.agent, st) {
					c.violation(PropCompletionByRole, r.agent, "%s %s's %s exit report (%q) set its bead %s to %s",
						h.role, short(r.agent), r.status, r.reason, short(h.hook), st)
				}
			}
		}
	}
}

// changedBy reports whether the tick recorded a status change of bead to
// status by agent.
func (p *completionProp) changedBy(c *checker, t *tickView, bead, agent, status string) bool {
	return len(c.pairs(t.db, `SELECT bead_event_id, '' FROM bead_events
		WHERE bead_id = ? AND event_type = 'status_changed' AND new_value = ? AND agent_id = ?
		  AND created_at >= ? AND created_at <= ?`,
		bead, status, agent, model.ISO(t.rec.At), model.ISO(t.rec.End))) > 0
}

func (p *completionProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no hooked agent's exit report applied"
	}
	return ""
}
