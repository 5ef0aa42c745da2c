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

// checker observes one run tick by tick and collects violations. The
// properties are judged by family, each in its own file with its own
// state: check_safety.go, check_liveness.go and check_bounds.go; this file
// holds what they share — the run's clock, the facts the accepted findings
// read (breaker, draining, platform retries, start answers), and the
// bookkeeping of violations.
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

	// facts kept across ticks, read by several families and the findings
	breakerOpen  bool                 // the last tick's breaker state
	breakerTicks map[int]bool         // ticks where the breaker was open
	tickTimes    []time.Time          // when each tick ended, by tick number - 1
	alreadyRun   map[string]time.Time // agent → last 500 "already running" start answer
	drainingAt   []time.Time          // ticks that reconciled while draining
	lastDispatch time.Time            // last dispatch_agent action
	differences  int                  // differential passes that differed, as last seen
	lastRan      bool                 // the last tick got past T1
	lastRetry    bool                 // the last tick was a platform retry

	livenessState
	boundsState
}

func newChecker(cfg sim.Config, b Bounds, opts CheckOptions) *checker {
	fs := opts.Findings
	if fs == nil {
		fs = AcceptedFindings()
	}
	return &checker{cfg: cfg, b: b, opts: opts, findings: fs,
		seen: map[string]bool{}, accepted: map[string]int{}, examples: map[string]Violation{},
		broken: map[string]time.Time{}, breakerTicks: map[int]bool{}, alreadyRun: map[string]time.Time{},
		livenessState: newLivenessState(), boundsState: newBoundsState(),
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

// afterTick judges the properties after a tick, family by family.
func (c *checker) afterTick(rec *sim.TickRecord, res *alarm.TickResult, w *sim.World) {
	c.cfgStart(w)
	c.ticks++
	c.now = w.Now()
	c.lastRan, c.lastRetry = res != nil && res.Ran, rec.Retry
	if c.opts.Differences != nil {
		if n := c.opts.Differences(); n > c.differences {
			c.violation(PropDifferential, fmt.Sprint("tick ", c.ticks), "the original's reconcile emitted other actions "+
				"than the port's on this tick's state (%d differing passes so far)", n)
			c.differences = n
		}
	}
	c.checkDeletedTownTicks(rec, w)
	if !w.DestroyedAt().IsZero() {
		return // the tables are gone: nothing else to judge
	}
	c.tickTimes = append(c.tickTimes, c.now)
	db := w.Town().DB()
	procs := w.Processes() // the world's truth, read once per tick
	if res != nil {
		c.cov.addActions(res.Actions, db)
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
		// The tick's actions were decided when it fired: a process started
		// during the tick (by its own dispatch, whose start call may block
		// up to the 60 s timeout) did not exist for its rules.
		byAgent := map[string]sim.ProcessView{}
		for _, p := range procs {
			if p.Started.Before(rec.At) {
				byAgent[p.AgentID] = p
			}
		}
		hour := hourOf(c.start, c.now)
		for _, a := range res.Actions {
			if a.Type == reconciler.DispatchAgent {
				c.lastDispatch = c.now
			}
			c.boundsAction(a, db, byAgent, hour)
			c.safetyAction(a, res)
			c.livenessAction(a, hour)
		}
		c.checkInvariants(res)
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
	c.checkPendingAfterTick(rec)
	if c.ticks%12 == 0 {
		c.checkIssuesExist(w, db)
	}
}

// atEnd judges the properties decided over the whole run.
func (c *checker) atEnd(w *sim.World) {
	c.cfgStart(w)
	c.now = w.Now()
	if !w.DestroyedAt().IsZero() {
		return // the town's tables are gone
	}
	db := w.Town().DB()
	c.checkIssuesExist(w, db)
	c.livenessAtEnd(w, db)
	c.boundsAtEnd(db)
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
		ConvergeTicks: c.converged}
}
