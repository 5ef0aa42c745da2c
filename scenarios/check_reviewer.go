package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropReviewHasReviewer is the name of reviewHasReviewerProp.
const PropReviewHasReviewer = "safety/prless-review-has-reviewer"

// reviewHasReviewerProp: a merge request without a PR URL that moved to
// in_progress since the previous tick is under review, and a review has a
// reviewer: at the end of the tick that moved it, an agent is hooked to
// it, or the Town asked the container to start an agent on it since the
// previous tick (reconciler.md §2.3: RQ-5 pops an open MR for a refinery,
// hooking or creating one in the same pass; RQ-FT moves to in_progress
// only MRs whose PR it can poll). A PR-less MR left in progress with
// nobody on it blocks the rig's review queue (RQ-5 counts it busy) until
// RQ-3 reopens it two minutes later. A fault of the Town's code or a Town
// restart within the tick excuses it (a cut write between the transition
// and the hook). It reads the rows (in-progress MRs without a PR URL,
// agent hooks) and the Town's start calls.
type reviewHasReviewerProp struct {
	prev    map[string]bool      // PR-less in-progress MRs at the previous tick's end
	started map[string]time.Time // last start call per bead
	last    time.Time            // the previous tick's time
	judged  int
}

func (p *reviewHasReviewerProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind == model.CallStartAgent && call.BeadID != "" {
		p.started[call.BeadID] = now
	}
}

func (p *reviewHasReviewerProp) tick(c *checker, t *tickView) {
	ids, err := t.db.Strings(`SELECT b.bead_id FROM beads b
		JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND b.status = 'in_progress'
		  AND (rm.pr_url IS NULL OR rm.pr_url = '')
		ORDER BY b.bead_id`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	now := map[string]bool{}
	for _, id := range ids {
		now[id] = true
		if p.prev[id] {
			continue
		}
		p.judged++
		if at, ok := p.started[id]; ok && !at.Before(p.last) {
			continue
		}
		hooked, err := t.db.Int(`SELECT count(*) FROM agent_metadata WHERE current_hook_bead_id = ?`, id)
		if err != nil {
			c.violation("check/query", "", "%v", err)
			return
		}
		if hooked > 0 || c.faultNear(p.last, c.now, townFaultKinds()...) {
			continue
		}
		c.violation(PropReviewHasReviewer, id, "merge request %s without a PR URL moved to in_progress with no agent hooked to it and no start asked for it",
			short(id))
	}
	p.prev, p.last = now, c.now
}

func (p *reviewHasReviewerProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge request without a PR URL moved to in_progress"
	}
	return ""
}

// townFaultKinds are the faults of the Town's own code and its restarts:
// they can cut a tick between two writes of one action list.
func townFaultKinds() []string {
	var kinds []string
	for _, k := range sim.FaultKinds() {
		if k.Side == sim.SideCode || k.Name == sim.FaultTownRestart || k.Name == sim.FaultSlingRestart {
			kinds = append(kinds, k.Name)
		}
	}
	return kinds
}
