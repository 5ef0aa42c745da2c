package scenarios

import (
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

// checker observes one run tick by tick and collects violations. Each
// property is its own small type with its own state (the properties
// table in properties.go); this file holds what they share — the run's
// clock, the facts several properties and the accepted findings read
// (breaker, draining, platform retries, start answers, the last
// dispatch), and the bookkeeping of violations.
type checker struct {
	cfg      sim.Config
	b        Bounds
	opts     CheckOptions
	findings []Finding
	world    *sim.World
	props    []property // one per row of the properties table, in its order

	start, healAt time.Time
	ticks         int
	now           time.Time

	seen      map[string]bool      // property+entity already reported
	failures  []Violation          // unaccepted, in order
	accepted  map[string]int       // finding id → count
	examples  map[string]Violation // finding id → first
	loosening map[string]int       // "expect key → property" → violations absorbed
	broken    map[string]time.Time // property+entity → since when a graced condition holds
	cov       Coverage

	// facts kept across ticks, read by several properties and the findings
	breakerOpen  bool                 // the last tick's breaker state
	breakerTicks map[int]bool         // ticks where the breaker was open
	tickTimes    []time.Time          // when each tick ended, by tick number - 1
	alreadyRun   map[string]time.Time // agent → last 500 "already running" start answer
	drainingAt   []time.Time          // ticks that reconciled while draining
	lastDispatch time.Time            // last dispatch_agent action
	splitHook    map[string]time.Time // agent → last tick AG-4 unhooked it while RQ-6 re-dispatched it
	differences  int                  // differential passes that differed, as last seen
	lastRan      bool                 // the last tick got past T1
	lastRetry    bool                 // the last tick was a platform retry
	tickStart    time.Time            // when the tick being judged fired
	untimed      []time.Time          // answers, since the last tick, of calls production sends without timeout
	stuckSince   map[string]time.Time // agent → first tick its live process was seen stuck
	stuckOn      map[string]time.Time // bead → last tick a live process stuck no longer than GUPP's force stop held it
	faultTimes   map[string][]time.Time
	faultCounts  map[string]int             // the world's fault counts as last seen
	explained    map[string]map[string]bool // finding id → entities it explained
	healSeen     bool                       // a tick at or after the heal time ran
	healTick     int                        // the tick count then
	converged    int                        // ticks after heal when converged (-1: not yet)
}

func newChecker(cfg sim.Config, b Bounds, opts CheckOptions) *checker {
	fs := opts.Findings
	if fs == nil {
		fs = AcceptedFindings()
	}
	c := &checker{cfg: cfg, b: b, opts: opts, findings: fs,
		seen: map[string]bool{}, accepted: map[string]int{}, examples: map[string]Violation{},
		loosening: map[string]int{}, broken: map[string]time.Time{}, breakerTicks: map[int]bool{},
		alreadyRun: map[string]time.Time{}, converged: -1, cov: newCoverage(),
		stuckSince: map[string]time.Time{}, stuckOn: map[string]time.Time{}, splitHook: map[string]time.Time{},
		faultTimes: map[string][]time.Time{}, faultCounts: map[string]int{}, explained: map[string]map[string]bool{}}
	for _, p := range properties {
		c.props = append(c.props, p.new())
	}
	return c
}

// loosened counts a violation of prop that the scenario's expect key
// absorbed (e.g. non_terminal: an issue past its deadline in a status the
// scenario allows).
func (c *checker) loosened(key, prop string) { c.loosening[key+" → "+prop]++ }

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
			if c.explained[f.ID] == nil {
				c.explained[f.ID] = map[string]bool{}
			}
			c.explained[f.ID][v.Entity] = true
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
	c.cfgStart(w)
	c.cov.addCall(call, r)
	if untimedCall(call.Kind) {
		c.untimed = append(c.untimed, now)
	}
	if call.Kind == model.CallStartAgent {
		if r.StatusCode == 500 && strings.Contains(r.Body, "already running") {
			c.alreadyRun[call.AgentID] = now
		}
	}
	for _, p := range c.props {
		if h, ok := p.(caller); ok {
			h.call(c, call, r, now)
		}
	}
}

