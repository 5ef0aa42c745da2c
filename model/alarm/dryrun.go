package alarm

import (
	"errors"
	"fmt"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// DryRunResult is the answer of the reconcile dry-run (reconciler.md §6.1).
type DryRunResult struct {
	// Actions are the actions a reconcile over the drained state emits.
	Actions []reconciler.Action
	// Metrics are the four metrics the endpoint returns.
	Metrics DryRunMetrics
}

// DryRunMetrics is the subset of Metrics the dry-run reports.
type DryRunMetrics struct {
	ActionsEmitted    int
	ActionsByType     map[string]int
	PendingEventCount int
	EventsDrained     int
}

// DryRun is production's debugDryRun (reconciler.md §6.1): inside a
// savepoint that is always rolled back, drain the pending events (each
// applied without the town config and marked processed; the first one
// that throws — "not found" included — aborts), then reconcile with
// draining false and the town config. Nothing persists: no action is
// applied, no side effect runs, no analytics, metrics or alarm change.
//
// Production's Durable Object runtime refuses SAVEPOINT (reconciler.md
// Addendum C), so there this endpoint fails before doing anything. On
// real SQLite the savepoint works: townsim offers what production's
// endpoint intended, a capability production lacks.
func DryRun(t *model.Town, now time.Time) (*DryRunResult, error) {
	var res *DryRunResult
	err := withSavepoint(t, "debug_dry_run", func() error {
		pending, err := t.PendingEvents()
		if err != nil {
			return err
		}
		for _, ev := range pending {
			if err := applyDebugEvent(t, now, ev); err != nil {
				return err
			}
			if err := t.MarkProcessed(now, ev.ID); err != nil {
				return err
			}
		}
		actions, err := reconcileDebug(t, now)
		if err != nil {
			return err
		}
		count, err := t.PendingEventCount()
		if err != nil {
			return err
		}
		res = &DryRunResult{Actions: actions, Metrics: DryRunMetrics{
			ActionsEmitted:    len(actions),
			ActionsByType:     CountByType(actions),
			PendingEventCount: count,
			EventsDrained:     len(pending),
		}}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dry-run: %w", err)
	}
	return res, nil
}

// applyDebugEvent applies one event for a debug endpoint: without the town
// config; its error aborts the endpoint.
func applyDebugEvent(t *model.Town, now time.Time, ev model.TownEvent) error {
	if err := t.ApplyEvent(now, ev, nil); err != nil {
		return fmt.Errorf("apply event %s (%s): %w", ev.ID, ev.Type, err)
	}
	return nil
}

// reconcileDebug is the debug endpoints' reconcile: draining false, with
// the town config.
func reconcileDebug(t *model.Town, now time.Time) ([]reconciler.Action, error) {
	cfg, err := t.ReadTownConfig()
	if err != nil {
		return nil, err
	}
	return reconciler.Reconcile(t, now, reconciler.Options{Draining: false, Config: cfg})
}

// withSavepoint runs fn inside SAVEPOINT name and always rolls back to it
// and releases it afterwards, whatever fn returned.
func withSavepoint(t *model.Town, name string, fn func() error) (err error) {
	db := t.DB()
	if err := db.ExecRaw("SAVEPOINT " + name); err != nil {
		return fmt.Errorf("savepoint %s: %w", name, err)
	}
	defer func() {
		rb := db.ExecRaw("ROLLBACK TO SAVEPOINT " + name)
		rel := db.ExecRaw("RELEASE SAVEPOINT " + name)
		if rb != nil || rel != nil {
			err = errors.Join(err, rb, rel)
		}
	}()
	return fn()
}
