package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

var envStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// envLog is a test Env with a log of what happened, as "what@offset".
type envLog struct {
	eng *des.Engine
	env *Env
	got []string
}

// newEnvLog returns an Env whose calls take the latency named by the
// call's Message ("3s") and answer Body = the Message, with the hold given
// by the call's Evidence (a duration, "" = none).
func newEnvLog() *envLog {
	l := &envLog{eng: des.NewEngine(envStart)}
	l.env = NewEnv(l.eng, des.NewSource(1), LatencyConfig{}, ResponderFunc(func(c model.Call, _ time.Time) (model.Result, time.Duration) {
		var hold time.Duration
		if c.Evidence != "" {
			hold, _ = time.ParseDuration(c.Evidence)
		}
		return model.Result{StatusCode: 200, Body: c.Message}, hold
	}))
	return l
}

func (l *envLog) log(s string) {
	l.got = append(l.got, fmt.Sprintf("%s@%v", s, l.eng.Now().Sub(envStart)))
}

// call awaits a call that takes d: the test Env has no latency, so the
// responder holds the answer for d.
func (l *envLog) call(d time.Duration) model.Result {
	return l.env.Call(model.Call{Kind: model.CallWarmUp, Message: d.String(), Evidence: d.String()})
}

func (l *envLog) String() string { return strings.Join(l.got, " ") }

