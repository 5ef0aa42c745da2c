package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// The bounds family: rates and reactions stay within limits a healthy
// production town keeps — no live agent declared dead, events, container
// calls, merges, nudges and landing MRs per unit, dispatch back after a
// heal, the idle cadence, triage beads left alone, a deleted town silent.

// boundsState is what the bounds family keeps across ticks.
type boundsState struct {
	nudges     map[[2]any]int // (agent, hour) → send_nudge count
	pokes      map[int]int    // hour → container calls
	merges     map[[2]any]int // (PR URL, hour) → merge calls
	idleSince  time.Time      // first tick of the current idle stretch (zero: active)
	idleTicks  []time.Time    // ticks of the current idle stretch
	openAtHeal int            // dispatchable open issues when the heal time passed
	healSeen   bool
	healTick   int
	converged  int // ticks after heal when converged (-1: not yet)
}

func newBoundsState() boundsState {
	return boundsState{nudges: map[[2]any]int{}, pokes: map[int]int{}, merges: map[[2]any]int{}, converged: -1}
}

// checkDeletedTownTicks: a deleted town never ticks again (a tick already
// running when the destroy finished may end).
func (c *checker) checkDeletedTownTicks(rec *sim.TickRecord, w *sim.World) {
	if d := w.DestroyedAt(); !d.IsZero() && rec.At.After(d) {
		c.violation(PropDeletedTownTicks, fmt.Sprint("tick ", c.ticks), "a tick fired at %s (ran: %v, retry: %v) after the town was destroyed at %s",
			rec.At.Format(time.RFC3339), c.lastRan, rec.Retry, d.Format(time.RFC3339))
	}
}

// boundsAction judges one action the tick's reconcile emitted against the
// world's processes (byAgent).
func (c *checker) boundsAction(a reconciler.Action, db *model.DB, byAgent map[string]sim.ProcessView, hour int) {
	if a.BeadID != "" {
		if n, _ := db.Int(`SELECT count(*) FROM beads WHERE bead_id = ? AND (labels LIKE '%"gt:triage-request"%' OR labels LIKE '%"gt:triage"%')`, a.BeadID); n > 0 {
			c.add(Violation{Property: PropTriageLeftAlone, At: c.now, Tick: c.ticks, Entity: a.BeadID, Rule: a.Rule,
				Detail: fmt.Sprintf("rule %s emitted %s on triage bead %s", a.Rule, a.String(), short(a.BeadID))})
		}
	}
	switch a.Type {
	case reconciler.DispatchAgent:
		if a.AgentID != "" {
			c.falseDeath(a, byAgent[a.AgentID], "re-dispatched")
		}
	case reconciler.TransitionAgent:
		if a.To == model.AgentIdle {
			c.falseDeath(a, byAgent[a.AgentID], "idled")
		}
	case reconciler.SendNudge:
		c.nudges[[2]any{a.AgentID, hour}]++
		if n := c.nudges[[2]any{a.AgentID, hour}]; n > c.b.NudgesPerAgentHour {
			c.violation(PropNudges, a.AgentID, "%d nudges to agent %s in simulated hour %d (bound %d)",
				n, short(a.AgentID), hour, c.b.NudgesPerAgentHour)
		}
	}
}

// falseDeath flags an action against an agent whose process is alive and
// reporting: running, not stuck, not told to stop, heartbeat fresh.
func (c *checker) falseDeath(a reconciler.Action, p sim.ProcessView, what string) {
	if p.AgentID == "" || p.State != "running" || p.Stuck || p.Draining || p.Finished || p.LastHeartbeat.IsZero() {
		return
	}
	if age := c.now.Sub(p.LastHeartbeat); age <= c.b.HeartbeatFresh {
		c.violation(PropFalseDeath, a.AgentID, "agent %s %s (%s) while its process runs and heartbeated %s ago",
			short(a.AgentID), what, a.Type, age)
	}
}

