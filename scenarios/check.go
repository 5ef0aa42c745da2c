package scenarios

import (
	"fmt"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// Violation is one property that did not hold in a run.
type Violation struct {
	// Property names the property, "<class>/<name>" with class safety,
	// liveness or bounds (Properties lists them).
	Property string
	// At is the virtual time it was seen; Tick the tick count then.
	At   time.Time
	Tick int
	// Entity is what broke it (a bead, an agent, a rig; "" for the town).
	Entity string
	// Detail says what was seen.
	Detail string
	// Rule is the rule id of the action that broke it, when an action did.
	Rule string
	// Finding is the accepted production finding it matches ("" when it
	// matches none: a failure).
	Finding string
}

func (v Violation) String() string {
	s := fmt.Sprintf("%s at %s (tick %d)", v.Property, v.At.Format(time.RFC3339), v.Tick)
	if v.Entity != "" {
		s += " " + v.Entity
	}
	s += ": " + v.Detail
	if v.Finding != "" {
		s += " [accepted: " + v.Finding + "]"
	}
	return s
}

// CheckOptions choose what Check does besides the run's properties.
type CheckOptions struct {
	// Determinism runs the scenario a second time and compares hashes.
	Determinism bool
	// Findings are the accepted findings to match violations against
	// (nil = AcceptedFindings()).
	Findings []Finding
	// Run are extra run options (a trace writer, a wall clock).
	Run sim.RunOptions
	// BeforeTick, when set, ends the run just before tick BeforeTick
	// (after BeforeTick-1 ticks have ended): replay --at.
	BeforeTick int
	// AtStop, when set, sees the world where the run stopped, before the
	// end-of-run properties are judged.
	AtStop func(w *sim.World)
	// Differences, when set, reports how many reconcile passes, events
	// applied and action steps so far differed from another implementation
	// run beside the port's (differential mode, with Run.Reconcile,
	// Run.Events and Run.Apply its comparers): a tick that adds one fails
	// PropDifferential.
	Differences func() int
	// StopOnFailure ends the run at the simulated minute of its first
	// failure (the end-of-run properties are then judged over the part
	// that ran). Shrinking uses it: a failure found early is found fast.
	StopOnFailure bool
}

// Report is what Check found in one run.
type Report struct {
	// Config is the configuration that ran (faults resolved).
	Config sim.Config
	// Result is the run's result.
	Result *sim.Result
	// Failures are the violations that match no accepted finding.
	Failures []Violation
	// Accepted counts, by finding id, the violations an accepted finding
	// explained; Examples keeps the first of each.
	Accepted map[string]int
	Examples map[string]Violation
	// Coverage is what the run exercised.
	Coverage Coverage
	// ConvergeTicks is the number of ticks from the heal time (the start
	// when faults never stop) until every issue created before it was
	// terminal or expected; -1 when that never happened in the run.
	ConvergeTicks int
	// Unjudged lists, by property, why it could not be judged in this
	// run: its deadline fell outside the run, or the behaviour it judges
	// never happened. A property not listed was judged.
	Unjudged map[string]string
	// Loosened counts, by "expect key → property", the violations a
	// scenario's loosened bound absorbed (e.g. an issue past its settle
	// deadline in a status non_terminal allows).
	Loosened map[string]int
	// Peaks are the highest figures the bound properties measured, by
	// property (seconds for durations), to show each bound's margin.
	Peaks map[string]float64
}

// Failed reports whether any property failed.
func (r *Report) Failed() bool { return len(r.Failures) > 0 }

// Check runs cfg under bounds and judges every property of Properties
// after every tick and at the end. It never fails the run early: every
// violation is collected (each property and entity once).
func Check(cfg sim.Config, bounds Bounds, opts CheckOptions) (*Report, error) {
	c := newChecker(cfg, bounds.withDefaults(), opts)
	ro := opts.Run
	userTick, userCall := ro.OnTick, ro.OnCall
	ro.OnTick = func(rec *sim.TickRecord, res *alarm.TickResult, w *sim.World) {
		c.afterTick(rec, res, w)
		if userTick != nil {
			userTick(rec, res, w)
		}
	}
	ro.OnCall = func(call model.Call, r model.Result, w *sim.World) {
		c.onCall(call, r, w)
		if userCall != nil {
			userCall(call, r, w)
		}
	}
	userAnalytics := ro.OnAnalytics
	ro.OnAnalytics = func(e model.AnalyticsEvent, w *sim.World) {
		c.onAnalytics(e, w)
		if userAnalytics != nil {
			userAnalytics(e, w)
		}
	}
	ro.Events = &opObserver{c: c, next: ro.Events}
	ro.Reconcile = c.watchReconcile(ro.Reconcile)
	ro.Apply = c.watchApply(ro.Apply)
	ro.RPC = &rpcObserver{c: c, next: ro.RPC}
	w, err := sim.NewWorld(cfg, ro)
	if err != nil {
		return nil, err
	}
	end := w.Config().Start.Add(w.Config().Duration)
	c.world = w
	switch {
	case opts.BeforeTick > 0:
		for c.ticks < opts.BeforeTick-1 && w.Now().Before(end) {
			if !w.Engine().Step() {
				break
			}
		}
	case opts.StopOnFailure:
		for t := w.Now(); t.Before(end) && len(c.failures) == 0; {
			if t = t.Add(time.Minute); t.After(end) {
				t = end
			}
			w.RunUntil(t)
		}
	default:
		w.RunUntil(end)
	}
	if opts.AtStop != nil {
		opts.AtStop(w)
	}
	c.atEnd(w)
	res := w.Result()
	if err := w.Close(); err != nil {
		return nil, err
	}
	rep := c.report(res)
	if opts.Determinism && opts.BeforeTick == 0 && !opts.StopOnFailure {
		again, err := sim.Run(cfg, sim.RunOptions{})
		if err != nil {
			return nil, err
		}
		if again.TraceHash != res.TraceHash {
			c.add(Violation{Property: PropDeterminism, At: end, Tick: c.ticks,
				Detail: fmt.Sprintf("a second run gave hash %s, the first %s", again.TraceHash, res.TraceHash)})
			rep = c.report(res)
		}
	}
	return rep, nil
}

// Properties checked by Check, by class.
const (
	PropInvariant        = "safety/production-invariant"
	PropOneOwner         = "safety/one-live-process-per-bead"
	PropDrainDispatch    = "safety/no-dispatch-while-draining"
	PropTerminalWork     = "safety/no-work-on-terminal-bead"
	PropRigMatch         = "safety/agent-rig-matches-bead-rig"
	PropHookAssignee     = "safety/hook-and-assignee-agree"
	PropBeadLost         = "safety/no-bead-lost"
	PropSettle           = "liveness/issues-settle"
	PropQueueDrains      = "liveness/event-queue-drains"
	PropFlap             = "liveness/no-flapping"
	PropRetryStorm       = "liveness/dispatch-attempts-bounded"
	PropStarvation       = "liveness/no-starvation"
	PropDeterminism      = "liveness/determinism"
	PropFalseDeath       = "bounds/no-false-death"
	PropEventsPerAgent   = "bounds/events-per-agent-hour"
	PropPokes            = "bounds/container-pokes-per-agent-hour"
	PropMerges           = "bounds/merge-attempts-per-mr-hour"
	PropLandingMRs       = "bounds/landing-mrs-per-convoy"
	PropNudges           = "bounds/nudges-per-agent-hour"
	PropDispatchResumes  = "bounds/dispatch-resumes-after-heal"
	PropIdleCadence      = "bounds/idle-town-ticks-at-idle-cadence"
	PropTriageLeftAlone  = "bounds/triage-beads-left-alone"
	PropDeletedTownTicks = "bounds/deleted-town-never-ticks"
	PropDifferential     = "differential/same-actions-as-original"

	PropCompletedNotRedone = "safety/completed-work-never-redone"
	PropRoleMatchesBead    = "safety/dispatched-role-matches-bead"
	PropOneHookPerBead     = "safety/one-hooked-agent-per-bead"
	PropEventAge           = "liveness/event-age-bounded"
	PropLifeDispatches     = "liveness/dispatches-per-bead-life-bounded"
	PropTickLatency        = "bounds/tick-latency"
	PropStatementsPerTick  = "bounds/sql-statements-per-tick"
	PropGitHubCalls        = "bounds/github-calls-per-pr-hour"
	PropFailedWithCause    = "safety/nothing-fails-without-cause"
	PropMRFate             = "liveness/mr-terminal-after-pr-fate"
	PropActiveCadence      = "bounds/active-town-ticks-at-active-cadence"
	PropPRPolled           = "liveness/open-pr-polled"
	PropCauseInWorld       = "safety/failure-cause-in-world"
	PropResetEarned        = "safety/attempt-reset-earned"
	PropReviewRetried      = "liveness/stalled-review-redispatched"
	PropGCRetention        = "bounds/gc-after-retention"
	PropRigExists          = "safety/bead-rig-exists"
	PropStatusLog          = "safety/status-change-is-guarded"
	PropLandingBackoff     = "bounds/landing-attempts-spaced"
)

// short is a bead or agent id shortened for messages.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// hourOf is the index of the simulated hour t falls in.
func hourOf(start, t time.Time) int { return int(t.Sub(start) / time.Hour) }

// join renders ids for a detail.
func join(ids []string) string { return strings.Join(ids, ",") }
