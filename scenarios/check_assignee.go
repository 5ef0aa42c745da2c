package scenarios

import "github.com/townsim/townsim/model"

// PropOpenAssigneeHooked: an open issue's assignee is an agent hooked to
// it, or the issue has none, within the grace bound. The other side of
// hook-and-assignee-agree (which starts from the hook): an assignee left on
// an open issue its agent no longer holds keeps BD-1 from dispatching it
// (BD-1 takes only unassigned issues), so BD-1b clears it on every
// reconcile, draining or not (reconciler.md §2.2). Production's own
// exceptions are kept: an assignee named "system" and triage requests.
// Issues without a rig are not reconciled by BD-1 or BD-1b.
const PropOpenAssigneeHooked = "safety/open-issue-assignee-hooked"

func openAssigneeHookedProp() property {
	return dbPairProp{PropOpenAssigneeHooked, `SELECT b.bead_id, b.assignee_agent_bead_id FROM beads b
		WHERE b.type = 'issue' AND b.status = 'open'
		  AND b.assignee_agent_bead_id IS NOT NULL AND b.assignee_agent_bead_id != 'system'
		  AND b.rig_id IS NOT NULL
		  AND b.labels NOT LIKE '%"` + model.LabelTriageRequest + `"%'
		  AND NOT EXISTS (SELECT 1 FROM agent_metadata a
		    WHERE a.bead_id = b.assignee_agent_bead_id AND a.current_hook_bead_id = b.bead_id)
		ORDER BY b.bead_id`, "open issue %s keeps assignee %s, which is not hooked to it"}
}
