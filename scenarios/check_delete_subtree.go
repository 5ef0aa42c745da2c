package scenarios

import (
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropDeleteSubtree names deleteSubtreeProp.
const PropDeleteSubtree = "safety/delete-removes-owned-subtree"

// deleteSubtreeProp: a user's delete through a rig's route removes
// exactly the beads it names that belong to that rig, together with all
// their descendants (children by parent, recursively, whatever their
// rig), and no other bead (model.md §4.6: deleteBead checks the rig, then
// deletes the bead and its children; deleteBeads keeps the ids the rig
// owns, then deletes them with every descendant). A bulk delete answers
// with the number of beads so removed; a single one with 1 when it
// removed its bead, else 0. The expectation is computed from the world's
// view of the rows just before the request (id, parent, rig) and
// compared with the rows just after (the request runs alone).
type deleteSubtreeProp struct{ judged, seen int }

func (p *deleteSubtreeProp) everyTick(c *checker, _ *sim.TickRecord, w *sim.World) {
	reqs := w.DeleteRequests()
	for _, r := range reqs[p.seen:] {
		p.judge(c, r)
	}
	p.seen = len(reqs)
}

func (p *deleteSubtreeProp) end(c *checker, w *sim.World, _ *model.DB) { p.everyTick(c, nil, w) }

func (p *deleteSubtreeProp) judge(c *checker, r sim.DeleteRequest) {
	if r.Tree == nil || r.Left == nil {
		return
	}
	want := deleteSubtree(r)
	var gone []string
	for _, n := range r.Tree {
		if !r.Left[n.ID] {
			gone = append(gone, n.ID)
		}
	}
	p.judged++
	if !slices.Equal(gone, want) {
		c.violation(PropDeleteSubtree, r.Bead, "a delete of %s through rig %s at %s removed the beads [%s], but the named beads that rig owns and their descendants are [%s]",
			short(r.Bead), short(r.Rig), r.At.Format(time.RFC3339), shortList(gone), shortList(want))
		return
	}
	count := len(want)
	if !r.Bulk && count > 0 {
		count = 1
	}
	if r.Reported != count {
		c.violation(PropDeleteSubtree, r.Bead+" count", "a delete of %s through rig %s at %s removed %d beads and answered %d (want %d)",
			short(r.Bead), short(r.Rig), r.At.Format(time.RFC3339), len(want), r.Reported, count)
	}
}

// deleteSubtree is what a request should remove, sorted: the named ids
// that were rows of the route's rig (any rig without one), and their
// descendants.
func deleteSubtree(r sim.DeleteRequest) []string {
	named := append([]string{r.Bead}, r.Stale...)
	children := map[string][]string{}
	rig := map[string]string{}
	for _, n := range r.Tree {
		rig[n.ID] = n.Rig
		if n.Parent != "" {
			children[n.Parent] = append(children[n.Parent], n.ID)
		}
	}
	in := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		if in[id] {
			return
		}
		in[id] = true
		for _, ch := range children[id] {
			walk(ch)
		}
	}
	for _, id := range named {
		if got, ok := rig[id]; ok && (r.Rig == "" || got == r.Rig) {
			walk(id)
		}
	}
	var out []string
	for _, n := range r.Tree {
		if in[n.ID] {
			out = append(out, n.ID)
		}
	}
	return out
}

func shortList(ids []string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = short(id)
	}
	return strings.Join(s, " ")
}

func (p *deleteSubtreeProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no user deleted an issue through a rig's route"
	}
	return ""
}
