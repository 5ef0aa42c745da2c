package scenarios

import (
	"slices"

	"github.com/townsim/townsim/model"
)

// PropContainerStatusRecord names what applying a container_status
// event writes.
const PropContainerStatusRecord = "safety/container-status-record"

// containerStatusRecordProp: applying a container_status event (model.md
// §3.4, reconciler.md T7) touches only the event's agent and never a
// bead's status: an agent that was working or stalled, for an exited or
// not_found status, ends idle with no stalled_at (the status write
// clears it on any status but stalled, model.md §4.11; not_found may
// instead be ignored within its grace after the agent's last activity);
// any other status, or an agent in any other status, leaves the agent's
// status and hook as they were. Only a refinery whose hooked bead was terminal is unhooked there
// (hook and checkpoint cleared); any other agent keeps its hook — a
// polecat's finished hook is AG-4's to release, not the container's. No
// other agent's status or hook changes, and no hooked bead's status.
// Judged on the agents' rows (with their hooked bead's status) just
// before and just after the one application.
type containerStatusRecordProp struct{ judged int }

func (p *containerStatusRecordProp) op(c *checker, o *opView) {
	if o.ev.Type != model.EventContainerStatus || !o.ev.AgentID.Valid {
		return
	}
	id := o.ev.AgentID.String
	p.judged++
	for _, other := range slices.Sorted(mapKeys(o.before.agents)) {
		if other == id {
			continue
		}
		b, a := o.before.agents[other], o.after.agents[other]
		if a != nil && (a["status"] != b["status"] || a["current_hook_bead_id"] != b["current_hook_bead_id"]) {
			c.opViolation(o, PropContainerStatusRecord, other, "a container_status event of agent %s moved agent %s from %s hooked to %q to %s hooked to %q",
				short(id), short(other), b["status"], b["current_hook_bead_id"], a["status"], a["current_hook_bead_id"])
		}
	}
	for _, other := range slices.Sorted(mapKeys(o.before.agents)) {
		b, a := o.before.agents[other], o.after.agents[other]
		if hook := b["current_hook_bead_id"]; hook != "" && a != nil && a["current_hook_bead_id"] == hook && a["hook_status"] != b["hook_status"] {
			c.opViolation(o, PropContainerStatusRecord, hook, "a container_status event of agent %s moved bead %s (agent %s's hook) from %s to %s",
				short(id), short(hook), short(other), b["hook_status"], a["hook_status"])
		}
	}
	b, ok := o.before.agents[id]
	a, still := o.after.agents[id]
	if !ok || !still {
		return
	}
	status, _ := o.ev.Payload["status"].(string)
	applies := (status == "exited" || status == "not_found") &&
		(b["status"] == model.AgentWorking || b["status"] == model.AgentStalled)
	unchanged := a["status"] == b["status"] && a["current_hook_bead_id"] == b["current_hook_bead_id"]
	switch {
	case !applies:
		if !unchanged {
			c.opViolation(o, PropContainerStatusRecord, id, "container_status %q of agent %s (%s, hooked to %q) moved it to %s hooked to %q; want it left as it was",
				status, short(id), b["status"], b["current_hook_bead_id"], a["status"], a["current_hook_bead_id"])
		}
		return
	case status == "not_found" && unchanged:
		return // within the grace after its last activity
	case a["status"] != model.AgentIdle:
		c.opViolation(o, PropContainerStatusRecord, id, "container_status %q of %s agent %s left it %s; want idle", status, b["status"], short(id), a["status"])
	case a.has("stalled_at"):
		c.opViolation(o, PropContainerStatusRecord, id, "container_status %q idled %s agent %s but kept stalled_at %s; an idle agent has none (model.md §4.11)",
			status, b["status"], short(id), a["stalled_at"])
	}
	hook := b["current_hook_bead_id"]
	release := b["role"] == model.RoleRefinery && hook != "" && slices.Contains([]string{model.StatusClosed, model.StatusFailed}, b["hook_status"])
	switch {
	case release && (a.has("current_hook_bead_id") || a.has("checkpoint")):
		c.opViolation(o, PropContainerStatusRecord, id, "container_status %q of refinery %s hooked to terminal %s left hook %q, checkpoint %q; want both cleared",
			status, short(id), short(hook), a["current_hook_bead_id"], a["checkpoint"])
	case !release && a["current_hook_bead_id"] != hook:
		c.opViolation(o, PropContainerStatusRecord, id, "container_status %q of %s %s hooked to %q (%s) changed its hook to %q; only a refinery on a terminal hook is unhooked there",
			status, b["role"], short(id), hook, b["hook_status"], a["current_hook_bead_id"])
	}
}

func (p *containerStatusRecordProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "the drain applied no container_status event"
	}
	return ""
}
