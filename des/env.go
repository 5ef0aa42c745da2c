package des

import (
	"iter"
	"time"
)

// Responder answers the calls a model makes (of type C, with answers of
// type R). The Env asks it when a call completes, at the completion's
// virtual time, so the answer reflects the world as it is then; sent is
// when the call was made. A positive hold delays the delivery further: a
// call that hangs until its timeout answers its error with the rest of the
// timeout as hold.
type Responder[C, R any] interface {
	Respond(c C, sent time.Time) (r R, hold time.Duration)
}

// ResponderFunc adapts a function to Responder.
type ResponderFunc[C, R any] func(c C, sent time.Time) (R, time.Duration)

// Respond calls f.
func (f ResponderFunc[C, R]) Respond(c C, sent time.Time) (R, time.Duration) {
	return f(c, sent)
}

// Work is a model's own running count of the work it does (for example
// statements and rows of a database), read before and after each stretch
// of model code and added up by a Meter.
type Work[W any] interface {
	// Sub returns the work done between reading o and reading the receiver.
	Sub(o W) W
	// Add returns the sum of the receiver and o.
	Add(o W) W
}

// Meter accumulates what a group of coroutines (a tick, an RPC) cost: the
// real time spent running them and the model's work, both measured around
// each stretch of model code between two awaits, so the world's events
// interleaved at awaits are not counted.
type Meter[W Work[W]] struct {
	// Compute is the real time (0 unless a wall clock is set).
	Compute time.Duration
	// Cost is the model's work (zero unless a work reader is set).
	Cost W
}

// Env runs a model's awaiting code under the engine: calls of type C
// answered with R, its work counted as W. Every piece of model code that
// awaits — a periodic task, each task of All, each Go task, each call
// into the model that takes an Env — runs as a coroutine (iter.Pull) on
// the engine's goroutine. Call suspends the coroutine and schedules the
// call's completion at now plus the latency the Env's latency function
// draws for it; at completion the Responder answers and the coroutine
// resumes. Meanwhile the engine runs other events
// (heartbeats, agent reports, user actions, other coroutines), which is
// production's interleaving at every await. Everything happens in
// (time, scheduling order) order, so a run is deterministic.
//
// Go runs the new task at once until its first await, then the caller
// goes on (a JavaScript call without await). All starts every task the
// same way, in order, and resumes the caller as soon as the last one has
// finished (Promise.allSettled). Outside any coroutine, Call and All run
// the engine until they are done.
type Env[C, R any, W Work[W]] struct {
	eng     *Engine
	latency func(C) time.Duration
	resp    Responder[C, R]

	cur  *coro[C, R, W]   // the coroutine running now; nil on the engine's own stack
	pool []*coro[C, R, W] // finished coroutines, parked for reuse
	live coroList[C, R, W]

	wall func() time.Time
	cost func() W

	// AfterResume, when set, runs every time control comes back to the
	// engine's stack from a coroutine (the world re-syncs the alarm there).
	AfterResume func()
	// OnCall, when set, sees every call when it is answered, before the
	// waiting coroutine resumes.
	OnCall func(c C, sent time.Time, r R)

	stats EnvStats
}

// EnvStats counts the Env's work.
type EnvStats struct {
	// Calls is the number of calls made.
	Calls uint64
	// Resumes is the number of switches into a coroutine.
	Resumes uint64
	// Coroutines is the number of coroutines created (the rest were reused).
	Coroutines uint64
	// Tasks is the number of tasks run (tick, All and Go tasks, RPCs).
	Tasks uint64
}

// NewEnv returns an Env on eng. latency, called once for each call when
// it is sent, gives the call's round trip (drawn from the caller's own
// seeded streams; nil means every call completes at once); resp answers
// each call when it completes.
func NewEnv[C, R any, W Work[W]](eng *Engine, latency func(C) time.Duration, resp Responder[C, R]) *Env[C, R, W] {
	return &Env[C, R, W]{eng: eng, latency: latency, resp: resp}
}

// SetMeters sets how the Env measures coroutines started with a Meter:
// wall reads the real clock (nil: compute is not measured), cost reads the
// model's running work counters (nil: work is not measured). The readings
// are only added up, never fed back into the simulation.
func (e *Env[C, R, W]) SetMeters(wall func() time.Time, cost func() W) {
	e.wall, e.cost = wall, cost
}

