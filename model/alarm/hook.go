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
	if reconcile == nil {
		reconcile = reconciler.Reconcile
	}
	return func(t *model.Town, env model.Env) (*TickResult, error) { return tick(t, env, reconcile) }
}
