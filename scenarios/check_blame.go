package scenarios

import (
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropBlameHasActor is the name of blameProp.
const PropBlameHasActor = "safety/failure-blames-an-actor-who-acted"

// blameProp: a merge request failed because "the polecat failed to create
// a PR" (RQ-OR, code review off: an open MR without a PR URL) was one a
// polecat worked towards — some polecat process of the world ran on the
// bead the MR tracks, or a polecat was hooked to it at the end of a tick
// (a process still running on its previous bead sends gt_done for the
// bead its agent is hooked to now). A failure that blames a polecat for an MR no polecat
// made (a system-created landing MR tracks its convoy, which no polecat
// works on) names a cause that did not happen. It reads the world's
// processes, the polecats' hooks, and the failed MRs' rows and status
// events.
type blameProp struct {
	worked map[string]bool // beads a polecat process ran on
	judged int
}

func (p *blameProp) tick(c *checker, t *tickView) {
	for _, pv := range t.procs {
		if pv.Role == model.RolePolecat && pv.BeadID != "" {
			p.worked[pv.BeadID] = true
		}
	}
	hooks, _ := t.db.Strings(`SELECT current_hook_bead_id FROM agent_metadata
		WHERE role = 'polecat' AND current_hook_bead_id IS NOT NULL`)
	for _, h := range hooks {
		p.worked[h] = true
	}
}

func (p *blameProp) end(c *checker, w *sim.World, db *model.DB) {
	for _, pr := range c.pairs(db, `SELECT b.bead_id, COALESCE((SELECT bd.depends_on_bead_id FROM bead_dependencies bd
			WHERE bd.bead_id = b.bead_id AND bd.dependency_type = 'tracks' LIMIT 1), '')
		FROM beads b
		WHERE b.type = 'merge_request' AND b.status = 'failed' AND EXISTS (SELECT 1 FROM bead_events e
			WHERE e.bead_id = b.bead_id AND e.event_type = 'status_changed' AND e.new_value = 'failed'
				AND e.metadata LIKE '%polecat failed to create PR%')
		ORDER BY b.bead_id`) {
		p.judged++
		if !p.worked[pr[1]] {
			c.violation(PropBlameHasActor, pr[0], "merge request %s failed as a polecat's failure to create a PR, but no polecat ran on the bead it tracks (%s)",
				short(pr[0]), short(pr[1]))
		}
	}
}

func (p *blameProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge request failed for a polecat's missing PR"
	}
	return ""
}
