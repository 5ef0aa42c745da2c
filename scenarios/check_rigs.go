package scenarios

import (
	"strings"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// rigExistsProp: every bead (agents are beads too) that has a rig names one of the
// town's rigs. Production's beads get their rig from a rig the user's
// request was checked against (tRPC's verifyRigOwnership), from the
// agent that made them, or — a landing merge request — from a tracked
// bead's rig (CV-7 skips the landing while no tracked bead has one,
// reconciler.md §2.4); a user may move a bead out of every rig (NULL,
// or the empty string — tRPC updateBead takes any string, workload.unrig_empty), never
// into none, so a bead on the empty-string rig is one the world's user moved there.
// Checked every 12 ticks and at the end.
type rigExistsProp struct{ checked int }

func (p *rigExistsProp) tick(c *checker, t *tickView) {
	if c.ticks%12 == 0 {
		p.check(c, t.w, t.db)
	}
}

func (p *rigExistsProp) end(c *checker, w *sim.World, db *model.DB) { p.check(c, w, db) }

func (p *rigExistsProp) check(c *checker, w *sim.World, db *model.DB) {
	p.checked++
	moved := w.EmptyRigMoves()
	for _, pr := range c.pairs(db, `SELECT b.bead_id, b.type || ' on rig "' || b.rig_id || '"' FROM beads b
		WHERE b.rig_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rigs g WHERE g.id = b.rig_id)
		ORDER BY b.bead_id`) {
		if _, ok := moved[pr[0]]; ok && strings.HasSuffix(pr[1], ` on rig ""`) {
			continue // a user's updateBead with rig_id ''
		}
		c.violation(PropRigExists, pr[0], "bead %s (%s) names no rig of the town", short(pr[0]), pr[1])
	}
}

func (p *rigExistsProp) unjudged(*checker) string {
	if p.checked == 0 {
		return "the town never ran 12 ticks"
	}
	return ""
}
