package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropDeleteCount names the check of the count a user's delete reports.
const PropDeleteCount = "safety/delete-count-matches-rows"

// deleteCountProp: production's tRPC deleteBead answers the user with how
// many beads it deleted (model.md §4.6): one id is deleted or not (1 or
// 0); a list goes to deleteBeads, which keeps only the ids the route's rig
// owns and counts them with every descendant it deletes, so the count is
// the number of bead rows that disappeared — 0 when the rig owns none.
// Judged from the world's requests: the count each answered, whether the
// named issue was a row before and after, and the town's bead rows just
// before and just after (the request runs alone: nothing else writes in
// between).
type deleteCountProp struct{ judged, seen int }

func (p *deleteCountProp) everyTick(c *checker, _ *sim.TickRecord, w *sim.World) {
	reqs := w.DeleteRequests()
	for _, r := range reqs[p.seen:] {
		p.judge(c, r)
	}
	p.seen = len(reqs)
}

func (p *deleteCountProp) end(c *checker, w *sim.World, _ *model.DB) { p.everyTick(c, nil, w) }

func (p *deleteCountProp) judge(c *checker, r sim.DeleteRequest) {
	if r.BeadsBefore < 0 || r.BeadsAfter < 0 || r.BeadsBefore == 0 && r.BeadsAfter == 0 {
		return
	}
	p.judged++
	gone := r.BeadsBefore - r.BeadsAfter
	if r.Bulk {
		if r.Reported != gone {
			c.violation(PropDeleteCount, r.Bead, "a delete of %d ids through rig %s at %s reported %d deleted, but %d bead rows disappeared",
				1+len(r.Stale), short(r.Rig), r.At.Format(time.RFC3339), r.Reported, gone)
		}
		return
	}
	want := 0
	if r.RowBefore && !r.RowAfter {
		want = 1
	}
	if r.Reported != want {
		c.violation(PropDeleteCount, r.Bead, "the delete of issue %s through rig %s at %s reported %d deleted, but the issue was %s",
			short(r.Bead), short(r.Rig), r.At.Format(time.RFC3339), r.Reported, map[int]string{0: "not deleted", 1: "deleted"}[want])
	}
}

func (p *deleteCountProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no user deleted an issue through a rig's route"
	}
	return ""
}
