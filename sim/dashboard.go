package sim

import (
	"time"

	"github.com/townsim/townsim/des"
)

// startDashboardVisits schedules users opening the town's page as a
// Poisson process (its own random stream, so that turning it on shifts no
// other draw). Each page load calls t.EnsureMayor, which starts the mayor
// when the container does not report it running or starting.
func startDashboardVisits(w *World, perHour float64) {
	r := w.src.Stream("dashboard")
	mean := time.Duration(float64(time.Hour) / perHour)
	var visit func()
	visit = func() {
		w.rpcEnv("ensure_mayor", func() error {
			_, err := w.town.EnsureMayor(w.env)
			return err
		}, func() []des.Field { return []des.Field{des.F("agent", w.mayorID)} })
		w.eng.After(r.Exp(mean), visit)
	}
	w.eng.After(r.Exp(mean), visit)
}

// mayorRunning reports whether the mayor has a live process.
func (w *World) mayorRunning() bool {
	p := w.containers.procs[w.mayorID]
	return p != nil && p.state.live()
}
