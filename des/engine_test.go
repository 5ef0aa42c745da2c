package des

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// runLog collects what ran, as "name@offset" strings.
type runLog struct {
	e   *Engine
	got []string
}

func (l *runLog) ev(name string) func() {
	return func() { l.got = append(l.got, fmt.Sprintf("%s@%v", name, l.e.Now().Sub(t0))) }
}

func TestEngineOrder(t *testing.T) {
	type sched struct {
		name string
		at   time.Duration // offset from t0
	}
	tests := []struct {
		name  string
		sched []sched
		want  string
	}{
		{"empty", nil, ""},
		{"by time", []sched{{"c", 3 * time.Second}, {"a", time.Second}, {"b", 2 * time.Second}},
			"a@1s b@2s c@3s"},
		{"same time in scheduling order", []sched{{"x", time.Second}, {"y", time.Second}, {"z", time.Second}},
			"x@1s y@1s z@1s"},
		{"ties and times mixed", []sched{{"b1", 2 * time.Second}, {"a1", time.Second}, {"b2", 2 * time.Second}, {"a2", time.Second}, {"z", 0}},
			"z@0s a1@1s a2@1s b1@2s b2@2s"},
		{"past clamped to now", []sched{{"past", -time.Hour}, {"now", 0}},
			"past@0s now@0s"},
		{"nanosecond apart", []sched{{"late", 2}, {"early", 1}}, "early@1ns late@2ns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEngine(t0)
			l := &runLog{e: e}
			for _, s := range tt.sched {
				e.Schedule(t0.Add(s.at), l.ev(s.name))
			}
			if got := e.Pending(); got != len(tt.sched) {
				t.Errorf("Pending = %d, want %d", got, len(tt.sched))
			}
			e.Run()
			if got := strings.Join(l.got, " "); got != tt.want {
				t.Errorf("ran %q, want %q", got, tt.want)
			}
			if e.Executed() != uint64(len(tt.sched)) || e.Pending() != 0 {
				t.Errorf("Executed = %d, Pending = %d", e.Executed(), e.Pending())
			}
		})
	}
}

func TestEngineScheduleFromEvent(t *testing.T) {
	e := NewEngine(t0)
	l := &runLog{e: e}
	e.Schedule(t0.Add(5*time.Second), l.ev("other"))
	e.Schedule(t0.Add(5*time.Second), func() {
		l.ev("first")()
		e.Schedule(t0, l.ev("past"))                    // clamped to 5s, after "other"
		e.After(-time.Second, l.ev("negative"))         // clamped too
		e.After(time.Second, l.ev("later"))             // 6s
		e.Schedule(t0.Add(5*time.Second), l.ev("same")) // 5s, after the others
	})
	e.Run()
	want := "other@5s first@5s past@5s negative@5s same@5s later@6s"
	if got := strings.Join(l.got, " "); got != want {
		t.Errorf("ran %q, want %q", got, want)
	}
}

func TestEngineStepEmpty(t *testing.T) {
	e := NewEngine(t0)
	if e.Step() {
		t.Fatal("Step on an empty engine returned true")
	}
	if !e.Now().Equal(t0) {
		t.Errorf("Now = %v, want %v", e.Now(), t0)
	}
	if _, ok := e.NextAt(); ok {
		t.Error("NextAt reported an event on an empty engine")
	}
}

func TestEngineNilFn(t *testing.T) {
	e := NewEngine(t0)
	e.After(time.Minute, nil)
	if !e.Step() || e.Now().Sub(t0) != time.Minute || e.Executed() != 1 {
		t.Errorf("nil fn event: now %v, executed %d", e.Now().Sub(t0), e.Executed())
	}
}

