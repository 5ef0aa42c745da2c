package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// PropGUPPWarnsSilent names GUPP's warn tier reaching a silent agent.
const PropGUPPWarnsSilent = "liveness/gupp-warns-silent-agent"

// guppWarnBound is how long past GUPP's 15 min warn threshold a silent
// agent may wait for its warning (ticks every 5 s while it works).
const guppWarnBound = 3 * time.Minute

// guppWarnAfterSilence is GUPP's warn threshold (reconciler.md §2.5).
const guppWarnAfterSilence = 15 * time.Minute

// guppWarnDedupe is the window in which an earlier warn suppresses the
// next one (§2.5: no `reconciler:warn` nudge in the last 60 min).
const guppWarnDedupe = 60 * time.Minute

// guppWarnSilentProp: a working agent whose session went silent — the
// world's process froze at S and keeps heartbeating that frozen watermark
// with no tool running — is warned by GUPP's first tier: by S + 15 min +
// guppWarnBound a GUPP-warn action names it, at most 60 min before that
// time (a warn within the dedupe window stands for it) (reconciler.md
// §2.5: silence past 15 min, no active tools, no warn in the last hour).
// Judged once per frozen session, when a heartbeat sent after S reached
// the Town before the deadline (so the Town's watermark is S) and the last
// one reported no tools. Excused: a draining tick in the window (GUPP
// pauses), a start call for the agent after S, a fault of the Town's code
// or a Town restart in the window, the agent's row not working or stalled
// at the deadline. It reads the world's processes (frozen since, last
// heartbeat's time and tools, role), the tick's GUPP-warn actions, the
// Town's start calls, the agent's status row and the drain flag each tick
// saw.
type guppWarnSilentProp struct {
	warned  map[string]time.Time // agent → its latest GUPP-warn
	started map[string]time.Time // agent → its latest start call
	judged  map[string]time.Time // agent → the frozen session already judged
	drained time.Time            // the latest draining tick
	n       int
}

func (p *guppWarnSilentProp) init() {
	if p.warned == nil {
		p.warned, p.started, p.judged = map[string]time.Time{}, map[string]time.Time{}, map[string]time.Time{}
	}
}

func (p *guppWarnSilentProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	p.init()
	if call.Kind == model.CallStartAgent && call.AgentID != "" {
		p.started[call.AgentID] = now
	}
}

func (p *guppWarnSilentProp) action(c *checker, a reconciler.Action, t *tickView) {
	p.init()
	if a.Rule == "GUPP-warn" && a.AgentID != "" {
		p.warned[a.AgentID] = c.now
	}
}

func (p *guppWarnSilentProp) tick(c *checker, t *tickView) {
	p.init()
	if t.res != nil && t.res.Draining {
		p.drained = c.now
	}
	for _, pv := range t.procs {
		if pv.StuckAt.IsZero() || pv.Role == model.RoleMayor || !pv.Live || pv.State != "running" || pv.Draining {
			continue
		}
		deadline := pv.StuckAt.Add(guppWarnAfterSilence + guppWarnBound)
		if c.now.Before(deadline) || p.judged[pv.AgentID].Equal(pv.StuckAt) {
			continue
		}
		p.judged[pv.AgentID] = pv.StuckAt
		if !pv.LastHeartbeat.After(pv.StuckAt) || !pv.LastHeartbeat.Before(deadline) || len(pv.LastTools) > 0 ||
			c.now.Sub(deadline) > time.Minute || // judged late (a tick gap): not judged
			!p.drained.Before(pv.StuckAt) || p.started[pv.AgentID].After(pv.StuckAt) ||
			c.faultNear(pv.StuckAt, c.now, idleHookExcuses()...) {
			continue
		}
		st, _ := t.db.Strings(`SELECT status FROM agent_metadata WHERE bead_id = ?`, pv.AgentID)
		if len(st) != 1 || (st[0] != model.AgentWorking && st[0] != model.AgentStalled) {
			continue
		}
		p.n++
		if w, ok := p.warned[pv.AgentID]; !ok || c.now.Sub(w) > guppWarnDedupe {
			c.violation(PropGUPPWarnsSilent, pv.AgentID, "agent %s's session has been silent since %s with no tool running and GUPP has not warned it %s later",
				short(pv.AgentID), pv.StuckAt.Format(time.RFC3339), c.now.Sub(pv.StuckAt).Truncate(time.Second))
		}
	}
}

func (p *guppWarnSilentProp) unjudged(*checker) string {
	if p.n == 0 {
		return "no heartbeating agent stayed silent past GUPP's warn threshold"
	}
	return ""
}
