package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropDeleteRoute names the rig check of a user's delete.
const PropDeleteRoute = "safety/delete-respects-rig-route"

// deleteRouteProp: production's tRPC deleteBead names the rig of the
// page's route and deletes the bead only when it belongs to that rig
// (model.md §4.6): a delete through another rig's route leaves the bead,
// a delete through its own rig's route removes it. Judged from the
// world's requests (the rig each named, the bead's rig and row as the user
// saw them before, the row after).
type deleteRouteProp struct{ judged, seen int }

func (p *deleteRouteProp) everyTick(c *checker, _ *sim.TickRecord, w *sim.World) {
	reqs := w.DeleteRequests()
	for _, r := range reqs[p.seen:] {
		p.judge(c, r)
	}
	p.seen = len(reqs)
}

func (p *deleteRouteProp) end(c *checker, w *sim.World, _ *model.DB) { p.everyTick(c, nil, w) }

func (p *deleteRouteProp) judge(c *checker, r sim.DeleteRequest) {
	if r.Rig == "" || r.BeadRig == "" || !r.RowBefore {
		return
	}
	p.judged++
	switch {
	case r.Rig != r.BeadRig && !r.RowAfter:
		c.violation(PropDeleteRoute, r.Bead, "issue %s of rig %s was deleted at %s through the route of rig %s",
			short(r.Bead), r.BeadRig, r.At.Format(time.RFC3339), r.Rig)
	case r.Rig == r.BeadRig && r.RowAfter:
		c.violation(PropDeleteRoute, r.Bead, "issue %s of rig %s is still a row after its delete through its own rig's route at %s",
			short(r.Bead), r.BeadRig, r.At.Format(time.RFC3339))
	}
}

func (p *deleteRouteProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no user deleted an issue through a rig's route"
	}
	return ""
}