func TestEngineCancel(t *testing.T) {
	tests := []struct {
		name       string
		do         func(e *Engine, l *runLog) (cancelled []bool)
		want       string
		wantCancel []bool
	}{
		{
			name: "pending event",
			do: func(e *Engine, l *runLog) []bool {
				id := e.After(time.Second, l.ev("a"))
				e.After(2*time.Second, l.ev("b"))
				return []bool{e.Cancel(id), e.Cancel(id)}
			},
			want: "b@2s", wantCancel: []bool{true, false},
		},
		{
			name: "zero and unknown ids",
			do: func(e *Engine, l *runLog) []bool {
				e.After(time.Second, l.ev("a"))
				return []bool{e.Cancel(0), e.Cancel(EventID(1<<32 | 99)), e.Cancel(EventID(7<<32 | 0))}
			},
			want: "a@1s", wantCancel: []bool{false, false, false},
		},
		{
			name: "after it ran",
			do: func(e *Engine, l *runLog) []bool {
				id := e.After(time.Second, l.ev("a"))
				e.Step()
				return []bool{e.Cancel(id)}
			},
			want: "a@1s", wantCancel: []bool{false},
		},
		{
			name: "stale id does not cancel the slot's next event",
			do: func(e *Engine, l *runLog) []bool {
				old := e.After(time.Second, l.ev("a"))
				e.Step()
				e.After(time.Second, l.ev("b")) // reuses a's slot
				return []bool{e.Cancel(old)}
			},
			want: "a@1s b@2s", wantCancel: []bool{false},
		},
		{
			name: "itself while running",
			do: func(e *Engine, l *runLog) []bool {
				var id EventID
				var res bool
				id = e.After(time.Second, func() { res = e.Cancel(id); l.ev("a")() })
				e.Run()
				return []bool{res}
			},
			want: "a@1s", wantCancel: []bool{false},
		},
		{
			name: "a later event from an earlier one",
			do: func(e *Engine, l *runLog) []bool {
				var res bool
				late := e.After(2*time.Second, l.ev("late"))
				e.After(time.Second, func() { res = e.Cancel(late); l.ev("early")() })
				e.After(3*time.Second, l.ev("last"))
				e.Run()
				return []bool{res}
			},
			want: "early@1s last@3s", wantCancel: []bool{true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEngine(t0)
			l := &runLog{e: e}
			got := tt.do(e, l)
			e.Run()
			if !slices.Equal(got, tt.wantCancel) {
				t.Errorf("Cancel results %v, want %v", got, tt.wantCancel)
			}
			if s := strings.Join(l.got, " "); s != tt.want {
				t.Errorf("ran %q, want %q", s, tt.want)
			}
			if e.Pending() != 0 {
				t.Errorf("Pending = %d after Run", e.Pending())
			}
		})
	}
}

func TestEngineCancelPendingCount(t *testing.T) {
	e := NewEngine(t0)
	a := e.After(time.Second, nil)
	e.After(2*time.Second, nil)
	e.Cancel(a)
	if e.Pending() != 1 {
		t.Errorf("Pending = %d, want 1", e.Pending())
	}
	at, ok := e.NextAt()
	if !ok || at.Sub(t0) != 2*time.Second {
		t.Errorf("NextAt = %v, %v; want +2s, true", at.Sub(t0), ok)
	}
	e.Run()
	if e.Executed() != 1 || !e.Now().Equal(t0.Add(2*time.Second)) {
		t.Errorf("Executed = %d, Now = %v", e.Executed(), e.Now().Sub(t0))
	}
}

