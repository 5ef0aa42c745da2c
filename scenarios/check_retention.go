package scenarios

import (
	"database/sql"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// GC's retention (reconciler.md §2.6, AGENT_GC_RETENTION_MS): an idle or
// dead polecat or refinery without a hook is deleted once its last
// activity is 24 h old. gcAfterRetentionProp judges both sides from the
// world's facts rather than the port's last_activity_at:
//
//   - not before: GC deletes an agent only 24 h after the latest of its
//     start calls and of the heartbeats of its processes that reached the
//     Town (each of them wrote last_activity_at, so production's clock is
//     never earlier). Left out: an agent the world started as a triage
//     agent (a lightweight start), and one a triage RESTART resolved (the
//     closed triage request names it): production's triage path
//     writes their activity NULL, which GC deletes at once (hazard 10);
//   - not much after: an idle or dead polecat or refinery without a hook
//     still exists gcLateBound past 24 h after its last activity — the
//     latest of its start calls, heartbeats, hooks (its `hooked` bead
//     events) and creation.
//
// GC deletes polecats and refineries only: deleting an agent the Town's
// calls name the mayor fails too. A fault of the Town's code or a restart
// excuses an early deletion.
type gcAfterRetentionProp struct {
	last    map[string]time.Time // agent → latest start call or heartbeat
	triage  map[string]bool      // agents the world started lightweight
	role    map[string]string    // agent → the role the Town's calls gave it
	deleted int
	late    time.Time // the last late check
}

// The retention and the slack after it: GC runs on every reconcile, and
// an idle town ticks at its idle cadence.
const (
	gcRetentionAge = 24 * time.Hour
	gcLateBound    = 15 * time.Minute
	gcLateCheckAt  = 10 * time.Minute // how often the late side is judged
)

func (p *gcAfterRetentionProp) call(c *checker, call model.Call, _ model.Result, now time.Time) {
	if call.AgentID != "" && call.Role != "" {
		p.role[call.AgentID] = call.Role
	}
	if call.Kind != model.CallStartAgent || call.AgentID == "" {
		return
	}
	if call.Lightweight {
		p.triage[call.AgentID] = true
	}
	if now.After(p.last[call.AgentID]) {
		p.last[call.AgentID] = now
	}
}

func (p *gcAfterRetentionProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Type != reconciler.DeleteAgent || a.Rule != "GC" {
		return
	}
	p.deleted++
	if r := p.role[a.AgentID]; r != "" && r != model.RolePolecat && r != model.RoleRefinery {
		c.violation(PropGCRetention, a.AgentID, "GC deleted agent %s, which the Town's calls name the %s (GC deletes polecats and refineries only)",
			short(a.AgentID), r)
		return
	}
	last, ok := p.last[a.AgentID]
	if !ok || p.triage[a.AgentID] || c.now.Sub(last) >= gcRetentionAge || c.causeExcuses()(c.now) {
		return
	}
	// A triage RESTART of the agent writes its activity NULL (hazard 10);
	// the closed triage request keeps its target and resolution.
	if n, _ := t.db.Int(`SELECT count(*) FROM beads WHERE json_extract(metadata, '$.agent_bead_id') = ?
		AND upper(json_extract(metadata, '$.resolution_action')) = ?`, a.AgentID, model.TriageRestart); n > 0 {
		return
	}
	c.violation(PropGCRetention, a.AgentID, "GC deleted agent %s %s after its last start or heartbeat (retention %s)",
		short(a.AgentID), c.now.Sub(last).Truncate(time.Second), gcRetentionAge)
}

func (p *gcAfterRetentionProp) tick(c *checker, t *tickView) {
	for _, pv := range t.procs {
		if pv.LastHeartbeat.After(p.last[pv.AgentID]) {
			p.last[pv.AgentID] = pv.LastHeartbeat
		}
	}
	if c.now.Sub(c.start) < gcRetentionAge || c.now.Sub(p.late) < gcLateCheckAt {
		return
	}
	p.late = c.now
	rows, err := t.db.Query(`SELECT a.bead_id, ab.created_at,
			(SELECT max(e.created_at) FROM bead_events e WHERE e.agent_id = a.bead_id AND e.event_type = 'hooked')
		FROM agent_metadata a JOIN beads ab ON ab.bead_id = a.bead_id
		WHERE a.role IN ('polecat', 'refinery') AND a.status IN ('idle', 'dead') AND a.current_hook_bead_id IS NULL
		ORDER BY a.bead_id`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	type agent struct {
		id      string
		created time.Time
		hooked  time.Time
	}
	var as []agent
	for rows.Next() {
		var id, created string
		var hooked sql.NullString
		if rows.Scan(&id, &created, &hooked) == nil {
			a := agent{id: id}
			a.created, _ = model.ParseTime(created)
			a.hooked, _ = model.ParseTime(hooked.String)
			as = append(as, a)
		}
	}
	rows.Close()
	for _, a := range as {
		last := p.last[a.id]
		for _, t := range []time.Time{a.created, a.hooked} {
			if t.After(last) {
				last = t
			}
		}
		if !last.IsZero() && c.now.Sub(last) > gcRetentionAge+gcLateBound {
			c.violation(PropGCRetention, a.id, "idle agent %s without a hook still exists %s after its last start, heartbeat or hook "+
				"(GC deletes at %s)", short(a.id), c.now.Sub(last).Truncate(time.Second), gcRetentionAge)
		}
	}
}

func (p *gcAfterRetentionProp) unjudged(c *checker) string {
	if p.deleted == 0 && c.now.Sub(c.start) < gcRetentionAge+gcLateBound {
		return "the run is shorter than GC's retention and GC deleted no agent"
	}
	return ""
}