// checkIdleCadence: a town without active work for an hour ticks at the
// idle cadence.
func (c *checker) checkIdleCadence(res *alarm.TickResult) {
	if res == nil || res.ActiveWork {
		c.idleSince, c.idleTicks = time.Time{}, c.idleTicks[:0]
		return
	}
	if c.idleSince.IsZero() {
		c.idleSince = c.now
	}
	c.idleTicks = append(c.idleTicks, c.now)
	for len(c.idleTicks) > 0 && c.now.Sub(c.idleTicks[0]) > time.Hour {
		c.idleTicks = c.idleTicks[1:]
	}
	if c.now.Sub(c.idleSince) >= time.Hour && len(c.idleTicks) > c.b.IdleTicksPerHour {
		c.violation(PropIdleCadence, "", "%d ticks in the last hour of a town idle since %s (bound %d)",
			len(c.idleTicks), c.idleSince.Format(time.RFC3339), c.b.IdleTicksPerHour)
	}
}

// dispatchable counts open issues BD-1 could dispatch (assigned or not,
// not held).
const dispatchableQuery = `SELECT count(*) FROM beads WHERE type = 'issue' AND status = 'open'
	AND labels NOT LIKE '%gt:held%'`

// checkHeal follows recovery after the heal time: dispatch resumes, and
// the issues created before the heal settle (ticks to converge).
func (c *checker) checkHeal(w *sim.World, db *model.DB) {
	if c.now.Before(c.healAt) {
		return
	}
	if !c.healSeen {
		c.healSeen = true
		c.healTick = c.ticks
		c.openAtHeal, _ = db.Int(dispatchableQuery)
	}
	if c.openAtHeal > 0 && c.lastDispatch.Before(c.healAt) && c.now.Sub(c.healAt) > c.b.DispatchResume {
		if open, _ := db.Int(dispatchableQuery); open > 0 {
			c.violation(PropDispatchResumes, "", "no dispatch in %s after the heal time with %d dispatchable open issues",
				c.now.Sub(c.healAt).Truncate(time.Second), open)
		}
	}
	if c.converged < 0 && c.settledBefore(w, c.healAt) {
		c.converged = c.ticks - c.healTick
	}
}

// boundsAtEnd judges the rates counted over the whole run.
func (c *checker) boundsAtEnd(db *model.DB) {
	end := c.now
	// Events per agent-hour.
	agents, _ := db.Int(`SELECT count(*) FROM agent_metadata`)
	agents = max(agents, 1)
	hours := max(end.Sub(c.start).Hours(), 1.0/60)
	events, _ := db.Int(`SELECT count(*) FROM town_events`)
	if rate := float64(events) / float64(agents) / max(hours, 1); rate > float64(c.b.EventsPerAgentHour) {
		c.violation(PropEventsPerAgent, "", "%.0f town events per agent-hour (bound %d)", rate, c.b.EventsPerAgentHour)
	}
	for _, h := range slices.Sorted(maps.Keys(c.pokes)) {
		if n := c.pokes[h]; n > c.b.PokesPerAgentHour*agents {
			c.violation(PropPokes, fmt.Sprint("hour ", h), "%d container calls in simulated hour %d for %d agents (bound %d per agent)",
				n, h, agents, c.b.PokesPerAgentHour)
		}
	}
	for _, k := range sortedPairs(c.merges) {
		if n := c.merges[k]; n > c.b.MergesPerMRHour {
			c.violation(PropMerges, k[0].(string), "%d merge calls for PR %s in simulated hour %d (bound %d)",
				n, k[0].(string), k[1], c.b.MergesPerMRHour)
		}
	}
	landing, _ := db.Query(`SELECT json_extract(metadata, '$.convoy_id'), count(*) FROM beads
		WHERE type = 'merge_request' AND created_by = 'system' AND json_extract(metadata, '$.convoy_id') IS NOT NULL
		GROUP BY 1 ORDER BY 1`)
	if landing != nil {
		for landing.Next() {
			var convoy string
			var n int
			if landing.Scan(&convoy, &n) == nil && n > c.b.LandingMRsPerConvoy {
				c.violation(PropLandingMRs, convoy, "convoy %s has %d landing merge requests (bound %d)", short(convoy), n, c.b.LandingMRsPerConvoy)
			}
		}
		landing.Close()
	}
}
