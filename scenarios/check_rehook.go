package scenarios

import (
	"maps"
	"slices"

	"github.com/townsim/townsim/model/reconciler"
)

// PropRedispatchHooked: a re-dispatch sends an agent back to the bead it
// is hooked to (BD-2: an idle polecat hooked to an open issue; RQ-6: an
// idle refinery hooked to its merge request, reconciler.md §2.2, §2.3),
// and dispatch_agent with an agent id does not hook (§3.2), so the agent
// must still be hooked to that bead when the tick ends; otherwise it
// works on a bead nobody holds, which BD-3 then hands to a second agent.
// Production's one exception is AG-4 unhooking the same agent in the same
// reconcile (both read one snapshot: the accepted finding
// ag4-rq6-split-refinery-hook); a fault of the Town's code or a restart
// (a cut write) excuses it too.
const PropRedispatchHooked = "safety/redispatched-agent-stays-hooked"

// redispatchHookedProp: see PropRedispatchHooked. It reads the tick's
// actions and the agents' hooks in the rows at the tick's end.
type redispatchHookedProp struct {
	sent   map[string]string // agent → bead a BD-2 or RQ-6 dispatch named this tick
	ag4    map[string]bool   // agents AG-4 unhooked this tick
	judged int
}

func (p *redispatchHookedProp) action(_ *checker, a reconciler.Action, _ *tickView) {
	switch {
	case a.Type == reconciler.DispatchAgent && a.AgentID != "" && (a.Rule == "BD-2" || a.Rule == "RQ-6"):
		if p.sent == nil {
			p.sent = map[string]string{}
		}
		p.sent[a.AgentID] = a.BeadID
	case a.Type == reconciler.UnhookAgent && a.Rule == "AG-4":
		if p.ag4 == nil {
			p.ag4 = map[string]bool{}
		}
		p.ag4[a.AgentID] = true
	}
}

func (p *redispatchHookedProp) tick(c *checker, t *tickView) {
	defer func() { p.sent, p.ag4 = nil, nil }()
	if len(p.sent) == 0 {
		return
	}
	excused := c.causeExcuses()(c.now)
	for _, agent := range slices.Sorted(maps.Keys(p.sent)) {
		bead := p.sent[agent]
		p.judged++
		hooks, err := t.db.Strings(`SELECT COALESCE(current_hook_bead_id, '') FROM agent_metadata WHERE bead_id = ?`, agent)
		if err != nil || len(hooks) == 0 || hooks[0] == bead || p.ag4[agent] || excused {
			continue
		}
		c.violation(PropRedispatchHooked, agent, "agent %s was re-dispatched to bead %s and ended the tick hooked to %q",
			short(agent), short(bead), short(hooks[0]))
	}
}

func (p *redispatchHookedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no agent was re-dispatched to its hook (BD-2, RQ-6)"
	}
	return ""
}
