package scenarios

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// PropReadyDispatched: an issue that is ready for an agent is dispatched
// within a few ticks (reconciler.md §2.2, BD-1 and BD-2). Ready means: an
// open issue in a rig (its rig id neither NULL nor the empty string),
// without the held or triage-request label, none of whose blockers is
// still unfinished (every `blocks` edge leads to a closed or failed bead,
// or to none), tracked by no staged convoy, whose
// dispatch attempts are under the cap and whose last attempt is older than
// the cooldown of its count; and either nobody is assigned to it (BD-1) or
// its assignee is an idle, non-refinery agent hooked to it (BD-2). While
// the dispatch breaker is closed and the Town is not draining, every
// reconcile dispatches such an issue: work that waits for other work
// starts once that work is done, and an agent whose session ended is sent
// back to its issue, not left until AG-4 lets go of it.
const PropReadyDispatched = "liveness/ready-issue-dispatched"

// readyTicks is how many consecutive reconciles may end with an issue
// ready and undispatched: the first may have read the rows before the
// issue became ready (a blocker closed, its cooldown passed mid-tick).
const readyTicks = 3

// readyDispatchedProp: see PropReadyDispatched. At each tick's end it
// reads the ready issues from the rows (status, rig, labels, assignee,
// the assignee agent's status, role and hook, blocks edges and blocker
// status, staged convoys, the bead's dispatch counter and stamp against
// the configured cap and cooldown ladder and the clock); an issue ready at
// the end of readyTicks consecutive ticks that ran, in none of which a
// dispatch named it, the breaker notice was emitted, the Town drained or a
// fault of its code or a restart happened, is a violation.
type readyDispatchedProp struct {
	since      map[string]int // issue → consecutive judged tick ends it was seen ready
	dispatched map[string]bool
	paused     bool // this tick's reconcile emitted the breaker notice
	judged     int
}

func (p *readyDispatchedProp) action(_ *checker, a reconciler.Action, _ *tickView) {
	switch {
	case a.Type == reconciler.DispatchAgent:
		if p.dispatched == nil {
			p.dispatched = map[string]bool{}
		}
		p.dispatched[a.BeadID] = true
	case a.Type == reconciler.NotifyMayor && strings.HasPrefix(a.Message, "Dispatch circuit breaker is OPEN"):
		p.paused = true
	}
}

func (p *readyDispatchedProp) tick(c *checker, t *tickView) {
	dispatched, paused := p.dispatched, p.paused
	p.dispatched, p.paused = nil, false
	if p.since == nil {
		p.since = map[string]int{}
	}
	if t.res == nil || !t.res.Ran || t.rec.Threw || paused || t.res.Draining ||
		c.faultNear(c.tickStart, c.now, idleHookExcuses()...) {
		clear(p.since)
		return
	}
	k := t.w.Town().Knobs()
	rows, err := t.db.Query(`SELECT b.bead_id, b.dispatch_attempts, COALESCE(b.last_dispatch_attempt_at, '')
		FROM beads b
		LEFT JOIN agent_metadata am ON am.bead_id = b.assignee_agent_bead_id
		WHERE b.type = 'issue' AND b.status = 'open' AND b.rig_id IS NOT NULL AND b.rig_id != ''
		  AND b.labels NOT LIKE ? AND b.labels NOT LIKE ?
		  AND (b.assignee_agent_bead_id IS NULL
		    OR (am.status = 'idle' AND am.role != 'refinery' AND am.current_hook_bead_id = b.bead_id))
		  AND NOT EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads x ON x.bead_id = d.depends_on_bead_id
		    WHERE d.bead_id = b.bead_id AND d.dependency_type = 'blocks' AND x.status NOT IN ('closed', 'failed'))
		  AND NOT EXISTS (SELECT 1 FROM bead_dependencies d JOIN convoy_metadata cm ON cm.bead_id = d.depends_on_bead_id
		    WHERE d.bead_id = b.bead_id AND d.dependency_type = 'tracks' AND cm.staged = 1)
		ORDER BY b.bead_id`, `%"`+model.LabelHeld+`"%`, `%"`+model.LabelTriageRequest+`"%`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	ready := map[string]bool{}
	for rows.Next() {
		var id, last string
		var attempts int
		if rows.Scan(&id, &attempts, &last) != nil || attempts >= k.MaxDispatchAttempts {
			continue
		}
		if last != "" {
			at, ok := model.ParseTime(last)
			if !ok || c.tickStart.Before(at.Add(k.Cooldown(attempts))) {
				continue // the cooldown had not passed when the tick fired
			}
		}
		ready[id] = true
	}
	rows.Close()
	maps.DeleteFunc(p.since, func(id string, _ int) bool {
		if dispatched[id] {
			p.judged++ // dispatched while it was ready
		}
		return !ready[id] || dispatched[id]
	})
	for _, id := range slices.Sorted(maps.Keys(ready)) {
		if dispatched[id] {
			continue
		}
		p.since[id]++
		if p.since[id] >= readyTicks {
			p.judged++
			c.violation(PropReadyDispatched, id, "issue %s has ended %s reconciles in a row ready for an agent "+
				"(open, in a rig, unblocked, unstaged, not held, under its attempt cap and past its cooldown, "+
				"unassigned or hooked to an idle agent) and none dispatched it", short(id), strconv.Itoa(p.since[id]))
			delete(p.since, id)
		}
	}
}

func (p *readyDispatchedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no issue was seen ready for an agent at a tick's end"
	}
	return ""
}
