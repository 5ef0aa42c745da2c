package sim

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
)

// Platform constants of the Durable Object alarm (reconciler.md §1.1).
const (
	// RetryBase is the first platform retry delay after a tick throws; each
	// further retry doubles it.
	RetryBase = 2 * time.Second
	// MaxRetries is the number of platform retries of one alarm.
	MaxRetries = 6
	// WatchdogInterval is the per-user watchdog's period (healthCheck).
	WatchdogInterval = 5 * time.Minute
)

// TickFunc is an alarm handler: alarm.Tick, or a fake in tests. An error
// means the handler threw.
type TickFunc func(t *model.Town, env model.Env) (*alarm.TickResult, error)

// TickRecord is what the harness keeps of one tick.
type TickRecord struct {
	// At is the virtual time the tick fired.
	At time.Time
	// AlarmAt is the alarm time the tick fired for; At − AlarmAt is the
	// tick's lateness (a tick still running when its next alarm came).
	AlarmAt time.Time
	// End is the virtual time the tick returned.
	End time.Time
	// Retry reports that the run was a platform retry of a throwing tick.
	Retry bool
	// Metrics are the tick's ReconcilerMetrics (partial if it threw).
	Metrics alarm.Metrics
	// Cost is the database work of the tick's own code: its statements and
	// rows, without those of the world's RPCs that ran during its awaits.
	Cost model.Cost
	// CostByPart is the tick's alarm.TickResult.CostByPart: the database
	// work of each synchronous part (drain, each rule, each action type's
	// apply, invariants), nil when the tick did not return a result.
	CostByPart map[string]model.Cost
	// Compute is the real time spent in model code during the tick,
	// measured with RunOptions.WallClock (0 when not measured).
	Compute time.Duration
	// Threw reports that the tick returned an error.
	Threw bool
}

// alarmDriver is the platform's alarm for one Town: it fires the tick at
// the Town's alarm time, never two ticks at once, re-syncs whenever the
// Town's alarm changes, retries a throwing tick with exponential backoff,
// and runs the 5-min watchdog.
//
// Port decisions where the platform's rules are not documented: the alarm
// is one slot (the Town's AlarmAt). It is consumed when it fires
// (t.DeleteAlarm before the handler runs, so arming paths inside the tick
// see no alarm). A platform retry occupies the slot (t.SetAlarm of now +
// 2 s·2^k), so arming paths and the watchdog see an alarm set, and
// escalateToActiveCadence may pull a long backoff in to 5 s. An alarm the
// Town set while a failing tick ran stands instead of the retry. A fire
// of a slot value the Town wrote (not the retry's) starts a fresh retry
// budget.
type alarmDriver struct {
	eng  *des.Engine
	env  *Env
	town *model.Town
	tick TickFunc

	// observe, when set, sees every finished tick.
	observe func(rec *TickRecord, res *alarm.TickResult, err error, retry bool)
	// onWatchdog, when set, sees every watchdog run.
	onWatchdog func(err error)

	// lateBy, when set, is asked at each fire how late the platform runs
	// the alarm (0 = on time); a late fire is rescheduled, not run.
	lateBy func() time.Duration
	late   bool // the scheduled fire is already a late one

	// ownCost makes TickRecord.Cost the database work of the tick's own
	// code (measured by its Meter) instead of the tick's reported Cost,
	// which also counts the world's RPCs interleaved at its awaits.
	ownCost bool

	ev        des.EventID // the scheduled fire, 0 = none
	evAt      time.Time   // its time
	running   bool        // a tick is in progress
	retrySlot time.Time   // the slot value of the pending platform retry
	retries   int         // retries used by the current alarm

	// records keeps every tick's record unless dropRecords; compute sums
	// the ticks' Compute either way.
	records                 []TickRecord
	dropRecords             bool
	compute                 time.Duration
	ticks, threw, retryRuns int
}

func newAlarmDriver(eng *des.Engine, env *Env, t *model.Town, tick TickFunc) *alarmDriver {
	if tick == nil {
		tick = alarm.Tick
	}
	return &alarmDriver{eng: eng, env: env, town: t, tick: tick}
}

// startWatchdog schedules the watchdog every WatchdogInterval from now.
func (d *alarmDriver) startWatchdog() {
	var run func()
	run = func() {
		err := d.town.HealthCheck(d.eng.Now())
		if d.onWatchdog != nil {
			d.onWatchdog(err)
		}
		d.sync()
		d.eng.After(WatchdogInterval, run)
	}
	d.eng.After(WatchdogInterval, run)
}

// sync makes the scheduled fire match the Town's alarm. It does nothing
// while a tick runs: the tick's end syncs.
func (d *alarmDriver) sync() {
	if d.running {
		return
	}
	at, ok := d.town.AlarmAt()
	if d.ev != 0 {
		if ok && d.evAt.Equal(at) {
			return
		}
		d.eng.Cancel(d.ev)
		d.ev, d.late = 0, false
	}
	if !ok {
		return
	}
	d.evAt = at
	d.ev = d.eng.Schedule(at, d.fire)
}

// fire consumes the alarm and runs the tick as a coroutine.
func (d *alarmDriver) fire() {
	d.ev = 0
	if d.running {
		return
	}
	if d.lateBy != nil && !d.late {
		if late := d.lateBy(); late > 0 {
			d.late = true
			d.ev = d.eng.After(late, d.fire)
			return
		}
	}
	d.late = false
	at, _ := d.town.AlarmAt()
	retry := !d.retrySlot.IsZero() && at.Equal(d.retrySlot)
	d.retrySlot = time.Time{}
	if retry {
		d.retryRuns++
	} else {
		d.retries = 0
	}
	d.town.DeleteAlarm()
	d.running = true
	d.ticks++
	rec := &TickRecord{At: d.eng.Now(), AlarmAt: at, Retry: retry}
	m := &Meter{}
	var res *alarm.TickResult
	var err error
	d.env.Start(m,
		func() { res, err = d.tick(d.town, d.env) },
		func() { d.finish(rec, m, res, err, retry) })
}

// finish records the tick and arranges the next one.
func (d *alarmDriver) finish(rec *TickRecord, m *Meter, res *alarm.TickResult, err error, retry bool) {
	d.running = false
	rec.Threw = err != nil
	rec.End = d.eng.Now()
	rec.Compute = m.Compute
	d.compute += m.Compute
	if res != nil {
		rec.Metrics, rec.Cost, rec.CostByPart = res.Metrics, res.Cost, res.CostByPart
	}
	if d.ownCost {
		rec.Cost = m.Cost
	}
	if !d.dropRecords {
		d.records = append(d.records, *rec)
	}
	if err != nil {
		d.threw++
		if _, set := d.town.AlarmAt(); !set && d.retries < MaxRetries {
			d.retrySlot = d.eng.Now().Add(RetryBase << d.retries)
			d.retries++
			d.town.SetAlarm(d.retrySlot)
		}
	} else {
		d.retries = 0
	}
	if d.observe != nil {
		d.observe(rec, res, err, retry)
	}
	d.sync()
}