// untimedCall: production sends these calls without a timeout (the
// specification's call table and constants: warm-up, stop, message, the
// container's state and stop, merge and GitHub REST calls).
func untimedCall(k model.CallKind) bool {
	switch k {
	case model.CallWarmUp, model.CallStopAgent, model.CallSendMessage, model.CallContainerState, model.CallContainerStop,
		model.CallMergePR, model.CallPRStatus, model.CallPRFeedback:
		return true
	}
	return false
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

// afterTick updates the shared facts and feeds the tick to every
// property.
func (c *checker) afterTick(rec *sim.TickRecord, res *alarm.TickResult, w *sim.World) {
	c.cfgStart(w)
	c.ticks++
	c.now = w.Now()
	c.lastRan, c.lastRetry = res != nil && res.Ran, rec.Retry
	c.tickStart = rec.At
	c.trackFaults(w)
	for _, p := range c.props {
		if h, ok := p.(everyTicker); ok {
			h.everyTick(c, rec, w)
		}
	}
	c.untimed = c.untimed[:0]
	if !w.DestroyedAt().IsZero() {
		return // the tables are gone: nothing else to judge
	}
	c.tickTimes = append(c.tickTimes, c.now)
	t := &tickView{rec: rec, res: res, w: w, db: w.Town().DB(), procs: w.Processes(), // the world's truth, read once per tick
		hour: hourOf(c.start, c.now), holds: map[string]bool{}}
	t.byAgent = make(map[string]sim.ProcessView, len(t.procs))
	for _, p := range t.procs {
		t.byAgent[p.AgentID] = p
		if p.Live && p.Stuck {
			if _, ok := c.stuckSince[p.AgentID]; !ok {
				c.stuckSince[p.AgentID] = c.now
			}
			if p.BeadID != "" && c.now.Sub(c.stuckSince[p.AgentID]) <= guppForceStop+c.b.Grace {
				c.stuckOn[p.BeadID] = c.now
			}
		} else {
			delete(c.stuckSince, p.AgentID)
		}
	}
	if res != nil {
		c.cov.addActions(res.Actions, t.db)
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
		c.noteSplitHooks(res.Actions)
		for _, a := range res.Actions {
			if a.Type == reconciler.DispatchAgent {
				c.lastDispatch = c.now
			}
			for _, p := range c.props {
				if h, ok := p.(actor); ok {
					h.action(c, a, t)
				}
			}
		}
	}
	for _, p := range c.props {
		if h, ok := p.(ticker); ok {
			h.tick(c, t)
		}
	}
	for key := range c.broken {
		if !t.holds[key] {
			delete(c.broken, key)
		}
	}
	c.trackConvergence(w)
}

// guppForceStop is GUPP's force stop of a session without progress
// (reconciler.md §2.5).
const guppForceStop = 2 * time.Hour

// trackFaults notes when each fault kind fired (to the tick: the world's
// fault counts as the tick ends).
func (c *checker) trackFaults(w *sim.World) {
	fs := w.Stats().Faults
	for _, k := range slices.Sorted(maps.Keys(fs)) {
		if fs[k] > c.faultCounts[k] {
			c.faultCounts[k] = fs[k]
			c.faultTimes[k] = append(c.faultTimes[k], c.now)
		}
	}
}

// faultNear reports whether one of kinds fired within [from, to].
func (c *checker) faultNear(from, to time.Time, kinds ...string) bool {
	for _, k := range kinds {
		for _, at := range c.faultTimes[k] {
			if !at.Before(from) && !at.After(to) {
				return true
			}
		}
	}
	return false
}

// trackConvergence counts the ticks from the heal time until the issues
// created before it are settled (Report.ConvergeTicks).
func (c *checker) trackConvergence(w *sim.World) {
	if c.now.Before(c.healAt) {
		return
	}
	if !c.healSeen {
		c.healSeen, c.healTick = true, c.ticks
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

// atEnd judges the properties decided over the whole run.
func (c *checker) atEnd(w *sim.World) {
	c.cfgStart(w)
	c.now = w.Now()
	if !w.DestroyedAt().IsZero() {
		return // the town's tables are gone
	}
	db := w.Town().DB()
	for _, p := range c.props {
		if h, ok := p.(ender); ok {
			h.end(c, w, db)
		}
	}
}

// peaks collects the bound properties' highest figures.
func (c *checker) peaks() map[string]float64 {
	out := map[string]float64{}
	for i, p := range c.props {
		if h, ok := p.(peaker); ok {
			out[properties[i].Name] = h.peak()
		}
	}
	return out
}

// unjudged lists, by property, why it could not be judged in the run.
func (c *checker) unjudged() map[string]string {
	out := map[string]string{}
	for i, p := range c.props {
		if h, ok := p.(unjudger); ok {
			if why := h.unjudged(c); why != "" {
				out[properties[i].Name] = why
			}
		}
	}
	return out
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
		ConvergeTicks: c.converged, Unjudged: c.unjudged(), Loosened: maps.Clone(c.loosening), Peaks: c.peaks()}
}

// watchReconcile wraps the tick's reconcile pass (next; nil is the
// port's) so that every reconcileWatcher sees its actions on the Town it
// read, before the tick applies them. The pass's result is returned
// unchanged.
func (c *checker) watchReconcile(next alarm.ReconcileFunc) alarm.ReconcileFunc {
	if next == nil {
		next = reconciler.Reconcile
	}
	return func(t *model.Town, now time.Time, o reconciler.Options) ([]reconciler.Action, error) {
		acts, err := next(t, now, o)
		if err != nil {
			return acts, err
		}
		for _, p := range c.props {
			if h, ok := p.(reconcileWatcher); ok {
				h.reconciled(c, t.DB(), acts)
			}
		}
		return acts, nil
	}
}

// rigReviewOffSQL is an SQL condition with no arguments: the rig whose
// id is the column rigCol has a row, and code review is off for it — its
// own code_review override, else the town's setting (reconciler.md: a
// rig's override, else the town's refinery setting, else on), which is
// read from the world's configuration, not the Town's rows, and written
// into the text as a literal: bound as an argument, a 0 or 1 sends every
// execution down the model's slow exact-plan path (model.DB.ExactPlans).
func (c *checker) rigReviewOffSQL(rigCol string) string {
	return "(EXISTS (SELECT 1 FROM rigs g WHERE g.id = " + rigCol + ") AND " + c.reviewOffSQL(rigCol) + ")"
}

// reviewOffSQL is an SQL condition with no arguments: code review is off
// for the rig whose id is the column rigCol — its own code_review
// override, else the town's setting (townCodeReviewSQL), also for a rig
// id without a row.
func (c *checker) reviewOffSQL(rigCol string) string {
	return "COALESCE((SELECT json_extract(g.config, '$.code_review') FROM rigs g WHERE g.id = " + rigCol + "), " +
		c.townCodeReviewSQL() + ") = 0"
}

// townCodeReviewSQL is the code_review a rig without its own override
// takes, as an SQL literal: 0 when the world configured the town with
// code review off, else 1.
func (c *checker) townCodeReviewSQL() string {
	if c.cfg.Town.CodeReviewOff {
		return "0"
	}
	return "1"
}

// hasAnyLabel reports whether the JSON label array labels holds one of
// want, as production's `labels LIKE '%"<label>"%'` tests it.
func hasAnyLabel(labels string, want ...string) bool {
	for _, w := range want {
		if strings.Contains(labels, `"`+w+`"`) {
			return true
		}
	}
	return false
}
