package des

import (
	"math"
	"time"
)

// EventID identifies a scheduled event so that it can be cancelled. The zero
// EventID never names an event.
type EventID uint64

// entry is one element of the event heap. Events are ordered by at, then by
// seq, the order in which they were scheduled. The callback lives in the slot
// table so that the heap moves only small, pointer-free values.
type entry struct {
	at   int64  // nanoseconds since the engine's start
	seq  uint64 // scheduling order, breaks ties between equal times
	slot uint32 // index into Engine.slots
}

// slot holds an event's callback from Schedule until it runs or is removed
// from the heap. gen changes each time the slot is released so that an old
// EventID cannot cancel a later event that reuses the slot.
type slot struct {
	fn   func()
	gen  uint32
	live bool // false once cancelled (or when free)
}

// Engine is a deterministic discrete-event scheduler with a virtual clock.
// Events run one at a time in (time, scheduling order) order; the clock jumps
// to each event's time before it runs. An Engine is not safe for concurrent
// use; it is meant to be driven from one goroutine.
//
// Event callbacks may schedule and cancel events, and may call Step, RunWhile
// or RunUntil themselves to let the world progress while they wait (the clock
// then moves forward under them).
type Engine struct {
	start    time.Time
	now      int64 // nanoseconds since start
	seq      uint64
	heap     []entry
	slots    []slot
	free     []uint32
	dead     int // cancelled entries still in the heap
	executed uint64
}

// compactMin is the number of cancelled entries the heap may hold before
// Cancel considers rebuilding it without them.
const compactMin = 1024

// NewEngine returns an engine whose clock reads start and whose queue is
// empty. Any monotonic clock reading in start is dropped.
func NewEngine(start time.Time) *Engine {
	return &Engine{start: start.Round(0)}
}

// Now returns the engine's virtual time.
func (e *Engine) Now() time.Time {
	return e.start.Add(time.Duration(e.now))
}

// Pending returns the number of events scheduled and neither run nor
// cancelled.
func (e *Engine) Pending() int {
	return len(e.heap) - e.dead
}

// Executed returns the number of events that have run.
func (e *Engine) Executed() uint64 {
	return e.executed
}

// Schedule arranges for fn to run at time at. A time before Now is treated as
// Now. Events at the same time run in the order they were scheduled. A nil fn
// is allowed: the event still advances the clock when it runs.
func (e *Engine) Schedule(at time.Time, fn func()) EventID {
	t := int64(at.Sub(e.start)) // saturates instead of overflowing
	if t < e.now {
		t = e.now
	}
	return e.schedule(t, fn)
}

// After arranges for fn to run d after Now. A negative d is treated as zero.
func (e *Engine) After(d time.Duration, fn func()) EventID {
	t := e.now
	if d > 0 {
		if int64(d) > math.MaxInt64-t {
			t = math.MaxInt64
		} else {
			t += int64(d)
		}
	}
	return e.schedule(t, fn)
}

func (e *Engine) schedule(t int64, fn func()) EventID {
	var s uint32
	if n := len(e.free); n > 0 {
		s = e.free[n-1]
		e.free = e.free[:n-1]
	} else {
		if len(e.slots) >= math.MaxUint32 {
			panic("des: too many pending events")
		}
		s = uint32(len(e.slots))
		e.slots = append(e.slots, slot{gen: 1})
	}
	sl := &e.slots[s]
	sl.fn = fn
	sl.live = true
	e.seq++
	e.push(entry{at: t, seq: e.seq, slot: s})
	return EventID(uint64(sl.gen)<<32 | uint64(s))
}

// Cancel removes a pending event. It reports whether the event was pending:
// false if id is unknown, the event has already run (or is running), or it
// was already cancelled.
func (e *Engine) Cancel(id EventID) bool {
	s, gen := uint32(id), uint32(id>>32)
	if gen == 0 || int(s) >= len(e.slots) {
		return false
	}
	sl := &e.slots[s]
	if sl.gen != gen || !sl.live {
		return false
	}
	sl.live = false
	sl.fn = nil
	e.dead++
	if e.dead >= compactMin && e.dead > len(e.heap)/2 {
		e.compact()
	}
	return true
}

// Step runs the next event, first advancing the clock to its time. It
// reports false, leaving the clock alone, when no event is pending.
func (e *Engine) Step() bool {
	for len(e.heap) > 0 {
		top := e.heap[0]
		e.pop()
		fn, live := e.release(top.slot)
		if !live {
			e.dead--
			continue
		}
		e.now = top.at // never earlier than now: see Schedule
		e.executed++
		if fn != nil {
			fn()
		}
		return true
	}
	return false
}

// Run runs events until none are pending.
func (e *Engine) Run() {
	for e.Step() {
	}
}

// RunWhile runs events while cond reports true and events are pending. It
// checks cond before each event. It may be called from inside an event
// callback to wait for something that later events bring about.
func (e *Engine) RunWhile(cond func() bool) {
	for cond() && e.Step() {
	}
}

// RunUntil runs every pending event whose time is at or before horizon,
// including events those events schedule, then sets the clock to horizon. The
// clock never moves backwards: a horizon before Now runs nothing.
func (e *Engine) RunUntil(horizon time.Time) {
	h := int64(horizon.Sub(e.start))
	for e.skipDead() && e.heap[0].at <= h {
		e.Step()
	}
	if h > e.now {
		e.now = h
	}
}

// NextAt returns the time of the next pending event, or false if none is
// pending.
func (e *Engine) NextAt() (time.Time, bool) {
	if !e.skipDead() {
		return time.Time{}, false
	}
	return e.start.Add(time.Duration(e.heap[0].at)), true
}

// skipDead drops cancelled events from the top of the heap and reports
// whether a live event remains.
func (e *Engine) skipDead() bool {
	for len(e.heap) > 0 {
		s := e.heap[0].slot
		if e.slots[s].live {
			return true
		}
		e.pop()
		e.release(s)
		e.dead--
	}
	return false
}

// release frees slot s for reuse and returns what it held.
func (e *Engine) release(s uint32) (fn func(), live bool) {
	sl := &e.slots[s]
	fn, live = sl.fn, sl.live
	sl.fn = nil
	sl.live = false
	sl.gen++
	if sl.gen == 0 {
		sl.gen = 1
	}
	e.free = append(e.free, s)
	return fn, live
}

// compact rebuilds the heap without its cancelled entries.
func (e *Engine) compact() {
	h := e.heap[:0]
	for _, x := range e.heap {
		if e.slots[x.slot].live {
			h = append(h, x)
		} else {
			e.release(x.slot)
		}
	}
	clear(e.heap[len(h):])
	e.heap = h
	e.dead = 0
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i, h[i])
	}
}
