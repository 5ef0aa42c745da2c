package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// The bounds family: rates and reactions stay within limits a healthy
// production town keeps — no live agent declared dead, events, container
// calls, merges, nudges and landing MRs per unit, dispatch back after a
// heal, the idle cadence, triage beads left alone, a deleted town silent.

// deletedTownProp: a deleted town never ticks again (a tick already
// running when the destroy finished may end).
type deletedTownProp struct{ destroyed bool }

func (p *deletedTownProp) everyTick(c *checker, rec *sim.TickRecord, w *sim.World) {
	d := w.DestroyedAt()
	p.destroyed = p.destroyed || !d.IsZero()
	if !d.IsZero() && rec.At.After(d) {
		c.violation(PropDeletedTownTicks, fmt.Sprint("tick ", c.ticks), "a tick fired at %s (ran: %v, retry: %v) after the town was destroyed at %s",
			rec.At.Format(time.RFC3339), c.lastRan, rec.Retry, d.Format(time.RFC3339))
	}
}

func (p *deletedTownProp) unjudged(*checker) string {
	if !p.destroyed {
		return "the town was never destroyed"
	}
	return ""
}

// triageLeftAloneProp: no reconcile action targets a triage bead.
type triageLeftAloneProp struct{}

func (triageLeftAloneProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.BeadID == "" {
		return
	}
	// The labels are tested here, not by LIKE in the query: a LIKE beside a
	// bound text sends the query down the model's slow exact-plan path.
	labels, _ := t.db.Strings(`SELECT labels FROM beads WHERE bead_id = ?`, a.BeadID)
	if len(labels) == 1 && hasAnyLabel(labels[0], model.LabelTriageRequest, model.LabelTriage) {
		c.add(Violation{Property: PropTriageLeftAlone, At: c.now, Tick: c.ticks, Entity: a.BeadID, Rule: a.Rule,
			Detail: fmt.Sprintf("rule %s emitted %s on triage bead %s", a.Rule, a.String(), short(a.BeadID))})
	}
}

// falseDeathProp flags a re-dispatch or idling of an agent whose process
// is alive and reporting: running, not stuck, not told to stop, heartbeat
// fresh (the world's process, not the Town's view of it).
type falseDeathProp struct{ judged int }

func (p *falseDeathProp) action(c *checker, a reconciler.Action, t *tickView) {
	switch {
	case a.Type == reconciler.DispatchAgent && a.AgentID != "":
		p.check(c, a, t.byAgent[a.AgentID], "re-dispatched")
	case a.Type == reconciler.TransitionAgent && a.To == model.AgentIdle:
		p.check(c, a, t.byAgent[a.AgentID], "idled")
	}
}

func (p *falseDeathProp) check(c *checker, a reconciler.Action, pv sim.ProcessView, what string) {
	p.judged++
	if pv.AgentID == "" || pv.State != "running" || pv.Stuck || pv.Draining || pv.Finished || pv.LastHeartbeat.IsZero() {
		return
	}
	// The tick's actions were decided when it fired: a process started
	// during the tick (by its own dispatch, whose start call may block up
	// to the 60 s timeout) did not exist for its rules.
	if !pv.Started.Before(c.tickStart) {
		return
	}
	// Likewise a heartbeat that reached the Town while the tick ran (it
	// awaits the container's answers before it reconciles) may have come
	// after its rules read the agent: only a heartbeat from before the tick
	// fired is one the rules certainly ignored.
	if !pv.LastHeartbeat.Before(c.tickStart) {
		return
	}
	if age := c.now.Sub(pv.LastHeartbeat); age <= c.b.HeartbeatFresh {
		c.violation(PropFalseDeath, a.AgentID, "agent %s %s (%s) while its process runs and heartbeated %s ago",
			short(a.AgentID), what, a.Type, age)
	}
}

func (p *falseDeathProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no agent was idled or re-dispatched"
	}
	return ""
}

