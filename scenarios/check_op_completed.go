package scenarios

import (
	"encoding/json"

	"github.com/townsim/townsim/model"
)

// PropExitRecord names the record a container's exit report writes.
const PropExitRecord = "safety/exit-report-record"

// exitRecordProp: each exit report (agent_completed) the drain applies
// writes what model.md §4.19 promises, judged on the rows just before and
// just after that one application, from the report's own status and
// reason:
//
//   - a hooked agent that is not a refinery ends unhooked; on a failed
//     report its bead is failed (unless it was already terminal) with a
//     status_changed event whose failure reason has the code agent_failed;
//     on a completed "container eviction" report its in-progress bead is
//     back to open with no assignee;
//   - a hooked refinery keeps its hook, and its merge request's status;
//   - the agent ends idle unless it is a refinery that was working and
//     hooked (then its status is left as it was); a non-refinery's
//     dispatch_attempts is 0, a refinery's is left as it was.
//
// An agent unknown before the report is not judged (nothing is written).
type exitRecordProp struct{ judged int }

func (p *exitRecordProp) op(c *checker, o *opView) {
	if o.ev.Type != model.EventAgentCompleted || !o.ev.AgentID.Valid {
		return
	}
	id := o.ev.AgentID.String
	a, ok := o.before.agents[id]
	after, still := o.after.agents[id]
	if !ok || !still {
		return
	}
	status, _ := o.ev.Payload["status"].(string)
	if status != "completed" {
		status = model.StatusFailed
	}
	reason, _ := o.ev.Payload["reason"].(string)
	p.judged++
	bad := func(entity, format string, args ...any) {
		c.opViolation(o, PropExitRecord, entity, "exit report (%s, %q) of %s %s (hook %q, %s): "+format,
			append([]any{status, reason, a["role"], short(id), short(a["current_hook_bead_id"]), a["status"]}, args...)...)
	}
	hook := a["current_hook_bead_id"]
	refinery := a["role"] == model.RoleRefinery
	if hook != "" {
		hb, known := o.before.beads[hook]
		switch {
		case refinery:
			if after["current_hook_bead_id"] != hook {
				bad(id, "the refinery's hook is now %q", after["current_hook_bead_id"])
			}
			if known && o.after.beads[hook]["status"] != hb["status"] {
				bad(hook, "its merge request went %s → %s", hb["status"], o.after.beads[hook]["status"])
			}
		default:
			if after["current_hook_bead_id"] != "" {
				bad(id, "the agent is still hooked to %s", short(after["current_hook_bead_id"]))
			}
			if !known {
				break
			}
			if status == model.StatusFailed {
				if !endedAs(o, hook, model.StatusFailed) {
					bad(hook, "its bead is %s, not failed", o.after.beads[hook]["status"])
				} else if !model.Terminal(hb["status"]) && !o.failedByAgent(hook) {
					bad(hook, "its bead's failure records no agent_failed reason")
				}
			} else if hb["status"] == model.StatusInProgress && reason == "container eviction" {
				if b := o.after.beads[hook]; b["status"] != model.StatusOpen || b.has("assignee_agent_bead_id") {
					bad(hook, "its evicted bead is %s with assignee %q, not open without assignee", b["status"], b["assignee_agent_bead_id"])
				}
			}
		}
	}
	keep := refinery && hook != "" && a["status"] == "working"
	switch {
	case keep && after["status"] != a["status"]:
		bad(id, "the working, hooked refinery's status went %s → %s", a["status"], after["status"])
	case !keep && after["status"] != model.AgentIdle:
		bad(id, "the agent is %s, not idle", after["status"])
	case !refinery && after["dispatch_attempts"] != "0":
		bad(id, "its dispatch_attempts is %s, not 0", after["dispatch_attempts"])
	case refinery && after["dispatch_attempts"] != a["dispatch_attempts"]:
		bad(id, "the refinery's dispatch_attempts went %s → %s", a["dispatch_attempts"], after["dispatch_attempts"])
	}
}

// failedByAgent: the operation logged bead's change to failed with the
// failure reason code agent_failed.
func (o *opView) failedByAgent(bead string) bool {
	for _, e := range o.newEvents() {
		if e["bead_id"] != bead || e["event_type"] != "status_changed" || e["new_value"] != model.StatusFailed {
			continue
		}
		var m struct {
			FailureReason struct {
				Code string `json:"code"`
			} `json:"failure_reason"`
		}
		if json.Unmarshal([]byte(e["metadata"]), &m) == nil && m.FailureReason.Code == "agent_failed" {
			return true
		}
	}
	return false
}

func (p *exitRecordProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no exit report was applied"
	}
	return ""
}
