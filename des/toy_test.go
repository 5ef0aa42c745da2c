package des

import (
	"bytes"
	"testing"
	"time"
)

// The toy model below uses the kernel without anything of gastown: two
// processes, ping and pong, each send messages to the other. A send is a
// call that completes after a delay drawn from the sender's own seeded
// stream; the receiver counts what it got. It shows what a model built on
// des needs: an engine, named streams, a distribution, an Env with its
// call, answer and work types, and a trace.

// toyMsg is one message: the call type of the toy Env.
type toyMsg struct {
	from, to string
	n        int
}

// toyAck is the delivery receipt: the answer type.
type toyAck struct {
	n  int
	at time.Time
}

// toyWork counts messages sent: the work type.
type toyWork struct{ sent int64 }

func (w toyWork) Sub(o toyWork) toyWork { return toyWork{w.sent - o.sent} }
func (w toyWork) Add(o toyWork) toyWork { return toyWork{w.sent + o.sent} }

type toyResult struct {
	hash     string
	received map[string][]int // by receiver, in arrival order
	lastAt   time.Time
	meters   map[string]*Meter[toyWork]
	events   uint64
}

func runToy(t *testing.T, seed uint64, rounds int) toyResult {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	eng := NewEngine(start)
	src := NewSource(seed)
	var buf bytes.Buffer
	tr := NewTrace(&buf)
	delay := LogNormal(80*time.Millisecond, 0.6)
	streams := map[string]*Rand{"ping": src.Stream("net/ping"), "pong": src.Stream("net/pong")}
	res := toyResult{received: map[string][]int{}, meters: map[string]*Meter[toyWork]{}}
	var work toyWork
	env := NewEnv[toyMsg, toyAck, toyWork](eng,
		func(m toyMsg) time.Duration { return delay.Sample(streams[m.from]) },
		ResponderFunc[toyMsg, toyAck](func(m toyMsg, sent time.Time) (toyAck, time.Duration) {
			if !eng.Now().After(sent) {
				t.Errorf("message %+v delivered at %v, not after it was sent at %v", m, eng.Now(), sent)
			}
			res.received[m.to] = append(res.received[m.to], m.n)
			tr.Record(eng.Now(), "deliver", F("from", m.from), F("to", m.to), F("n", m.n), F("sent", sent))
			return toyAck{n: m.n, at: eng.Now()}, 0
		}))
	env.SetMeters(nil, func() toyWork { return work })
	send := func(m toyMsg) toyAck {
		work.sent++ // the process's own work, between two awaits
		return env.Call(m)
	}
	process := func(name, peer string) func() {
		return func() {
			for i := 0; i < rounds; i++ {
				ack := send(toyMsg{from: name, to: peer, n: i})
				if ack.n != i {
					t.Errorf("%s: ack for %d answers %d", name, i, ack.n)
				}
			}
			// A last burst of two concurrent sends, awaited together.
			env.All([]func(){
				func() { send(toyMsg{from: name, to: peer, n: rounds}) },
				func() { send(toyMsg{from: name, to: peer, n: rounds + 1}) },
			})
			tr.Record(eng.Now(), "done", F("process", name))
		}
	}
	for _, p := range [][2]string{{"ping", "pong"}, {"pong", "ping"}} {
		m := &Meter[toyWork]{}
		res.meters[p[0]] = m
		env.Start(m, process(p[0], p[1]), nil)
	}
	eng.Run()
	env.Close()
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	res.hash, res.lastAt, res.events = tr.Hash(), eng.Now(), eng.Executed()
	return res
}

func TestToyModelTwoProcesses(t *testing.T) {
	const rounds = 50
	a := runToy(t, 7, rounds)
	for _, who := range []string{"ping", "pong"} {
		got := a.received[who]
		if len(got) != rounds+2 {
			t.Fatalf("%s received %d messages, want %d", who, len(got), rounds+2)
		}
		for i := 0; i < rounds; i++ {
			if got[i] != i {
				t.Fatalf("%s received message %d in place %d: sequential sends arrive in order", who, got[i], i)
			}
		}
		// Each process is charged only its own sends, though both count
		// on one counter and run interleaved.
		if d := a.meters[who].Cost.sent; d != rounds+2 {
			t.Errorf("meter of %s counts %d sends, want %d", who, d, rounds+2)
		}
	}
	// 52 sends each at a median of 80 ms: the run lasts seconds, not zero
	// and not minutes.
	if el := a.lastAt.Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); el < time.Second || el > time.Minute {
		t.Errorf("run lasted %v of virtual time, want a few seconds", el)
	}

	b := runToy(t, 7, rounds)
	if a.hash != b.hash || a.events != b.events {
		t.Errorf("same seed: hash %s/%s, events %d/%d; a run must repeat exactly", a.hash, b.hash, a.events, b.events)
	}
	c := runToy(t, 8, rounds)
	if a.hash == c.hash {
		t.Errorf("seeds 7 and 8 gave the same hash %s: the delays do not come from the seed", a.hash)
	}
}