// TestEngineMatchesSort checks the heap against a stable sort of the same
// events, with many ties and cancellations (enough to trigger compaction).
func TestEngineMatchesSort(t *testing.T) {
	for _, n := range []int{1, 2, 3, 10, 100, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := NewSource(uint64(n)).Stream("order")
			e := NewEngine(t0)
			type ev struct {
				at  time.Duration
				i   int
				id  EventID
				cut bool
			}
			evs := make([]ev, n)
			var got []int
			for i := range evs {
				at := time.Duration(r.IntN(n/4+1)) * time.Millisecond
				evs[i] = ev{at: at, i: i, id: e.Schedule(t0.Add(at), func() { got = append(got, i) })}
			}
			for i := range evs {
				if r.Bool(0.6) {
					evs[i].cut = true
					if !e.Cancel(evs[i].id) {
						t.Fatalf("Cancel(%d) = false", i)
					}
				}
			}
			var want []int
			sorted := slices.Clone(evs)
			slices.SortStableFunc(sorted, func(a, b ev) int { return int(a.at - b.at) })
			for _, x := range sorted {
				if !x.cut {
					want = append(want, x.i)
				}
			}
			if e.Pending() != len(want) {
				t.Errorf("Pending = %d, want %d", e.Pending(), len(want))
			}
			e.Run()
			if !slices.Equal(got, want) {
				t.Errorf("order differs from a stable sort:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestEngineRunUntil(t *testing.T) {
	tests := []struct {
		name        string
		horizon     time.Duration
		want        string
		wantNow     time.Duration
		wantPending int
	}{
		{"before all", 500 * time.Millisecond, "", 500 * time.Millisecond, 3},
		{"inclusive", 2 * time.Second, "a@1s b@2s spawned@2s", 2 * time.Second, 1},
		{"between", 2500 * time.Millisecond, "a@1s b@2s spawned@2s", 2500 * time.Millisecond, 1},
		{"past all", time.Hour, "a@1s b@2s spawned@2s c@3s", time.Hour, 0},
		{"before start", -time.Hour, "", 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEngine(t0)
			l := &runLog{e: e}
			e.After(time.Second, l.ev("a"))
			e.After(2*time.Second, func() { l.ev("b")(); e.After(0, l.ev("spawned")) })
			e.After(3*time.Second, l.ev("c"))
			e.RunUntil(t0.Add(tt.horizon))
			if got := strings.Join(l.got, " "); got != tt.want {
				t.Errorf("ran %q, want %q", got, tt.want)
			}
			if got := e.Now().Sub(t0); got != tt.wantNow {
				t.Errorf("Now = %v, want %v", got, tt.wantNow)
			}
			if e.Pending() != tt.wantPending {
				t.Errorf("Pending = %d, want %d", e.Pending(), tt.wantPending)
			}
		})
	}
}

func TestEngineRunUntilSkipsCancelledTop(t *testing.T) {
	e := NewEngine(t0)
	id := e.After(time.Second, nil)
	e.After(time.Minute, nil)
	e.Cancel(id)
	e.RunUntil(t0.Add(2 * time.Second))
	if e.Executed() != 0 || e.Pending() != 1 || e.Now().Sub(t0) != 2*time.Second {
		t.Errorf("Executed %d, Pending %d, Now %v", e.Executed(), e.Pending(), e.Now().Sub(t0))
	}
}

// TestEngineReentrantWait models a tick that awaits a call: the handler at 1s
// starts a call answered at 3s and waits with RunWhile, letting an unrelated
// event at 2s run in the meantime, then resumes at 3s.
func TestEngineReentrantWait(t *testing.T) {
	e := NewEngine(t0)
	l := &runLog{e: e}
	e.After(time.Second, func() {
		l.ev("tick-start")()
		done := false
		e.After(2*time.Second, func() { l.ev("answer")(); done = true })
		e.RunWhile(func() bool { return !done })
		l.ev("tick-resume")()
		e.After(0, l.ev("after-tick"))
	})
	e.After(2*time.Second, l.ev("other"))
	e.After(3*time.Second, l.ev("same-time-as-answer"))
	e.After(4*time.Second, l.ev("last"))
	e.Run()
	// same-time-as-answer was scheduled before the answer, so it runs first.
	want := "tick-start@1s other@2s same-time-as-answer@3s answer@3s tick-resume@3s after-tick@3s last@4s"
	if got := strings.Join(l.got, " "); got != want {
		t.Errorf("ran\n %q\nwant\n %q", got, want)
	}
	if e.Executed() != 6 {
		t.Errorf("Executed = %d, want 6", e.Executed())
	}
}

func TestEngineNestedStepAndRunUntil(t *testing.T) {
	e := NewEngine(t0)
	l := &runLog{e: e}
	e.After(time.Second, func() {
		l.ev("outer")()
		if !e.Step() {
			t.Error("nested Step found nothing")
		}
		e.RunUntil(t0.Add(10 * time.Second))
		l.ev("outer-end")()
	})
	e.After(2*time.Second, l.ev("inner1"))
	e.After(5*time.Second, l.ev("inner2"))
	e.After(20*time.Second, l.ev("later"))
	e.Run()
	want := "outer@1s inner1@2s inner2@5s outer-end@10s later@20s"
	if got := strings.Join(l.got, " "); got != want {
		t.Errorf("ran %q, want %q", got, want)
	}
}

func TestEngineRunWhileStopsWhenEmpty(t *testing.T) {
	e := NewEngine(t0)
	e.After(time.Second, nil)
	calls := 0
	e.RunWhile(func() bool { calls++; return true })
	if calls != 2 || e.Pending() != 0 {
		t.Errorf("cond called %d times, Pending %d", calls, e.Pending())
	}
}

func TestEngineAfterSaturates(t *testing.T) {
	e := NewEngine(t0)
	e.After(time.Hour, nil)
	e.Step()
	e.After(time.Duration(1<<63-1), nil)
	e.Schedule(t0.Add(time.Duration(1<<63-1)).Add(time.Hour), nil)
	if e.Pending() != 2 {
		t.Fatalf("Pending = %d", e.Pending())
	}
	e.Run()
	if got := e.Now().Sub(t0); got != time.Duration(1<<63-1) {
		t.Errorf("Now-t0 = %v, want max duration", got)
	}
}

func BenchmarkEngine(b *testing.B) {
	fn := func() {}
	b.Run("batch1024", func(b *testing.B) {
		// Schedule 1024 events at scattered times, run them, repeat.
		const batch = 1024
		r := NewSource(1).Stream("bench")
		var offs [batch]time.Duration
		for i := range offs {
			offs[i] = r.Uniform(0, time.Hour)
		}
		e := NewEngine(t0)
		b.ReportAllocs()
		b.ResetTimer()
		for done := 0; done < b.N; {
			n := min(batch, b.N-done)
			for i := range n {
				e.After(offs[i], fn)
			}
			e.Run()
			done += n
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("chain", func(b *testing.B) {
		// Each event schedules the next.
		e := NewEngine(t0)
		left := b.N
		var next func()
		next = func() {
			if left--; left > 0 {
				e.After(time.Millisecond, next)
			}
		}
		e.After(0, next)
		b.ReportAllocs()
		b.ResetTimer()
		e.Run()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("hold10k", func(b *testing.B) {
		// Classic hold model: 10,000 pending events, each reschedules
		// itself at a random delay when it runs.
		const pending = 10000
		r := NewSource(2).Stream("bench")
		e := NewEngine(t0)
		left := b.N
		var next func()
		next = func() {
			if left--; left > 0 {
				e.After(r.Exp(time.Second), next)
			}
		}
		for range min(pending, b.N) {
			e.After(r.Exp(time.Second), next)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for left > 0 && e.Step() {
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
