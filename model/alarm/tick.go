// Package alarm is the Town's alarm tick (reconciler.md §1): container
// upkeep, the container-status observation, the event drain (Phase 0),
// reconcile and apply (Phase 1), the deferred side effects (Phase 2), the
// invariant check, the per-tick metrics, housekeeping, the idle container
// stop and the re-arm; plus the two debug endpoints, dry-run and replay
// (§6), and the invariant checker (§4).
//
// The tick is one sequential function, as production's handler is. Every
// point where production awaits goes through model.Env (Call for one
// awaited call, All for production's Promise.allSettled), so a simulator
// owns every await and may run other Town RPCs in between.
package alarm

import (
	"fmt"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// Tick timing constants (reconciler.md §7.1) that are not the cadences
// themselves (model.ActiveInterval, model.IdleInterval).
const (
	// DrainTimeout is T8's auto-clear of the eviction drain flag.
	DrainTimeout = 7 * time.Minute
	// DrainHandoffDelay is how long after the drain started T3a sends the nonce.
	DrainHandoffDelay = 11 * time.Minute
	// RecentRigWindow lets T3a run without active work for a newly configured rig.
	RecentRigWindow = 5 * time.Minute
	// TokenRefreshInterval throttles T3b.
	TokenRefreshInterval = time.Hour
	// KiloTokenCheckInterval throttles T3c (in memory).
	KiloTokenCheckInterval = 24 * time.Hour
	// IdleStopQuietPeriod is how long the mayor must be quiet before T16 stops the container.
	IdleStopQuietPeriod = 5 * time.Minute
	// IdleStopThrottle is the minimum time between two idle stops (T16).
	IdleStopThrottle = 2 * time.Minute
)

// TickResult is what one alarm tick did. On an aborted tick (Tick returns
// an error) it holds what ran before the abort and Metrics is incomplete.
type TickResult struct {
	// Ran is false when the T1 guard (no town id) deleted the alarm.
	Ran bool
	// Metrics is the tick's ReconcilerMetrics (§5.1). Production keeps the
	// last one in memory ("last reconciler metrics"); townsim returns it
	// here and lets the caller keep it.
	Metrics Metrics
	// Actions are the actions reconcile emitted, in order.
	Actions []reconciler.Action
	// ApplyErrors names every action whose synchronous part threw:
	// "<type>: <err>".
	ApplyErrors []string
	// Violations are the invariant violations found at T11.
	Violations []Violation
	// Cost is the database work done between the tick's start and end
	// (statements and rows). Under an Env that runs other RPCs during the
	// tick's awaits it includes theirs; the simulator meters the tick's own
	// share separately (sim.TickRecord.Cost).
	Cost model.Cost
	// CostByPart splits the database work of the tick's synchronous parts,
	// where no other RPC can interleave: "T7 drain", each sub-reconciler
	// by its production name ("reconcileBeads", ...), "apply <type>" for
	// the synchronous half of each action type, "T11 invariants", and
	// "ANALYZE" when a what-if run refreshes statistics (model.Knobs.Analyze).
	// It explains a change in Cost: which rule or query grew.
	CostByPart map[string]model.Cost
	// Analytics are the analytics events the tick itself wrote, in order,
	// each also sent to Options.Analytics: container upkeep and idle stop
	// (raw writer), invariant violations and reconciler_tick (Town emitter). Events
	// written inside model operations and actions (agent.spawned, …) reach
	// Options.Analytics only.
	Analytics []model.AnalyticsEvent
	// Reports are the Sentry-style reports of the tick: a failed drain read
	// (T7), a throwing reconcile (T9), one message per violation (T11).
	Reports []model.ErrorReport
	// Logs are the failures production catches and only logs (warnings and
	// errors of T3, T4, T7, T9, T11, T15, T16), as "<step>: <error>".
	Logs []string
	// Draining is the drain flag the reconcile pass saw (T9).
	Draining bool
	// ActiveWork and TriageCount are the T13 and T14 snapshots (production
	// caches them for the status broadcast, T18).
	ActiveWork  bool
	TriageCount int
}

// Tick runs one alarm tick (reconciler.md §1.2, T1–T18) strictly in order,
// with the error model of §1.3: a failure production catches is logged in
// the result and the tick goes on; a failure production does not catch
// (T1, T2, T6, T8, T12's pending count, T13, T14, T17) aborts the tick and
// is returned as the error — the platform retries the handler, and the
// aborted tick has not re-armed the alarm (T17 did not run).
//
// Times are read from env.Now() at the point where production reads
// Date.now(), so virtual time spent awaiting calls shows up where it does
// in production (e.g. in WallClockMs, which includes Phase 2).
//
// T18 (the status broadcast over WebSockets) does nothing: townsim has no
// WebSocket clients. The snapshot it would send is in ActiveWork,
// TriageCount and Metrics.
func Tick(t *model.Town, env model.Env) (*TickResult, error) {
	return tick(t, env, Hooks{})
}

func tick(t *model.Town, env model.Env, h Hooks) (*TickResult, error) {
	res := &TickResult{CostByPart: map[string]model.Cost{}}
	startCost := t.DB().Cost()
	defer func() { res.Cost = t.DB().Cost().Sub(startCost) }()
	rec := recorder{t: t, res: res, reconcile: h.Reconcile, apply: h.Apply}
	if rec.reconcile == nil {
		rec.reconcile = reconciler.Reconcile
	}
	if rec.apply == nil {
		rec.apply = reconciler.Apply
	}

	// T1 — existence guard.
	if t.KV().TownID == "" {
		t.DeleteAlarm()
		return res, nil
	}
	res.Ran = true

	// What-if only (model.Knobs.Analyze; production never runs it): refresh
	// SQLite's statistics, metered as its own part of the tick.
	anStart := t.DB().Cost()
	if ran, err := t.MaybeAnalyze(env.Now()); ran {
		rec.addCost("ANALYZE", t.DB().Cost().Sub(anStart))
		if err != nil {
			rec.log("ANALYZE failed: %v", err)
		}
	}

	// T2 — rig list (unguarded).
	rigs, err := t.ListRigs()
	if ferr := t.Fault(model.FPRigList, ""); ferr != nil {
		err = ferr
	}
	if err != nil {
		return res, fmt.Errorf("alarm T2 list rigs: %w", err)
	}

	// T3 — container upkeep, each sub-step caught on its own.
	if len(rigs) > 0 {
		if err := upkeepFaulty(t, env, rigs, rec); err != nil {
			rec.log("T3a container health check failed: %v", err)
		}
		if err := refreshContainerToken(t, env); err != nil {
			rec.log("T3b refreshContainerToken failed: %v", err)
		}
		if err := refreshKiloTokenIfExpiring(t, env); err != nil {
			rec.log("T3c refreshKilocodeTokenIfExpiring failed: %v", err)
		}
	}

	// T4 — container-status observation.
	observeContainerStatus(t, env, rec)

	// T5 — metrics start.
	start := env.Now()
	m := &res.Metrics
	m.ActionsByType = map[string]int{}

	// T6 — town config (unguarded).
	cfg, err := t.ReadTownConfig()
	if err != nil {
		return res, fmt.Errorf("alarm T6 town config: %w", err)
	}

	// T7 — Phase 0: drain events.
	drainStart := t.DB().Cost()
	drain, err := t.DrainEvents(env.Now(), cfg)
	rec.addCost("T7 drain", t.DB().Cost().Sub(drainStart))
	if err != nil {
		rec.log("T7 event drain failed: %v", err)
		rec.report(model.ErrorReport{Level: "error", Message: err.Error()})
	} else {
		m.EventsDrained = drain.Drained
	}

	// T8 — drain safety net (unguarded: a failed KV write aborts the tick).
	if err := clearStaleDrain(t, env.Now()); err != nil {
		return res, fmt.Errorf("alarm T8 drain timeout: %w", err)
	}

	// T9 — Phase 1: reconcile and apply.
	effects := reconcileAndApply(t, env, cfg, rec)

	// T10 — Phase 2: side effects.
	runSideEffects(t, env, effects, m)

	// T11 — invariants.
	invStart := t.DB().Cost()
	checkAndReport(t, rec)
	rec.addCost("T11 invariants", t.DB().Cost().Sub(invStart))

	// T12 — metrics finalisation.
	m.WallClockMs = ms(start, env.Now())
	if m.PendingEventCount, err = t.PendingEventCount(); err != nil {
		return res, fmt.Errorf("alarm T12 pending event count: %w", err)
	}
	rec.emit(tickEvent(*m, res.Actions))

	// T13 — activity snapshot (unguarded).
	if res.ActiveWork, err = t.HasActiveWork(env.Now()); err == nil {
		err = t.Fault(model.FPAfterWork, "")
	}
	if err != nil {
		return res, fmt.Errorf("alarm T13 hasActiveWork: %w", err)
	}

	// T14 — triage count (unguarded).
	if res.TriageCount, err = t.PendingTriageCount(); err != nil {
		return res, fmt.Errorf("alarm T14 pending triage count: %w", err)
	}

	// T15 — housekeeping.
	housekeeping(t, env, res.TriageCount, rigs, rec)

	// T16 — idle container stop.
	if err := stopContainerIfIdle(t, env, rec); err != nil {
		rec.log("T16 stopContainerIfIdle failed: %v", err)
	}

	// T17 — re-arm.
	interval := t.Knobs().IdleInterval
	if res.ActiveWork {
		interval = t.Knobs().ActiveInterval
	}
	t.SetAlarm(env.Now().Add(interval))

	// T18 — status broadcast: no WebSockets in townsim (see the doc comment).
	return res, nil
}

// clearStaleDrain is T8: the drain flag clears itself 7 min after it was
// set (strictly more), in memory and in KV.
func clearStaleDrain(t *model.Town, now time.Time) error {
	kv := t.KV()
	if !kv.Draining || kv.DrainStartedAt.IsZero() {
		return nil
	}
	if ms(kv.DrainStartedAt, now) > float64(DrainTimeout.Milliseconds()) {
		return t.ClearDrain()
	}
	return nil
}

// upkeepFaulty is T3a under its failpoint (FPUpkeep), which throws before
// the health check does anything.
func upkeepFaulty(t *model.Town, env model.Env, rigs []*model.Rig, rec recorder) error {
	if err := t.Fault(model.FPUpkeep, ""); err != nil {
		return err
	}
	return ensureContainerReady(t, env, rigs, rec)
}

// reconcileAndApply is T9: reconcile over the post-drain snapshot, count
// the actions, then apply each in order; a throwing action is logged and
// the next one runs. It returns the deferred effects in order.
func reconcileAndApply(t *model.Town, env model.Env, cfg *model.TownConfig, rec recorder) []*reconciler.Effect {
	rec.res.Draining = t.KV().Draining
	actions, err := rec.reconcile(t, env.Now(), reconciler.Options{
		Draining: rec.res.Draining, Config: cfg, Cost: rec.addCost})
	if err == nil {
		if err = t.Fault(model.FPReconcile, ""); err != nil {
			actions = nil
		}
	}
	if err != nil {
		rec.log("T9 reconcile failed: %v", err)
		rec.report(model.ErrorReport{Level: "error", Message: err.Error()})
		return nil
	}
	m := &rec.res.Metrics
	m.ActionsEmitted = len(actions)
	m.ActionsByType = CountByType(actions)
	rec.res.Actions = actions
	var effects []*reconciler.Effect
	for _, a := range actions {
		before := t.DB().Cost()
		finish := t.FaultHalfway(model.FPApplyAction, a.Type)
		eff, err := rec.apply(t, env, a)
		err = finish(err)
		rec.addCost("apply "+a.Type, t.DB().Cost().Sub(before))
		if err != nil {
			msg := a.Type + ": " + err.Error()
			rec.res.ApplyErrors = append(rec.res.ApplyErrors, msg)
			rec.log("T9 applyAction failed: %s", msg)
			continue
		}
		if eff != nil && eff.Run != nil {
			effects = append(effects, eff)
		}
	}
	return effects
}

// runSideEffects is T10: every deferred effect starts together and is
// awaited; a returned error counts as a rejection.
func runSideEffects(t *model.Town, env model.Env, effects []*reconciler.Effect, m *Metrics) {
	m.SideEffectsAttempted = len(effects)
	if len(effects) == 0 {
		return
	}
	failed := make([]bool, len(effects))
	tasks := make([]func(), len(effects))
	for i, eff := range effects {
		tasks[i] = func() {
			if t.Fault(model.FPSideEffect, eff.Action.Type) != nil {
				failed[i] = true
				return
			}
			failed[i] = eff.Run(env) != nil
		}
	}
	env.All(tasks)
	for _, f := range failed {
		if f {
			m.SideEffectsFailed++
		} else {
			m.SideEffectsSucceeded++
		}
	}
}

// housekeeping is T15: five tasks started together and awaited; each
// failure is only logged.
func housekeeping(t *model.Town, env model.Env, triageCount int, rigs []*model.Rig, rec recorder) {
	run := func(name string, f func() error) func() {
		return func() {
			err := t.Fault(model.FPHousekeeping, name)
			if err == nil {
				err = f()
			}
			if err != nil {
				rec.log("T15 %s failed: %v", name, err)
			}
		}
	}
	env.All([]func(){
		run("deliverPendingMail", func() error { return t.DeliverPendingMail(env) }),
		run("expireStaleNudges", func() error { return t.ExpireStaleNudges(env.Now()) }),
		run("reEscalation", func() error { return t.ReEscalateStaleEscalations(env) }),
		run("maybeDispatchTriageAgent", func() error { return t.MaybeDispatchTriageAgent(env, triageCount, rigs) }),
		run("event pruning", func() error { return t.PruneOldEvents(env.Now(), model.EventRetention) }),
	})
}
