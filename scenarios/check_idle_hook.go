package scenarios

import (
	"maps"
	"time"

	"github.com/townsim/townsim/sim"
)

// PropIdleLiveHook: an idle agent without a session lets go of its live
// bead.
const PropIdleLiveHook = "liveness/idle-agent-releases-live-hook"

// idleHookStale is AG-4's staleness (90 s) plus a tick: from the first tick
// that shows the agent idle and hooked with no process, its activity is at
// least that old on every tick that starts this much later.
const idleHookStale = 95 * time.Second

// idleHookTicks is how many such ticks (that returned a result) may pass
// before the hook must be gone.
const idleHookTicks = 3

// idleLiveHookProp: an agent that the Town shows idle and hooked to an open
// or in-progress bead, and for which the world runs no process (none, or
// one that exited, is gone or stopping), is unhooked or started again
// (it leaves that state) within idleHookTicks ticks that start 95 s or
// more after the first tick that showed it so: AG-4 unhooks an idle agent
// from a live bead once its activity is 90 s old, on every reconcile,
// draining or not (reconciler.md §2.1; PR #2130: a failed dispatch left
// the bead assigned to an agent that does nothing). Without it an idle
// polecat's in-progress issue waits for BD-3's 5 minutes, and an idle
// refinery hooked to a merge request awaiting approval (which RQ-6 skips)
// holds it and its rig's review slot until someone approves. A fault of the Town's code or a Town restart
// in the window restarts the clock. It reads rows (idle agents, their hook,
// that bead's status), the world's process of the agent (live or not), the
// tick records and fault times.
type idleLiveHookProp struct {
	since  map[string]time.Time // agent → first tick it was seen idle, hooked, without a process
	ran    map[string]int       // agent → ticks past since+idleHookStale that returned a result
	judged int
}

func (p *idleLiveHookProp) tick(c *checker, t *tickView) {
	if p.since == nil {
		p.since, p.ran = map[string]time.Time{}, map[string]int{}
	}
	seen := map[string]bool{}
	for _, pr := range c.pairs(t.db, `SELECT a.bead_id, a.current_hook_bead_id FROM agent_metadata a
		JOIN beads b ON b.bead_id = a.current_hook_bead_id
		WHERE a.status = 'idle' AND b.status IN ('open', 'in_progress') ORDER BY a.bead_id`) {
		agent := pr[0]
		if pv, ok := t.byAgent[agent]; ok && pv.Live {
			continue
		}
		seen[agent] = true
		since, ok := p.since[agent]
		if !ok || c.faultNear(since, c.now, idleHookExcuses()...) {
			p.since[agent], p.ran[agent] = t.rec.At, 0
			continue
		}
		if t.res != nil && !t.rec.At.Before(since.Add(idleHookStale)) {
			p.ran[agent]++
		}
		if p.ran[agent] >= idleHookTicks {
			p.judged++
			c.violation(PropIdleLiveHook, agent, "agent %s has stayed idle and hooked to %s bead %s without a process since %s (%d ticks past AG-4's 90 s)",
				short(agent), idleHookStatus(t, pr[1]), short(pr[1]), since.Format(time.RFC3339), p.ran[agent])
			p.since[agent], p.ran[agent] = t.rec.At, 0
		}
	}
	maps.DeleteFunc(p.since, func(a string, _ time.Time) bool { // judged when its recovery ran
		if seen[a] {
			return false
		}
		if p.ran[a] > 0 {
			p.judged++
		}
		delete(p.ran, a)
		return true
	})
}

// idleHookStatus reads a bead's status for a message.
func idleHookStatus(t *tickView, bead string) string {
	s, _ := t.db.Strings(`SELECT status FROM beads WHERE bead_id = ?`, bead)
	if len(s) == 1 {
		return s[0]
	}
	return "a"
}

// idleHookExcuses are the fault kinds that may keep AG-4 from running or
// cut its writes: the Town's code faults and its restarts.
func idleHookExcuses() []string {
	var kinds []string
	for _, k := range sim.FaultKinds() {
		if k.Side == sim.SideCode || k.Name == sim.FaultTownRestart || k.Name == sim.FaultSlingRestart {
			kinds = append(kinds, k.Name)
		}
	}
	return kinds
}

func (p *idleLiveHookProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no idle agent without a process stayed hooked to a live bead past AG-4's 90 s"
	}
	return ""
}
