package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
)

// alarmRig is an alarm driver around a real Town with a fake tick.
type alarmRig struct {
	eng   *des.Engine
	env   *Env
	town  *model.Town
	d     *alarmDriver
	fired []string // "<offset>[r]" per tick, r = platform retry
}

func newAlarmRig(t *testing.T, tick TickFunc) *alarmRig {
	t.Helper()
	town, err := model.Open(model.Options{TownID: "town-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { town.Close() })
	r := &alarmRig{eng: des.NewEngine(envStart), town: town}
	r.env = NewEnv(r.eng, des.NewSource(1), LatencyConfig{}, ResponderFunc(func(c model.Call, _ time.Time) (model.Result, time.Duration) {
		d, _ := time.ParseDuration(c.Message)
		return model.Result{StatusCode: 200}, d
	}))
	r.env.AfterResume = func() { r.d.sync() }
	r.d = newAlarmDriver(r.eng, r.env, town, tick)
	r.d.observe = func(rec *TickRecord, _ *alarm.TickResult, _ error, retry bool) {
		s := rec.At.Sub(envStart).String()
		if retry {
			s += "r"
		}
		r.fired = append(r.fired, s)
	}
	return r
}

// arm sets the Town's alarm at offset and lets the driver see it, as a
// world event that called the Town does.
func (r *alarmRig) arm(offset time.Duration) {
	r.town.SetAlarm(envStart.Add(offset))
	r.d.sync()
}

func (r *alarmRig) run(until time.Duration) string {
	r.eng.RunUntil(envStart.Add(until))
	return strings.Join(r.fired, " ")
}

// rearm is a fake tick's T17.
func rearm(t *model.Town, env model.Env, d time.Duration) { t.SetAlarm(env.Now().Add(d)) }

var errTickThrew = errors.New("tick threw")

func TestAlarmFiresAtTownAlarm(t *testing.T) {
	n := 0
	r := newAlarmRig(t, func(t *model.Town, env model.Env) (*alarm.TickResult, error) {
		n++
		if n < 3 {
			rearm(t, env, 5*time.Second)
		}
		return &alarm.TickResult{Ran: true}, nil
	})
	r.arm(5 * time.Second)
	if got, want := r.run(time.Minute), "5s 10s 15s"; got != want {
		t.Errorf("ticks at %q, want %q", got, want)
	}
	if _, set := r.town.AlarmAt(); set {
		t.Errorf("alarm still set after a tick that did not re-arm: fired alarms are consumed")
	}
}

// An alarm that comes due while a tick awaits its calls waits for the
// tick to end; the tick's own re-arm then decides.
func TestAlarmNeverTwoTicksAtOnce(t *testing.T) {
	tests := []struct {
		name  string
		rearm bool
		want  string
	}{
		{"re-arm overwrites an alarm set during the tick", true, "5s 20s"},
		{"an alarm set during a tick that does not re-arm fires right after it", false, "5s 15s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, running, overlap := 0, false, false
			r := newAlarmRig(t, func(tw *model.Town, env model.Env) (*alarm.TickResult, error) {
				n++
				if running {
					overlap = true
				}
				running = true
				if n == 1 {
					env.Call(model.Call{Kind: model.CallAgentStatus, Message: "10s"})
					if tt.rearm {
						rearm(tw, env, 5*time.Second)
					}
				}
				running = false
				return &alarm.TickResult{Ran: true}, nil
			})
			r.arm(5 * time.Second)
			// A heartbeat during the tick arms the alarm for 9 s.
			r.eng.Schedule(envStart.Add(8*time.Second), func() { r.arm(9 * time.Second) })
			if got := r.run(time.Minute); got != tt.want || overlap {
				t.Errorf("ticks at %q (overlap %v), want %q", got, overlap, tt.want)
			}
		})
	}
}

func TestAlarmPlatformRetry(t *testing.T) {
	tests := []struct {
		name   string
		active bool              // the town has active work (watchdog re-arms at 5 s)
		throws func(n int) bool  // whether tick n (1-based) throws
		world  func(r *alarmRig) // extra world events
		until  time.Duration
		want   string
	}{
		{"six retries with doubling backoff, then the idle watchdog restarts it",
			false, func(int) bool { return true }, nil, 1000 * time.Second,
			"5s 7sr 11sr 19sr 35sr 1m7sr 2m11sr 10m0s 10m2sr 10m6sr 10m14sr 10m30sr 11m2sr 12m6sr"},
		{"an active town's watchdog restarts it after 5 s",
			true, func(int) bool { return true }, nil, 400 * time.Second,
			"5s 7sr 11sr 19sr 35sr 1m7sr 2m11sr 5m5s 5m7sr 5m11sr 5m19sr 5m35sr 6m7sr"},
		{"a success ends the retries",
			false, func(n int) bool { return n <= 2 }, nil, 30 * time.Second,
			"5s 7sr 11sr 16s 21s 26s"},
		{"an arming path during the backoff replaces the retry and starts a fresh budget",
			false, func(int) bool { return true },
			func(r *alarmRig) {
				r.eng.Schedule(envStart.Add(12*time.Second), func() { r.arm(40 * time.Second) })
			}, 60 * time.Second,
			"5s 7sr 11sr 40s 42sr 46sr 54sr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			r := newAlarmRig(t, func(tw *model.Town, env model.Env) (*alarm.TickResult, error) {
				n++
				if tt.throws(n) {
					return &alarm.TickResult{Ran: true}, errTickThrew
				}
				rearm(tw, env, 5*time.Second)
				return &alarm.TickResult{Ran: true}, nil
			})
			if tt.active {
				a, err := r.town.RegisterAgent(envStart, model.RolePolecat, "Toast", "town-1/polecat/Toast", "")
				if err != nil {
					t.Fatal(err)
				}
				if err := r.town.UpdateAgentStatus(envStart, a.ID, model.AgentWorking); err != nil {
					t.Fatal(err)
				}
			}
			r.d.startWatchdog()
			r.arm(5 * time.Second)
			if tt.world != nil {
				tt.world(r)
			}
			if got := r.run(tt.until); got != tt.want {
				t.Errorf("ticks at\n %s\nwant\n %s", got, tt.want)
			}
			threw := 0
			for _, rec := range r.d.records {
				if rec.Threw {
					threw++
				}
			}
			if threw != r.d.threw {
				t.Errorf("records say %d threw, driver counted %d", threw, r.d.threw)
			}
		})
	}
}

