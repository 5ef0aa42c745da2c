package scenarios

import (
	"time"

	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// PropRedispatchSparesWorking: BD-2 sends only an idle agent back to its
// hook (reconciler.md §2.2): an agent whose session is at work on that
// bead, heartbeating to the Town, is not dispatched again, even when a
// user moved the bead back to open.
const PropRedispatchSparesWorking = "safety/redispatch-spares-working-agent"

// workingHeartbeat: two of the container's 30 s heartbeat intervals and a
// tick; a heartbeat that reached the Town this recently (or a cold start
// this young) keeps AG-1 from declaring the agent dead.
const workingHeartbeat = 65 * time.Second

// redispatchSparesWorkingProp: see PropRedispatchSparesWorking. At each
// tick's end it keeps, from the world's processes, the agents whose
// process is at work (healthyProc: cold start or running, not stuck,
// finished or told to stop, heartbeating within 65 s). A BD-2 dispatch in
// the next tick of such an agent to the same bead, while that same
// process (same start) is still so at the tick's end, is a violation: the Town could not have seen the agent idle. A
// fault of the Town's code, a restart or a heartbeat fault near the tick
// excuses it.
type redispatchSparesWorkingProp struct {
	working map[string]sim.ProcessView // agent → its healthy process at the previous tick's end
	prevEnd time.Time
	judged  int
}

// healthyProc reports a process at work (cold start or running, not
// stuck, finished or told to stop) that heartbeated to the Town within
// workingHeartbeat of now, or started that recently and has not sent one.
func healthyProc(p sim.ProcessView, now time.Time) bool {
	if !p.Live || p.Stuck || p.Finished || p.Draining || (p.State != "running" && p.State != "cold_start") {
		return false
	}
	if p.LastHeartbeat.IsZero() {
		return now.Sub(p.Started) <= workingHeartbeat
	}
	return now.Sub(p.LastHeartbeat) <= workingHeartbeat
}

func (p *redispatchSparesWorkingProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Type != reconciler.DispatchAgent || a.Rule != "BD-2" || a.AgentID == "" {
		return
	}
	old, ok := p.working[a.AgentID]
	if !ok || old.BeadID != a.BeadID {
		return
	}
	p.judged++
	excuses := append(idleHookExcuses(), sim.FaultHeartbeatLost, sim.FaultStaleHeartbeat)
	if c.faultNear(p.prevEnd.Add(-time.Minute), c.now, excuses...) {
		return
	}
	for _, pr := range t.procs {
		if pr.AgentID == a.AgentID && pr.Started.Equal(old.Started) && healthyProc(pr, c.now) {
			c.violation(PropRedispatchSparesWorking, a.AgentID, "BD-2 dispatched agent %s to bead %s while its process "+
				"(started %s, %s) kept working on it", short(a.AgentID), short(a.BeadID),
				old.Started.Format(time.RFC3339), pr.State)
			return
		}
	}
}

func (p *redispatchSparesWorkingProp) tick(c *checker, t *tickView) {
	p.working = map[string]sim.ProcessView{}
	for _, pr := range t.procs {
		if healthyProc(pr, c.now) {
			p.working[pr.AgentID] = pr
		}
	}
	p.prevEnd = c.now
}

func (p *redispatchSparesWorkingProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "BD-2 never dispatched an agent whose process was at work on that bead"
	}
	return ""
}
