package scenarios

import (
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// PropBlockedNotDispatched: a bead that a live `blocks` edge holds is not
// dispatched by the bead rules (reconciler.md §2.2): BD-1 takes only open
// issues none of whose blockers is still open, in progress or in review,
// and none of which is tracked by a staged convoy; BD-2 skips an idle
// agent's hook while any of the hook's blockers is live. Work that waits
// for other work (a convoy's chained tasks, an issue a user made depend on
// another) starts only once what it waits for is closed or failed, and a
// staged convoy's tasks only once the convoy is started.
const PropBlockedNotDispatched = "safety/blocked-bead-not-dispatched"

// blockedNotDispatchedProp: see PropBlockedNotDispatched. For each BD-1 or
// BD-2 dispatch it reads the bead's blocks edges and their blockers'
// status, and (BD-1) the staged flag of the convoys it tracks, from the
// rows at the tick's end. A blocker never leaves closed or failed (status
// updates refuse to), so a blocker live at the tick's end was live when
// the reconcile read it, unless the edge itself came later: a user's
// dependency edit sent after the tick fired excuses the bead.
type blockedNotDispatchedProp struct {
	judged int
}

func (p *blockedNotDispatchedProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Type != reconciler.DispatchAgent || (a.Rule != "BD-1" && a.Rule != "BD-2") || a.BeadID == "" {
		return
	}
	if t.w != nil {
		if at, ok := t.w.DependsEdits()[a.BeadID]; ok && !at.Before(c.tickStart) {
			return
		}
	}
	p.judged++
	for _, pr := range c.pairs(t.db, `SELECT blocker.bead_id, blocker.status FROM bead_dependencies bd
		JOIN beads blocker ON blocker.bead_id = bd.depends_on_bead_id
		WHERE bd.bead_id = ? AND bd.dependency_type = 'blocks' ORDER BY blocker.bead_id`, a.BeadID) {
		if !model.Terminal(pr[1]) {
			c.violation(PropBlockedNotDispatched, a.BeadID, "%s dispatched bead %s while its blocker %s is %s",
				a.Rule, short(a.BeadID), short(pr[0]), pr[1])
			return
		}
	}
	if a.Rule != "BD-1" {
		return
	}
	for _, pr := range c.pairs(t.db, `SELECT cm.bead_id, cm.staged FROM bead_dependencies bd
		JOIN convoy_metadata cm ON cm.bead_id = bd.depends_on_bead_id
		WHERE bd.bead_id = ? AND bd.dependency_type = 'tracks' ORDER BY cm.bead_id`, a.BeadID) {
		if pr[1] == "1" {
			c.violation(PropBlockedNotDispatched, a.BeadID, "BD-1 dispatched bead %s while convoy %s that tracks it is staged",
				short(a.BeadID), short(pr[0]))
			return
		}
	}
}

func (p *blockedNotDispatchedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "BD-1 and BD-2 dispatched nothing"
	}
	return ""
}