// Stats returns the Env's counters.
func (e *Env[C, R, W]) Stats() EnvStats { return e.stats }

// Now returns the engine's virtual time.
func (e *Env[C, R, W]) Now() time.Time { return e.eng.Now() }

// Start runs fn as a new coroutine now: fn runs until its first awaited
// call before Start returns. m, when non-nil, accumulates what fn and
// every task it starts cost (see SetMeters). done, when non-nil, runs on
// the engine's stack once fn has returned. Called from inside a
// coroutine, Start behaves like Go with its own Meter.
func (e *Env[C, R, W]) Start(m *Meter[W], fn func(), done func()) {
	e.spawn(fn, nil, m, done)
}

// Call performs c and returns its answer when it completes.
func (e *Env[C, R, W]) Call(c C) R {
	co := e.cur
	if co == nil {
		return e.callOutside(c)
	}
	e.send(co, c)
	co.suspend()
	return co.res
}

// send schedules the completion of c for co. The completion callbacks are
// made once per coroutine, so an awaited call allocates nothing.
func (e *Env[C, R, W]) send(co *coro[C, R, W], c C) {
	e.stats.Calls++
	co.call, co.sent = c, e.eng.Now()
	var lat time.Duration
	if e.latency != nil {
		lat = e.latency(c)
	}
	e.eng.After(lat, co.complete)
}

// complete asks the world for co's answer at the completion time.
func (e *Env[C, R, W]) complete(co *coro[C, R, W]) {
	r, hold := e.resp.Respond(co.call, co.sent)
	co.res = r
	if hold > 0 {
		e.eng.After(hold, co.deliver)
		return
	}
	e.deliver(co)
}

// deliver hands co its answer and resumes it.
func (e *Env[C, R, W]) deliver(co *coro[C, R, W]) {
	if e.OnCall != nil {
		e.OnCall(co.call, co.sent, co.res)
	}
	var zero C
	co.call = zero
	e.resume(co)
}

// All runs tasks concurrently and returns when all have finished.
func (e *Env[C, R, W]) All(tasks []func()) {
	co := e.cur
	if co == nil {
		e.allOutside(tasks)
		return
	}
	if len(tasks) == 0 {
		return
	}
	co.waiting = len(tasks)
	co.starting = true
	for _, t := range tasks {
		e.spawn(t, co, co.acc, nil)
	}
	co.starting = false
	if co.waiting > 0 {
		co.suspend() // the last task to finish resumes co
	}
}

// Go starts task; it runs until its first await before Go returns.
func (e *Env[C, R, W]) Go(task func()) {
	var acc *Meter[W]
	if e.cur != nil {
		acc = e.cur.acc
	}
	e.spawn(task, nil, acc, nil)
}

// callOutside performs a call made outside any coroutine by running the
// engine until the answer is in.
func (e *Env[C, R, W]) callOutside(c C) R {
	var res R
	done := false
	e.spawn(func() { res = e.Call(c); done = true }, nil, nil, nil)
	e.eng.RunWhile(func() bool { return !done })
	return res
}

// allOutside runs tasks as coroutines and the engine until all are done.
func (e *Env[C, R, W]) allOutside(tasks []func()) {
	left := len(tasks)
	for _, t := range tasks {
		e.spawn(t, nil, nil, func() { left-- })
	}
	e.eng.RunWhile(func() bool { return left > 0 })
}

// errAbandoned unwinds a suspended coroutine when the Env is closed.
type errAbandoned struct{}

// Close abandons every coroutine still suspended (for example a tick
// awaiting a call at the horizon) and releases the parked ones. The Env
// must not be used afterwards.
func (e *Env[C, R, W]) Close() {
	for co := e.live.head; co != nil; {
		next := co.nextLive
		e.abandon(co)
		co = next
	}
	e.live = coroList[C, R, W]{}
	for _, co := range e.pool {
		co.stop()
	}
	e.pool = nil
}

func (e *Env[C, R, W]) abandon(co *coro[C, R, W]) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(errAbandoned); !ok {
				panic(r)
			}
		}
	}()
	co.stop()
}