// nudgesProp bounds send_nudge actions per agent per hour.
type nudgesProp struct{ nudges map[[2]any]int }

func (p *nudgesProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Type != reconciler.SendNudge {
		return
	}
	k := [2]any{a.AgentID, t.hour}
	p.nudges[k]++
	if n := p.nudges[k]; n > c.b.NudgesPerAgentHour {
		c.violation(PropNudges, a.AgentID, "%d nudges to agent %s in simulated hour %d (bound %d)",
			n, short(a.AgentID), t.hour, c.b.NudgesPerAgentHour)
	}
}

func (p *nudgesProp) unjudged(*checker) string {
	if len(p.nudges) == 0 {
		return "no nudge was sent"
	}
	return ""
}

// idleCadenceProp: a town the world shows without work for an hour ticks
// at the idle cadence. "Without work" is the world's and the users'
// facts, not the port's active-work flag: no live process in the
// container (the mayor's session included), and no issue or merge
// request row that is not closed or failed.
type idleCadenceProp struct {
	idleSince time.Time   // first tick of the current idle stretch (zero: busy)
	idleTicks []time.Time // ticks of the current idle stretch, the last hour
	judged    bool
}

func (p *idleCadenceProp) tick(c *checker, t *tickView) {
	if !worldIdle(t) {
		p.idleSince, p.idleTicks = time.Time{}, p.idleTicks[:0]
		return
	}
	if p.idleSince.IsZero() {
		p.idleSince = c.now
	}
	p.idleTicks = append(p.idleTicks, c.now)
	for len(p.idleTicks) > 0 && c.now.Sub(p.idleTicks[0]) > time.Hour {
		p.idleTicks = p.idleTicks[1:]
	}
	if c.now.Sub(p.idleSince) >= time.Hour {
		p.judged = true
		if len(p.idleTicks) > c.b.IdleTicksPerHour {
			c.violation(PropIdleCadence, "", "%d ticks in the last hour of a town idle since %s (bound %d)",
				len(p.idleTicks), p.idleSince.Format(time.RFC3339), c.b.IdleTicksPerHour)
		}
	}
}

func (p *idleCadenceProp) unjudged(*checker) string {
	if !p.judged {
		return "the world never stayed without work for an hour"
	}
	return ""
}

// worldIdle: no live process and no non-terminal issue or merge request.
func worldIdle(t *tickView) bool {
	for _, p := range t.procs {
		if p.Live { // the mayor's live session is work too (§1.6: any working agent)
			return false
		}
	}
	n, _ := t.db.Int(`SELECT count(*) FROM beads WHERE type IN ('issue', 'merge_request') AND status NOT IN ('closed', 'failed')`)
	return n == 0
}

// dispatchable counts open issues BD-1 could dispatch (assigned or not,
// not held).
const dispatchableQuery = `SELECT count(*) FROM beads WHERE type = 'issue' AND status = 'open'
	AND labels NOT LIKE '%gt:held%'`

// dispatchResumesProp: with open work at the heal time and no dispatch
// since, a dispatch happens within the bound.
type dispatchResumesProp struct {
	openAtHeal int
	healSeen   bool
	judged     bool
}

func (p *dispatchResumesProp) tick(c *checker, t *tickView) {
	if c.now.Before(c.healAt) {
		return
	}
	if !p.healSeen {
		p.healSeen = true
		p.openAtHeal, _ = t.db.Int(dispatchableQuery)
	}
	if p.openAtHeal > 0 && c.now.Sub(c.healAt) > c.b.DispatchResume {
		p.judged = true
		if c.lastDispatch.Before(c.healAt) {
			if open, _ := t.db.Int(dispatchableQuery); open > 0 {
				c.violation(PropDispatchResumes, "", "no dispatch in %s after the heal time with %d dispatchable open issues",
					c.now.Sub(c.healAt).Truncate(time.Second), open)
			}
		}
	}
}

