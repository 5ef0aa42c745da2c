package scenarios

import (
	"fmt"
	"strings"

	"github.com/townsim/townsim/model/reconciler"
)

// PropGUPPWarnSparesTool names GUPP's warn tier's tool test.
const PropGUPPWarnSparesTool = "safety/gupp-warn-spares-running-tool"

// guppWarnToolProp: GUPP's warn tier never nudges an agent whose session
// has a tool running: the tier is for an agent silent past 15 min *with no
// tool activity* (reconciler.md §2.5, the warn row: its stored active
// tools must parse to an empty list), and production's container reports
// the session's running tools on every heartbeat. A session frozen inside
// a long command keeps heartbeating that command; warning it that it is
// idle would be false. Judged on agents whose world process's last
// heartbeat that reached the Town arrived before the tick fired (a
// heartbeat during the tick may come after the rule read the row); the
// tool list is that heartbeat's. It reads the tick's GUPP-warn actions and
// the world's processes (last heartbeat's time and tools).
type guppWarnToolProp struct{ judged int }

func (p *guppWarnToolProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Rule != "GUPP-warn" || a.AgentID == "" {
		return
	}
	pv, ok := t.byAgent[a.AgentID]
	if !ok || pv.LastTools == nil || pv.LastHeartbeat.IsZero() || !pv.LastHeartbeat.Before(t.rec.At) {
		return
	}
	p.judged++
	if len(pv.LastTools) > 0 {
		c.add(Violation{Property: PropGUPPWarnSparesTool, At: c.now, Tick: c.ticks, Entity: a.AgentID, Rule: a.Rule,
			Detail: fmt.Sprintf("GUPP warned %s as idle with no tool activity while its last heartbeat (%s) reported the tools %s running",
				short(a.AgentID), pv.LastHeartbeat.Format("15:04:05"), strings.Join(pv.LastTools, ", "))})
	}
}

func (p *guppWarnToolProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "GUPP never warned an agent whose heartbeats report its tools"
	}
	return ""
}