// coro is one coroutine. It runs tasks one after another: when a task
// returns, the coroutine parks in the Env's pool until spawn hands it the
// next, so that a run creates few of them.
type coro[C, R any, W Work[W]] struct {
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool

	fn       func()         // the current task
	idle     bool           // the task has returned
	parent   *coro[C, R, W] // an All waiting for this task
	acc      *Meter[W]      // what this task is charged to, nil = nothing
	done     func()         // runs when the task has returned
	res      R              // the answer of the call being awaited
	call     C              // the call being awaited
	sent     time.Time      // when it was sent
	complete func()         // e.complete(co), made once
	deliver  func()         // e.deliver(co), made once
	waiting  int            // All: tasks not finished yet
	starting bool           // All: still starting its tasks

	prevLive, nextLive *coro[C, R, W]
}

func (e *Env[C, R, W]) newCoro() *coro[C, R, W] {
	if n := len(e.pool); n > 0 {
		co := e.pool[n-1]
		e.pool = e.pool[:n-1]
		return co
	}
	e.stats.Coroutines++
	co := &coro[C, R, W]{}
	co.complete = func() { e.complete(co) }
	co.deliver = func() { e.deliver(co) }
	co.next, co.stop = iter.Pull(func(yield func(struct{}) bool) {
		co.yield = yield
		for {
			co.fn()
			co.idle = true
			if !yield(struct{}{}) {
				return
			}
		}
	})
	return co
}

// suspend gives control back to whoever resumed co.
func (co *coro[C, R, W]) suspend() {
	if !co.yield(struct{}{}) {
		panic(errAbandoned{})
	}
}

// spawn runs fn on a coroutine until its first await.
func (e *Env[C, R, W]) spawn(fn func(), parent *coro[C, R, W], acc *Meter[W], done func()) {
	co := e.newCoro()
	co.fn, co.idle, co.parent, co.acc, co.done = fn, false, parent, acc, done
	e.stats.Tasks++
	e.live.push(co)
	e.resume(co)
}

// resume switches into co until it suspends or its task returns.
func (e *Env[C, R, W]) resume(co *coro[C, R, W]) {
	prev := e.cur
	top := prev == nil
	e.cur = co
	e.stats.Resumes++
	if top && co.acc != nil && (e.wall != nil || e.cost != nil) {
		e.Measure(co.acc, func() { co.next() })
	} else {
		co.next()
	}
	e.cur = prev
	if co.idle {
		e.finished(co)
	}
	if top && e.AfterResume != nil {
		e.AfterResume()
	}
}

// Measure runs run, charging m with its real time and the model's work as
// far as SetMeters allows. The world uses it for model code it calls
// directly, outside any coroutine.
func (e *Env[C, R, W]) Measure(m *Meter[W], run func()) {
	var t0 time.Time
	var c0 W
	if e.wall != nil {
		t0 = e.wall()
	}
	if e.cost != nil {
		c0 = e.cost()
	}
	run()
	if e.cost != nil {
		m.Cost = m.Cost.Add(e.cost().Sub(c0))
	}
	if e.wall != nil {
		m.Compute += e.wall().Sub(t0)
	}
}

// finished parks co and tells whoever waits for its task.
func (e *Env[C, R, W]) finished(co *coro[C, R, W]) {
	parent, done := co.parent, co.done
	e.live.remove(co)
	co.fn, co.parent, co.acc, co.done, co.res = nil, nil, nil, nil, *new(R)
	e.pool = append(e.pool, co)
	if done != nil {
		done()
	}
	if parent != nil {
		parent.waiting--
		if parent.waiting == 0 && !parent.starting {
			e.resume(parent)
		}
	}
}

// coroList is an intrusive list of the coroutines running a task.
type coroList[C, R any, W Work[W]] struct{ head *coro[C, R, W] }

func (l *coroList[C, R, W]) push(co *coro[C, R, W]) {
	co.prevLive, co.nextLive = nil, l.head
	if l.head != nil {
		l.head.prevLive = co
	}
	l.head = co
}

func (l *coroList[C, R, W]) remove(co *coro[C, R, W]) {
	if co.prevLive != nil {
		co.prevLive.nextLive = co.nextLive
	} else if l.head == co {
		l.head = co.nextLive
	}
	if co.nextLive != nil {
		co.nextLive.prevLive = co.prevLive
	}
	co.prevLive, co.nextLive = nil, nil
}
