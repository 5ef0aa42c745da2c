package scenarios

import (
	"maps"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// Recovery after failed starts (issue 16: the town recovers after a
// transient outage; attempts and cooldowns do not leave it dead, nor are
// they forgiven for nothing).

// attemptResetEarnedProp: AG-3 resets an agent's dispatch attempts only
// once they reached the cap: the Town asked the container to start that
// agent at least MAX_DISPATCH_ATTEMPTS times since its previous reset
// (reconciler.md §2.1: `dispatch_attempts ≥ 5`; each dispatch increments
// the counter just before its start call, heartbeats and successful
// non-refinery starts only lower it). An agent whose counter a reset left
// untouched would be reset again on the next tick. A fault of the Town's
// code or a restart (a write cut between the increment and the call)
// excuses it.
type attemptResetEarnedProp struct {
	starts map[string]int // agent → start calls since its last reset
	resets int
}

func (p *attemptResetEarnedProp) call(_ *checker, call model.Call, _ model.Result, _ time.Time) {
	if call.Kind == model.CallStartAgent && call.AgentID != "" {
		p.starts[call.AgentID]++
	}
}

func (p *attemptResetEarnedProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Type != reconciler.ResetAgentDispatchAttempts {
		return
	}
	p.resets++
	limit := t.w.Town().Knobs().MaxDispatchAttempts
	if n := p.starts[a.AgentID]; n < limit && !c.causeExcuses()(c.now) {
		c.violation(PropResetEarned, a.AgentID, "AG-3 reset agent %s's dispatch attempts after %d start calls "+
			"since its previous reset (the reset needs %d)", short(a.AgentID), n, limit)
	}
	p.starts[a.AgentID] = 0
}

func (p *attemptResetEarnedProp) unjudged(*checker) string {
	if p.resets == 0 {
		return "AG-3 reset no agent's attempts"
	}
	return ""
}

// Bounds of stalled-review-redispatched: RQ-6 re-dispatches an idle
// refinery still hooked to its merge request once the cooldown has passed
// (the ladder reaches 300 s below the cap of 5 attempts, after which RQ-6
// fails the MR), AG-1 idles a working agent without heartbeat after 90 s,
// and RQ-3 reopens a PR-less review nobody is hooked to after 2 min. The
// bound counts both time and reconciling ticks, so that ticks stretched by
// a slow container (a tick awaiting an untimed call) do not count.
const (
	reviewRetryBound = 15 * time.Minute
	reviewRetryTicks = 180
)

// reviewRetriedProp: a merge request in review (in_progress, and either
// without a PR or with a refinery hooked to it: a PR-backed MR whose
// review is over has none), neither blocked by an unresolved bead nor
// awaiting approval, on which the world runs no live refinery, gets a
// refinery start call for it or leaves that state within reviewRetryBound and
// reviewRetryTicks reconciling ticks. A start call (answered or not)
// restarts its clock, so a refinery whose starts keep failing is judged
// again after each; a breaker-open or draining tick restarts every clock
// (production dispatches nothing then).
type reviewRetriedProp struct {
	since  map[string]time.Time // MR → when its wait began
	ticks  map[string]int       // MR → reconciling ticks since
	judged int
}

func (p *reviewRetriedProp) call(c *checker, call model.Call, _ model.Result, _ time.Time) {
	if call.Kind == model.CallStartAgent && call.Role == model.RoleRefinery {
		if _, ok := p.since[call.BeadID]; ok {
			p.since[call.BeadID], p.ticks[call.BeadID] = c.now, 0
			p.judged++
		}
	}
}

func (p *reviewRetriedProp) tick(c *checker, t *tickView) {
	mrs, _ := t.db.Strings(`SELECT b.bead_id FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND b.status = 'in_progress'
		  AND (r.pr_url IS NULL OR r.pr_url = '' OR EXISTS (SELECT 1 FROM agent_metadata a
			WHERE a.current_hook_bead_id = b.bead_id AND a.role = 'refinery'))
		  AND COALESCE(json_extract(b.metadata, '$.awaiting_approval'), 0) NOT IN (1, 'true')
		  AND NOT EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads f ON f.bead_id = d.depends_on_bead_id
			WHERE d.bead_id = b.bead_id AND d.dependency_type = 'blocks' AND f.status NOT IN ('closed', 'failed'))
		ORDER BY b.bead_id`)
	served := map[string]bool{}
	for _, pv := range t.procs {
		if pv.Live && pv.Role == model.RoleRefinery {
			served[pv.BeadID] = true
		}
	}
	paused := c.breakerOpen || (t.res != nil && t.res.Draining)
	ran := t.res != nil && t.res.Ran && !t.rec.Threw
	waiting := map[string]bool{}
	for _, mr := range mrs {
		if served[mr] {
			continue
		}
		waiting[mr] = true
		since, ok := p.since[mr]
		if !ok || paused {
			p.since[mr], p.ticks[mr] = c.now, 0
			continue
		}
		if ran {
			p.ticks[mr]++
		}
		if c.now.Sub(since) > reviewRetryBound && p.ticks[mr] > reviewRetryTicks {
			p.judged++
			c.violation(PropReviewRetried, mr, "merge request %s has been in review without a live refinery or a refinery start "+
				"for %s and %d reconciling ticks (bound %s and %d)", short(mr), c.now.Sub(since).Truncate(time.Second), p.ticks[mr],
				reviewRetryBound, reviewRetryTicks)
			p.since[mr], p.ticks[mr] = c.now, 0
		}
	}
	maps.DeleteFunc(p.since, func(mr string, _ time.Time) bool { // a wait that ended was judged
		if waiting[mr] {
			return false
		}
		p.judged++
		delete(p.ticks, mr)
		return true
	})
}

func (p *reviewRetriedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no review waited without a live refinery"
	}
	return ""
}