func (p *dispatchResumesProp) unjudged(c *checker) string {
	switch {
	case !p.healSeen:
		return "the run ended before the heal"
	case p.openAtHeal == 0:
		return "no dispatchable open issue at the heal time"
	case !p.judged:
		return "the run ended within dispatch_resume of the heal"
	}
	return ""
}

// pokesProp bounds the Town's container calls per agent per hour.
type pokesProp struct{ pokes map[int]int }

func (p *pokesProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	switch call.Kind {
	case model.CallAgentStatus, model.CallStartAgent, model.CallStopAgent, model.CallSendMessage:
		p.pokes[hourOf(c.start, now)]++
	}
}

func (p *pokesProp) end(c *checker, w *sim.World, db *model.DB) {
	agents := agentCount(db)
	for _, h := range slices.Sorted(maps.Keys(p.pokes)) {
		if n := p.pokes[h]; n > c.b.PokesPerAgentHour*agents {
			c.violation(PropPokes, fmt.Sprint("hour ", h), "%d container calls in simulated hour %d for %d agents (bound %d per agent)",
				n, h, agents, c.b.PokesPerAgentHour)
		}
	}
}

func agentCount(db *model.DB) int {
	agents, _ := db.Int(`SELECT count(*) FROM agent_metadata`)
	return max(agents, 1)
}

// mergesProp bounds merge calls per PR per hour.
type mergesProp struct{ merges map[[2]any]int }

func (p *mergesProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind == model.CallMergePR {
		p.merges[[2]any{call.URL, hourOf(c.start, now)}]++
	}
}

func (p *mergesProp) end(c *checker, w *sim.World, db *model.DB) {
	for _, k := range sortedPairs(p.merges) {
		if n := p.merges[k]; n > c.b.MergesPerMRHour {
			c.violation(PropMerges, k[0].(string), "%d merge calls for PR %s in simulated hour %d (bound %d)",
				n, k[0].(string), k[1], c.b.MergesPerMRHour)
		}
	}
}

func (p *mergesProp) unjudged(*checker) string {
	if len(p.merges) == 0 {
		return "no merge call"
	}
	return ""
}

// eventsPerAgentProp bounds town events per agent-hour over the run.
type eventsPerAgentProp struct{}

func (eventsPerAgentProp) end(c *checker, w *sim.World, db *model.DB) {
	agents := agentCount(db)
	hours := max(c.now.Sub(c.start).Hours(), 1.0/60)
	events, _ := db.Int(`SELECT count(*) FROM town_events`)
	if rate := float64(events) / float64(agents) / max(hours, 1); rate > float64(c.b.EventsPerAgentHour) {
		c.violation(PropEventsPerAgent, "", "%.0f town events per agent-hour (bound %d)", rate, c.b.EventsPerAgentHour)
	}
}

// landingMRsProp bounds the landing merge requests of one convoy: the
// system-created merge requests that track it (create_landing_mr submits
// the convoy itself for review, so a landing MR has a tracks edge to the
// convoy and no convoy_id in its metadata).
type landingMRsProp struct{ convoys int }

func (p *landingMRsProp) end(c *checker, w *sim.World, db *model.DB) {
	// A landing MR tracks its convoy (CV-7 submits it with the convoy as
	// the source); its metadata carries no convoy_id.
	landing, _ := db.Query(`SELECT convoy, count(*) FROM (` + landingMRsQuery + `) GROUP BY convoy ORDER BY convoy`)
	if landing == nil {
		return
	}
	defer landing.Close()
	for landing.Next() {
		var convoy string
		var n int
		if landing.Scan(&convoy, &n) != nil {
			continue
		}
		p.convoys++
		if n > c.b.LandingMRsPerConvoy {
			c.violation(PropLandingMRs, convoy, "convoy %s has %d landing merge requests (bound %d)", short(convoy), n, c.b.LandingMRsPerConvoy)
		}
	}
}

func (p *landingMRsProp) unjudged(*checker) string {
	if p.convoys == 0 {
		return "no landing merge request"
	}
	return ""
}