func TestEnvCallResumesAtCompletion(t *testing.T) {
	l := newEnvLog()
	l.env.Start(nil, func() {
		l.log("a.start")
		r := l.call(10 * time.Second)
		l.log("a.done:" + r.Body)
	}, func() { l.log("a.finished") })
	l.log("after-start")
	l.eng.Run()
	want := "a.start@0s after-start@0s a.done:10s@10s a.finished@10s"
	if got := l.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// An RPC (any engine event) lands between a call's start and completion,
// as production interleaves RPCs at every await.
func TestEnvRPCLandsDuringAwait(t *testing.T) {
	l := newEnvLog()
	state := "before"
	l.env.Start(nil, func() {
		l.log("tick.read:" + state)
		l.call(10 * time.Second)
		l.log("tick.read:" + state)
	}, nil)
	l.eng.After(5*time.Second, func() { state = "changed"; l.log("rpc") })
	l.eng.Run()
	want := "tick.read:before@0s rpc@5s tick.read:changed@10s"
	if got := l.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestEnvAllSettled(t *testing.T) {
	tests := []struct {
		name  string
		tasks []time.Duration // -1 = no call
		want  string
	}{
		{"empty", nil, "p.before@0s p.after@0s"},
		{"no awaits run inline", []time.Duration{-1, -1},
			"p.before@0s t0.start@0s t0.end@0s t1.start@0s t1.end@0s p.after@0s"},
		{"all start in order, parent resumes after the last",
			[]time.Duration{3 * time.Second, time.Second, -1},
			"p.before@0s t0.start@0s t1.start@0s t2.start@0s t2.end@0s t1.end@1s t0.end@3s p.after@3s"},
		{"equal latencies finish in start order",
			[]time.Duration{2 * time.Second, 2 * time.Second},
			"p.before@0s t0.start@0s t1.start@0s t0.end@2s t1.end@2s p.after@2s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newEnvLog()
			l.env.Start(nil, func() {
				l.log("p.before")
				var tasks []func()
				for i, d := range tt.tasks {
					tasks = append(tasks, func() {
						l.log(fmt.Sprintf("t%d.start", i))
						if d >= 0 {
							l.call(d)
						}
						l.log(fmt.Sprintf("t%d.end", i))
					})
				}
				l.env.All(tasks)
				l.log("p.after")
			}, nil)
			l.eng.Run()
			if got := l.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestEnvNestedAll(t *testing.T) {
	l := newEnvLog()
	l.env.Start(nil, func() {
		l.env.All([]func(){
			func() {
				l.env.All([]func(){
					func() { l.call(time.Second); l.log("inner0") },
					func() { l.call(4 * time.Second); l.log("inner1") },
				})
				l.log("outer0")
			},
			func() { l.call(2 * time.Second); l.log("outer1") },
		})
		l.log("root")
	}, nil)
	l.eng.Run()
	want := "inner0@1s outer1@2s inner1@4s outer0@4s root@4s"
	if got := l.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// Go runs the task until its first await, then the caller goes on; nobody
// waits for the task.
func TestEnvGoFireAndForget(t *testing.T) {
	l := newEnvLog()
	l.env.Start(nil, func() {
		l.log("caller.before")
		l.env.Go(func() {
			l.log("child.start")
			l.call(5 * time.Second)
			l.log("child.end")
		})
		l.log("caller.after")
		l.call(time.Second)
		l.log("caller.end")
	}, nil)
	l.eng.Run()
	want := "caller.before@0s child.start@0s caller.after@0s caller.end@1s child.end@5s"
	if got := l.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// Outside any coroutine, Call and All run the engine until they are done.
func TestEnvCallOutsideCoroutine(t *testing.T) {
	l := newEnvLog()
	l.eng.After(time.Second, func() { l.log("other") })
	r := l.call(3 * time.Second)
	l.log("call:" + r.Body)
	l.env.All([]func(){func() { l.call(2 * time.Second); l.log("task") }})
	l.log("all")
	want := "other@1s call:3s@3s task@5s all@5s"
	if got := l.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// Latencies come from the kind's own stream: the same seed gives the same
// times, and a kind's draws do not depend on other kinds' calls.
func TestEnvLatencyStreams(t *testing.T) {
	times := func(seed uint64, extraPR bool) []time.Duration {
		eng := des.NewEngine(envStart)
		lat := LatencyConfig{AgentStatus: des.Uniform(0, time.Second), PRStatus: des.Uniform(0, time.Second)}
		env := NewEnv(eng, des.NewSource(seed), lat, ResponderFunc(func(model.Call, time.Time) (model.Result, time.Duration) {
			return model.Result{}, 0
		}))
		var out []time.Duration
		for i := 0; i < 5; i++ {
			env.Start(nil, func() {
				if extraPR {
					env.Call(model.Call{Kind: model.CallPRStatus})
				}
				s := env.Now()
				env.Call(model.Call{Kind: model.CallAgentStatus})
				out = append(out, env.Now().Sub(s))
			}, nil)
			eng.Run()
		}
		return out
	}
	a, b, c := times(7, false), times(7, false), times(8, false)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed differs: %v vs %v", a, b)
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Errorf("different seeds agree: %v", a)
	}
	if d := times(7, true); fmt.Sprint(a) != fmt.Sprint(d) {
		t.Errorf("PR calls shifted the status stream: %v vs %v", a, d)
	}
}

func TestEnvOnCallAndHold(t *testing.T) {
	l := newEnvLog()
	var seen []string
	l.env.OnCall = func(c model.Call, sent time.Time, r model.Result) {
		seen = append(seen, fmt.Sprintf("%s sent@%v answered@%v body=%s", c.Kind, sent.Sub(envStart),
			l.eng.Now().Sub(envStart), r.Body))
	}
	l.eng.After(2*time.Second, func() {
		l.env.Start(nil, func() { l.call(3 * time.Second) }, nil)
	})
	l.eng.Run()
	want := "container.warm_up sent@2s answered@5s body=3s"
	if len(seen) != 1 || seen[0] != want {
		t.Errorf("OnCall saw %q, want [%q]", seen, want)
	}
}

// Close unwinds coroutines still awaiting a call (their defers run) and
// nothing resumes them afterwards.
func TestEnvCloseAbandonsSuspended(t *testing.T) {
	l := newEnvLog()
	unwound, resumed := false, false
	l.env.Start(nil, func() {
		defer func() { unwound = true }()
		l.call(time.Hour)
		resumed = true
	}, nil)
	l.eng.RunUntil(envStart.Add(time.Minute))
	l.env.Close()
	if !unwound || resumed {
		t.Errorf("unwound=%v resumed=%v, want true false", unwound, resumed)
	}
}

// Finished coroutines are reused for later tasks.
func TestEnvReusesCoroutines(t *testing.T) {
	l := newEnvLog()
	for i := 0; i < 50; i++ {
		l.env.Start(nil, func() { l.call(time.Second) }, nil)
		l.eng.Run()
	}
	s := l.env.Stats()
	if s.Tasks != 50 || s.Coroutines != 1 || s.Calls != 50 {
		t.Errorf("stats %+v, want 50 tasks on 1 coroutine with 50 calls", s)
	}
	l.env.Close()
}

// The wall clock is read around model code only: the time the engine
// spends between resumptions is not counted.
func TestEnvMeasuresComputeInsideCoroutines(t *testing.T) {
	l := newEnvLog()
	fake := envStart
	l.env.SetMeters(func() time.Time { return fake }, nil)
	var acc Meter
	l.env.Start(&acc, func() {
		fake = fake.Add(3 * time.Millisecond) // model work
		l.env.All([]func(){
			func() { fake = fake.Add(time.Millisecond); l.call(time.Second); fake = fake.Add(time.Millisecond) },
			func() { l.call(2 * time.Second); fake = fake.Add(time.Millisecond) },
		})
	}, nil)
	l.eng.After(1500*time.Millisecond, func() { fake = fake.Add(time.Hour) }) // world work, not counted
	l.eng.Run()
	if acc.Compute != 6*time.Millisecond {
		t.Errorf("measured %v, want 6ms", acc.Compute)
	}
}

// BenchmarkEnvRoundTrip measures one awaited call: the switch out of the
// coroutine, the engine event at the completion time, the answer and the
// switch back.
func BenchmarkEnvRoundTrip(b *testing.B) {
	eng := des.NewEngine(envStart)
	env := NewEnv(eng, des.NewSource(1), LatencyConfig{AgentStatus: des.Const(time.Millisecond)},
		ResponderFunc(func(model.Call, time.Time) (model.Result, time.Duration) { return model.Result{StatusCode: 200}, 0 }))
	c := model.Call{Kind: model.CallAgentStatus, AgentID: "a"}
	b.ReportAllocs()
	b.ResetTimer()
	env.Start(nil, func() {
		for i := 0; i < b.N; i++ {
			env.Call(c)
		}
	}, nil)
	eng.Run()
	b.StopTimer()
	env.Close()
}

// BenchmarkEnvAllTask measures one task of an All: starting it on a
// (reused) coroutine, its call, and its return.
func BenchmarkEnvAllTask(b *testing.B) {
	eng := des.NewEngine(envStart)
	env := NewEnv(eng, des.NewSource(1), LatencyConfig{AgentStatus: des.Const(time.Millisecond)},
		ResponderFunc(func(model.Call, time.Time) (model.Result, time.Duration) { return model.Result{StatusCode: 200}, 0 }))
	c := model.Call{Kind: model.CallAgentStatus, AgentID: "a"}
	const batch = 100
	tasks := make([]func(), batch)
	for i := range tasks {
		tasks[i] = func() { env.Call(c) }
	}
	b.ReportAllocs()
	b.ResetTimer()
	env.Start(nil, func() {
		for i := 0; i < b.N; i += batch {
			env.All(tasks)
		}
	}, nil)
	eng.Run()
	b.StopTimer()
	env.Close()
}
