package alarm

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// ReconcileFunc is the reconcile pass a tick runs at T9: reconciler.Reconcile,
// or another that runs beside or instead of it (differential mode). It
// must only read the Town: it runs on the post-drain state and its actions
// are applied by the tick.
type ReconcileFunc func(t *model.Town, now time.Time, o reconciler.Options) ([]reconciler.Action, error)

// TickWith returns the alarm tick (Tick) with reconcile run at T9 in place
// of reconciler.Reconcile; nil means reconciler.Reconcile. Everything else
// in the tick is unchanged.
func TickWith(reconcile ReconcileFunc) func(t *model.Town, env model.Env) (*TickResult, error) {
	return TickWithHooks(Hooks{Reconcile: reconcile})
}

// ApplyFunc applies one action at T9: reconciler.Apply, or one that runs
// beside it (differential mode). It must return what reconciler.Apply
// returns; it may wrap the effect's Run, which must then behave as the
// port's.
type ApplyFunc func(t *model.Town, env model.Env, a reconciler.Action) (*reconciler.Effect, error)

// Hooks are what differential mode runs beside the port in a tick; a nil
// member is the port's own (no observer for Events).
type Hooks struct {
	// Reconcile is T9's reconcile pass.
	Reconcile ReconcileFunc
	// Apply applies each action of T9.
	Apply ApplyFunc
	// Events watches T7's drain apply each event.
	Events model.EventObserver
}

// TickWithHooks returns the alarm tick (Tick) with h's members in place of
// the port's; everything else in the tick is unchanged.
func TickWithHooks(h Hooks) func(t *model.Town, env model.Env) (*TickResult, error) {
	return func(t *model.Town, env model.Env) (*TickResult, error) {
		t.SetEventObserver(h.Events)
		return tick(t, env, h)
	}
}