// A long backoff is pulled in by escalateToActiveCadence (the retry sits
// in the Town's alarm slot), while armAlarmIfNeeded leaves it alone.
func TestAlarmRetryVisibleToArmingPaths(t *testing.T) {
	n := 0
	r := newAlarmRig(t, func(tw *model.Town, env model.Env) (*alarm.TickResult, error) {
		n++
		return &alarm.TickResult{Ran: true}, errTickThrew
	})
	r.arm(5 * time.Second)
	r.run(40 * time.Second) // 5s 7s 11s 19s 35s; next retry at 67s
	at, ok := r.town.AlarmAt()
	if want := envStart.Add(67 * time.Second); !ok || !at.Equal(want) {
		t.Fatalf("alarm slot %v %v, want the retry at %v", at, ok, want)
	}
	if err := r.town.HealthCheck(r.eng.Now()); err != nil {
		t.Fatal(err)
	}
	if at2, _ := r.town.AlarmAt(); !at2.Equal(at) {
		t.Errorf("watchdog moved a pending retry from %v to %v", at, at2)
	}
}

func TestAlarmRecordsCompute(t *testing.T) {
	fake := envStart
	r := newAlarmRig(t, func(tw *model.Town, env model.Env) (*alarm.TickResult, error) {
		fake = fake.Add(2 * time.Millisecond)
		env.Call(model.Call{Kind: model.CallAgentStatus, Message: "1s"})
		fake = fake.Add(3 * time.Millisecond)
		return &alarm.TickResult{Ran: true, Metrics: alarm.Metrics{EventsDrained: 4}, Cost: model.Cost{Statements: 9}}, nil
	})
	r.env.SetMeters(func() time.Time { return fake }, nil)
	r.eng.Schedule(envStart.Add(5500*time.Millisecond), func() { fake = fake.Add(time.Second) })
	r.arm(5 * time.Second)
	r.run(time.Minute)
	if len(r.d.records) != 1 {
		t.Fatalf("%d records, want 1", len(r.d.records))
	}
	rec := r.d.records[0]
	got := fmt.Sprintf("%v %v %d %d %v", rec.At.Sub(envStart), rec.Compute, rec.Metrics.EventsDrained, rec.Cost.Statements, rec.Threw)
	if want := "5s 5ms 4 9 false"; got != want {
		t.Errorf("record %q, want %q", got, want)
	}
}
