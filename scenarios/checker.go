package scenarios

import (
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// checker observes one run tick by tick and collects violations.
type checker struct {
	cfg      sim.Config
	b        Bounds
	opts     CheckOptions
	findings []Finding
	world    *sim.World

	start, healAt time.Time
	ticks         int
	now           time.Time

	seen     map[string]bool      // property+entity already reported
	failures []Violation          // unaccepted, in order
	accepted map[string]int       // finding id → count
	examples map[string]Violation // finding id → first
	broken   map[string]time.Time // property+entity → since when a graced condition holds
	cov      Coverage

	// state kept across ticks
	status       map[string]string      // bead or agent id → last status
	changes      map[string][]time.Time // id → recent status change times
	dispatches   map[[2]any]int         // (bead, hour) → dispatch_agent count
	nudges       map[[2]any]int         // (agent, hour) → send_nudge count
	pokes        map[int]int            // hour → container calls
	merges       map[[2]any]int         // (PR URL, hour) → merge calls
	agentsMax    int                    // most agents seen
	breakerOpen  bool                   // the last tick's breaker state
	breakerTicks map[int]bool           // ticks where the breaker was open
	tickTimes    []time.Time            // when each tick ended, by tick number - 1
	alreadyRun   map[string]time.Time   // agent → last 500 "already running" start answer
	drainingAt   []time.Time            // ticks that reconciled while draining
	lastDispatch time.Time              // last dispatch_agent action
	idleSince    time.Time              // first tick of the current idle stretch (zero: active)
	idleTicks    []time.Time            // ticks of the current idle stretch
	openAtHeal   int                    // dispatchable open issues when the heal time passed
	healSeen     bool
	converged    int  // ticks after heal when converged (-1: not yet)
	differences  int  // differential passes that differed, as last seen
	lastRan      bool // the last tick got past T1
	lastRetry    bool // the last tick was a platform retry
	healTick     int
}

func newChecker(cfg sim.Config, b Bounds, opts CheckOptions) *checker {
	fs := opts.Findings
	if fs == nil {
		fs = AcceptedFindings()
	}
	return &checker{cfg: cfg, b: b, opts: opts, findings: fs,
		seen: map[string]bool{}, accepted: map[string]int{}, examples: map[string]Violation{},
		broken: map[string]time.Time{}, status: map[string]string{}, changes: map[string][]time.Time{},
		dispatches: map[[2]any]int{}, nudges: map[[2]any]int{}, pokes: map[int]int{}, merges: map[[2]any]int{},
		breakerTicks: map[int]bool{}, alreadyRun: map[string]time.Time{}, converged: -1,
		cov: newCoverage()}
}

// add records v once per property and entity, as a failure or as the
// accepted finding it matches.
func (c *checker) add(v Violation) {
	key := v.Property + "\x00" + v.Entity
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	for _, f := range c.findings {
		if f.Property == v.Property && f.Applies(v, c) {
			v.Finding = f.ID
			c.accepted[f.ID]++
			if _, ok := c.examples[f.ID]; !ok {
				c.examples[f.ID] = v
			}
			return
		}
	}
	c.failures = append(c.failures, v)
}

// graced reports a condition that holds now for entity: it becomes a
// violation once it has held for the Grace bound.
func (c *checker) graced(prop, entity, detail string, holds map[string]bool) {
	key := prop + "\x00" + entity
	since, ok := c.broken[key]
	if !ok {
		c.broken[key] = c.now
		since = c.now
	}
	holds[key] = true
	if c.now.Sub(since) >= c.b.Grace {
		c.add(Violation{Property: prop, At: c.now, Tick: c.ticks, Entity: entity,
			Detail: fmt.Sprintf("%s (for %s)", detail, c.now.Sub(since))})
	}
}

// violation records an immediate violation now.
func (c *checker) violation(prop, entity, format string, args ...any) {
	c.add(Violation{Property: prop, At: c.now, Tick: c.ticks, Entity: entity, Detail: fmt.Sprintf(format, args...)})
}

func (c *checker) onCall(call model.Call, r model.Result, w *sim.World) {
	now := w.Now()
	c.cov.Calls[string(call.Kind)]++
	switch call.Kind {
	case model.CallAgentStatus, model.CallStartAgent, model.CallStopAgent, model.CallSendMessage:
		c.pokes[hourOf(c.cfgStart(w), now)]++
	case model.CallMergePR:
		c.merges[[2]any{call.URL, hourOf(c.cfgStart(w), now)}]++
	}
	if call.Kind == model.CallStartAgent && r.StatusCode == 500 && strings.Contains(r.Body, "already running") {
		c.alreadyRun[call.AgentID] = now
	}
}

func (c *checker) cfgStart(w *sim.World) time.Time {
	if c.start.IsZero() {
		c.start = w.Config().Start
		c.healAt = w.HealAt()
		if c.healAt.IsZero() {
			c.healAt = c.start
		}
	}
	return c.start
}

// afterTick judges the safety and bounds properties after a tick.
func (c *checker) afterTick(rec *sim.TickRecord, res *alarm.TickResult, w *sim.World) {
	c.cfgStart(w)
	c.ticks++
	c.now = w.Now()
	// A deleted town never ticks again (a tick already running when the
	// destroy finished may end).
	c.lastRan, c.lastRetry = res != nil && res.Ran, rec.Retry
	if c.opts.Differences != nil {
		if n := c.opts.Differences(); n > c.differences {
			c.violation(PropDifferential, fmt.Sprint("tick ", c.ticks), "the original's reconcile emitted other actions "+
				"than the port's on this tick's state (%d differing passes so far)", n)
			c.differences = n
		}
	}
	if d := w.DestroyedAt(); !d.IsZero() && rec.At.After(d) {
		ran := c.lastRan
		c.violation(PropDeletedTownTicks, fmt.Sprint("tick ", c.ticks), "a tick fired at %s (ran: %v, retry: %v) after the town was destroyed at %s",
			rec.At.Format(time.RFC3339), ran, rec.Retry, d.Format(time.RFC3339))
	}
	if !w.DestroyedAt().IsZero() {
		return // the tables are gone: nothing else to judge
	}
	c.tickTimes = append(c.tickTimes, c.now)
	db := w.Town().DB()
	procs := w.Processes() // the world's truth, read once per tick
	if res != nil {
		c.cov.addActions(res.Actions)
		c.breakerOpen = false
		for _, a := range res.Actions {
			if a.Type == reconciler.NotifyMayor && strings.HasPrefix(a.Message, "Dispatch circuit breaker is OPEN") {
				c.breakerOpen = true
				c.breakerTicks[c.ticks] = true
			}
		}
		if res.Draining {
			c.drainingAt = append(c.drainingAt, c.now)
		}
		c.checkActions(res, w, procs)
		for _, v := range res.Violations {
			c.violation(PropInvariant, fmt.Sprintf("#%d %s", v.Number, invariantEntity(v)), "invariant #%d: %s", v.Number, v.Message)
		}
	}
	holds := map[string]bool{}
	c.checkWorldOwners(procs, holds)
	c.checkDB(db, holds)
	for key := range c.broken {
		if !holds[key] {
			delete(c.broken, key)
		}
	}
	c.trackStatuses(db)
	c.checkIdleCadence(res)
	c.checkHeal(w, db)
	if !c.now.Before(c.healAt.Add(c.b.Grace)) && rec.Metrics.PendingEventCount > c.b.PendingEvents {
		c.violation(PropQueueDrains, "", "%d events pending after a tick, past the heal time (bound %d)",
			rec.Metrics.PendingEventCount, c.b.PendingEvents)
	}
	if c.ticks%12 == 0 {
		c.checkIssuesExist(w, db)
	}
}

// checkIssuesExist: every issue the users created is still a row (no
// rule of the port deletes an issue).
func (c *checker) checkIssuesExist(w *sim.World, db *model.DB) {
	for _, is := range w.Issues() {
		if !is.Deleted && c.beadStatus(db, is.ID) == "" {
			c.violation(PropBeadLost, is.ID, "issue %s (%s, created %s) is no longer in the database",
				short(is.ID), is.Kind, is.CreatedAt.Format(time.RFC3339))
		}
	}
}

// invariantEntity is what a production invariant's message names (its
// first id), so each entity is reported once.
func invariantEntity(v alarm.Violation) string {
	for _, f := range strings.Fields(v.Message) {
		if len(f) >= 36 && strings.Count(f, "-") == 4 {
			return f
		}
	}
	return v.Message
}

// checkActions judges what the tick's reconcile emitted.
func (c *checker) checkActions(res *alarm.TickResult, w *sim.World, all []sim.ProcessView) {
	procs := map[string]sim.ProcessView{}
	for _, p := range all {
		procs[p.AgentID] = p
	}
	hour := hourOf(c.start, c.now)
	db := w.Town().DB()
	for _, a := range res.Actions {
		if a.BeadID != "" {
			if n, _ := db.Int(`SELECT count(*) FROM beads WHERE bead_id = ? AND (labels LIKE '%"gt:triage-request"%' OR labels LIKE '%"gt:triage"%')`, a.BeadID); n > 0 {
				c.add(Violation{Property: PropTriageLeftAlone, At: c.now, Tick: c.ticks, Entity: a.BeadID, Rule: a.Rule,
					Detail: fmt.Sprintf("rule %s emitted %s on triage bead %s", a.Rule, a.String(), short(a.BeadID))})
			}
		}
		switch a.Type {
		case reconciler.DispatchAgent:
			c.lastDispatch = c.now
			if res.Draining {
				c.violation(PropDrainDispatch, a.BeadID, "dispatch_agent for bead %s emitted while draining", short(a.BeadID))
			}
			c.dispatches[[2]any{a.BeadID, hour}]++
			if n := c.dispatches[[2]any{a.BeadID, hour}]; n > c.b.DispatchesPerBeadHour {
				c.violation(PropRetryStorm, a.BeadID, "%d dispatches of bead %s in simulated hour %d (bound %d)",
					n, short(a.BeadID), hour, c.b.DispatchesPerBeadHour)
			}
			if a.AgentID != "" {
				c.falseDeath(a, procs[a.AgentID], "re-dispatched")
			}
		case reconciler.TransitionAgent:
			if a.To == model.AgentIdle {
				c.falseDeath(a, procs[a.AgentID], "idled")
			}
		case reconciler.SendNudge:
			c.nudges[[2]any{a.AgentID, hour}]++
			if n := c.nudges[[2]any{a.AgentID, hour}]; n > c.b.NudgesPerAgentHour {
				c.violation(PropNudges, a.AgentID, "%d nudges to agent %s in simulated hour %d (bound %d)",
					n, short(a.AgentID), hour, c.b.NudgesPerAgentHour)
			}
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

// checkWorldOwners: at most one live process works on a bead.
func (c *checker) checkWorldOwners(procs []sim.ProcessView, holds map[string]bool) {
	byBead := map[string][]string{}
	for _, p := range procs {
		if p.Live && !p.Draining && p.BeadID != "" && (p.Role == model.RolePolecat || p.Role == model.RoleRefinery) {
			byBead[p.BeadID] = append(byBead[p.BeadID], p.AgentID)
		}
	}
	for _, bead := range slices.Sorted(maps.Keys(byBead)) {
		if agents := byBead[bead]; len(agents) > 1 {
			c.graced(PropOneOwner, bead, fmt.Sprintf("bead %s has %d live processes (agents %s)",
				short(bead), len(agents), join(agents)), holds)
		}
	}
}

// checkDB judges the harness invariants the Town's database shows.
func (c *checker) checkDB(db *model.DB, holds map[string]bool) {
	pairs := func(q string) [][2]string {
		rows, err := db.Query(q)
		if err != nil {
			c.violation("check/query", "", "%v", err)
			return nil
		}
		defer rows.Close()
		var out [][2]string
		for rows.Next() {
			var a, b sql.NullString
			if err := rows.Scan(&a, &b); err == nil {
				out = append(out, [2]string{a.String, b.String})
			}
		}
		return out
	}
	for _, p := range pairs(`SELECT a.bead_id, b.bead_id FROM agent_metadata a
		JOIN beads b ON b.bead_id = a.current_hook_bead_id
		WHERE a.status = 'working' AND b.status IN ('closed', 'failed') ORDER BY a.bead_id`) {
		c.graced(PropTerminalWork, p[0], fmt.Sprintf("agent %s works on terminal bead %s", short(p[0]), short(p[1])), holds)
	}
	for _, p := range pairs(`SELECT a.bead_id, hb.bead_id FROM agent_metadata a
		JOIN beads ab ON ab.bead_id = a.bead_id
		JOIN beads hb ON hb.bead_id = a.current_hook_bead_id
		WHERE a.role IN ('polecat', 'refinery') AND hb.rig_id IS NOT NULL AND ab.rig_id IS NOT hb.rig_id
		ORDER BY a.bead_id`) {
		c.graced(PropRigMatch, p[0], fmt.Sprintf("agent %s is hooked to bead %s of another rig", short(p[0]), short(p[1])), holds)
	}
	for _, p := range pairs(`SELECT a.bead_id, b.bead_id FROM agent_metadata a
		JOIN beads b ON b.bead_id = a.current_hook_bead_id
		WHERE a.role IN ('polecat', 'refinery') AND b.status NOT IN ('closed', 'failed')
		  AND b.assignee_agent_bead_id IS NOT a.bead_id
		ORDER BY a.bead_id`) {
		c.graced(PropHookAssignee, p[0], fmt.Sprintf("agent %s is hooked to bead %s, whose assignee is another", short(p[0]), short(p[1])), holds)
	}
}

// trackStatuses follows every bead's and agent's status for flapping. An
// agent's status is read with its hook, so an agent that moves on to new
// work is not flapping; one that goes back and forth on the same hook is.
func (c *checker) trackStatuses(db *model.DB) {
	rows, err := db.Query(`SELECT bead_id, status FROM beads WHERE type != 'agent'
		UNION ALL SELECT 'agent:' || bead_id, status || ' hooked to ' || COALESCE(current_hook_bead_id, 'nothing')
		FROM agent_metadata`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id, st string
		if rows.Scan(&id, &st) != nil {
			continue
		}
		old, ok := c.status[id]
		c.status[id] = st
		if !ok || old == st {
			continue
		}
		// A flap is the same transition again and again: count this
		// transition's repeats within the window.
		tr := old + " -> " + st
		ch := append(c.changes[id+"\x00"+tr], c.now)
		for len(ch) > 0 && c.now.Sub(ch[0]) > c.b.FlapWindow {
			ch = ch[1:]
		}
		c.changes[id+"\x00"+tr] = ch
		if len(ch) > c.b.FlapChanges {
			kind, bare := "bead", id
			if a, ok := strings.CutPrefix(id, "agent:"); ok {
				kind, bare = "agent", a
			}
			c.violation(PropFlap, bare, "%s %s went %s %d times in %s", kind, short(bare), tr, len(ch), c.b.FlapWindow)
		}
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

// settledBefore reports whether every issue created before t is terminal
// or in an expected status.
func (c *checker) settledBefore(w *sim.World, t time.Time) bool {
	for _, is := range w.Issues() {
		if !is.CreatedAt.Before(t) {
			break
		}
		if !c.settled(w, is.ID) {
			return false
		}
	}
	return true
}

func (c *checker) settled(w *sim.World, id string) bool {
	st := c.beadStatus(w.Town().DB(), id)
	return st == "" || st == model.StatusClosed || st == model.StatusFailed || slices.Contains(c.b.NonTerminal, st)
}

func (c *checker) beadStatus(db *model.DB, id string) string {
	s, err := db.Strings(`SELECT status FROM beads WHERE bead_id = ?`, id)
	if err != nil || len(s) == 0 {
		return ""
	}
	return s[0]
}

// atEnd judges the properties decided over the whole run.
func (c *checker) atEnd(w *sim.World) {
	c.cfgStart(w)
	c.now = w.Now()
	if !w.DestroyedAt().IsZero() {
		return // the town's tables are gone
	}
	db := w.Town().DB()
	end := c.now
	c.checkIssuesExist(w, db)
	// Settle: issues whose deadline fell inside the run are terminal.
	for _, is := range w.Issues() {
		from := is.CreatedAt
		if from.Before(c.healAt) {
			from = c.healAt
		}
		if from.Add(c.b.Settle).After(end) {
			continue
		}
		st := c.beadStatus(db, is.ID)
		if st != "" && !c.settled(w, is.ID) {
			c.violation(PropSettle, is.ID, "issue %s (%s, created %s) is still %s at the end, past its deadline %s",
				short(is.ID), is.Kind, is.CreatedAt.Format(time.RFC3339), st, from.Add(c.b.Settle).Format(time.RFC3339))
		}
	}
	// The queue drains once settled.
	if end.Sub(c.healAt) >= c.b.Settle {
		if n, _ := db.Int(`SELECT count(*) FROM town_events WHERE processed_at IS NULL`); n > c.b.PendingEvents {
			c.violation(PropQueueDrains, "", "%d events still pending at the end (bound %d)", n, c.b.PendingEvents)
		}
	}
	// Starvation: a non-terminal bead untouched for the bound after the heal.
	if end.Sub(c.healAt) >= c.b.Starvation {
		cut := model.ISO(end.Add(-c.b.Starvation))
		ids, _ := db.Strings(`SELECT bead_id FROM beads WHERE type IN ('issue', 'merge_request')
			AND status NOT IN ('closed', 'failed') AND updated_at < ? ORDER BY bead_id`, cut)
		for _, id := range ids {
			if slices.Contains(c.b.NonTerminal, c.beadStatus(db, id)) {
				continue
			}
			c.violation(PropStarvation, id, "bead %s unchanged since before %s", short(id), cut)
		}
	}
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

// sortedPairs returns the keys of a (id, hour) map in order.
func sortedPairs(m map[[2]any]int) [][2]any {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b [2]any) int {
		if c := strings.Compare(a[0].(string), b[0].(string)); c != 0 {
			return c
		}
		return a[1].(int) - b[1].(int)
	})
	return keys
}

func (c *checker) report(res *sim.Result) *Report {
	c.cov.addRun(res)
	return &Report{Config: res.Config, Result: res, Failures: slices.Clone(c.failures),
		Accepted: maps.Clone(c.accepted), Examples: maps.Clone(c.examples), Coverage: c.cov,
		ConvergeTicks: c.converged}
}
