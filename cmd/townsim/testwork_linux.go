//go:build linux

package main

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// processCPUClock is the CPU time the process has used, to the
// nanosecond. A thread's clock would miss nothing the tick does either
// (the simulation is single-threaded), but a goroutine may move to
// another thread between two readings, which would mix two clocks.
func processCPUClock() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// cpuWatch adds up the CPU time of the segments in which the tick's own
// code runs. The tick runs on coroutines (iter.Pull) between which the
// rest of the simulation runs: every switch point (Call, All, Go) stops
// the watch, and the tick's code restarts it when it runs again.
type cpuWatch struct {
	running bool
	since   time.Duration
	total   time.Duration
}

func (w *cpuWatch) start() {
	if !w.running {
		w.running, w.since = true, processCPUClock()
	}
}

func (w *cpuWatch) stop() {
	if w.running {
		w.running = false
		w.total += processCPUClock() - w.since
	}
}

// watchedEnv is the tick's Env with the watch stopped while the tick
// waits: in a Call, while All's tasks run (each task is watched on its
// own), and around Go.
type watchedEnv struct {
	model.Env
	w *cpuWatch
}

func (e watchedEnv) watched(task func()) func() {
	return func() {
		e.w.start()
		task()
		e.w.stop()
	}
}

func (e watchedEnv) Call(c model.Call) model.Result {
	e.w.stop()
	defer e.w.start()
	return e.Env.Call(c)
}

func (e watchedEnv) All(tasks []func()) {
	wrapped := make([]func(), len(tasks))
	for i, t := range tasks {
		wrapped[i] = e.watched(t)
	}
	e.w.stop()
	defer e.w.start()
	e.Env.All(wrapped)
}

func (e watchedEnv) Go(task func()) {
	e.w.stop()
	defer e.w.start()
	e.Env.Go(e.watched(task))
}

// extraTickWork wraps the tick so that, when it ends, it computes for f
// times the CPU time the tick's own code used (SQLite included).
func extraTickWork(f float64) (func(sim.TickFunc) sim.TickFunc, error) {
	return func(tick sim.TickFunc) sim.TickFunc {
		return func(t *model.Town, env model.Env) (*alarm.TickResult, error) {
			w := &cpuWatch{}
			w.start()
			res, err := tick(t, watchedEnv{Env: env, w: w})
			w.stop()
			until := processCPUClock() + time.Duration(f*float64(w.total))
			for processCPUClock() < until {
				spin(20000)
			}
			return res, err
		}
	}, nil
}
