package sim

import (
	"errors"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// ErrTownBusy is RestartTown's answer while a tick is in progress: the
// restart models the Durable Object evicted from memory while idle, so a
// caller retries it when the tick has finished.
var ErrTownBusy = errors.New("sim: the Town is running a tick")

// RestartTown evicts the Town from memory and re-creates it at the current
// time, as the platform does with an idle Durable Object: what the Town
// keeps only in memory is lost, SQLite, the KV state and a pending alarm
// are kept, and start-up re-arms the alarm when the town has an id (see
// model.Town.Restart). The world around the Town (its container, GitHub,
// the users) is untouched. It is traced as an rpc record, op "restart".
func (w *World) RestartTown() error {
	if w.alarm.running {
		return ErrTownBusy
	}
	return w.rpc("restart", func(now time.Time) error { return w.town.Restart(now) })
}

// DestroyTown deletes the Town as production's destroy does: the
// container is destroyed (every agent process killed without a report),
// the alarm deleted and the storage wiped. The world keeps running: its
// later RPCs fail ("no such table"), and nothing re-arms the alarm.
func (w *World) DestroyTown() {
	w.rpcEnv("destroy", func() error {
		err := w.town.Destroy(w.env)
		w.destroyedAt = w.eng.Now()
		return err
	}, func() []des.Field { return nil })
}

// DestroyedAt is when the Town's destroy finished — after it awaited the
// container's destroy, then deleted the alarm and the storage (zero:
// never).
func (w *World) DestroyedAt() time.Time { return w.destroyedAt }

// destroyContainer answers the Town's container destroy call.
func (w *World) destroyContainer() model.Result {
	w.containers.stopAll("destroyed")
	return model.Result{StatusCode: 200, OK: true}
}
