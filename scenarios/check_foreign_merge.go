package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// PropForeignMerge names foreignMergeProp.
const PropForeignMerge = "safety/merge-only-in-rig-repository"

// foreignMergeProp: the Town merges a PR only in its rig's own repository
// (reconciler.md §3.4, merge_pr's repository check). A polecat may report
// a PR it opened in another repository on the rig's forge (the world's
// `github.fork`: the organisation's fork); production polls such a PR like
// any other, but a merge_pr for it is refused before anything reaches the
// forge. So:
//
//   - the Town never calls the merge endpoint for a PR the world opened
//     outside its rig's repository;
//   - at the end of a tick that emitted merge_pr for such a PR, the merge
//     request no longer carries auto_merge_pending (the refusal clears the
//     flag, so the request is not retried as if still under way), unless a
//     fault of the Town's own code or a restart struck that tick.
//
// Which repository a PR is in is the world's fact (sim.World.PR: the
// fork it drew when the polecat opened it), not a parse of the URL. It
// reads the Town's merge calls, the tick's merge_pr actions, and for
// those on a foreign PR the merge request's auto_merge_pending.
type foreignMergeProp struct{ judged int }

func (p *foreignMergeProp) call(c *checker, call model.Call, _ model.Result, _ time.Time) {
	if call.Kind != model.CallMergePR || c.world == nil {
		return
	}
	if pr, ok := c.world.PR(call.URL); ok && pr.Foreign {
		c.violation(PropForeignMerge, call.URL, "the Town called the merge endpoint for %s, a PR opened outside rig %s's repository",
			call.URL, short(pr.RigID))
	}
}

func (p *foreignMergeProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Type != reconciler.MergePR || t.w == nil {
		return
	}
	pr, ok := t.w.PR(a.PRURL)
	if !ok || !pr.Foreign {
		return
	}
	p.judged++
	if t.rec == nil || t.rec.Threw || c.faultNear(t.rec.At, c.now, foreignMergeExcuses()...) {
		return
	}
	var pending any
	if err := t.db.QueryRow(`SELECT json_extract(metadata, '$.auto_merge_pending') FROM beads WHERE bead_id = ?`,
		[]any{a.BeadID}, &pending); err != nil {
		return // the merge request is gone
	}
	if pending != nil {
		c.violation(PropForeignMerge, a.BeadID, "merge_pr for merge request %s on %s, a PR outside rig %s's repository, left auto_merge_pending set (%v)",
			short(a.BeadID), a.PRURL, short(pr.RigID), pending)
	}
}

// foreignMergeExcuses are the faults that may cut merge_pr's refusal
// short: the Town's own code faults and its restarts.
func foreignMergeExcuses() []string {
	var kinds []string
	for _, k := range sim.FaultKinds() {
		if k.Side == sim.SideCode || k.Name == sim.FaultTownRestart || k.Name == sim.FaultSlingRestart {
			kinds = append(kinds, k.Name)
		}
	}
	return kinds
}

func (p *foreignMergeProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge_pr for a PR outside its rig's repository"
	}
	return ""
}
