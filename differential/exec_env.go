package differential

import (
	"time"

	"github.com/townsim/townsim/model"
)

// WorldCall is one external call the port's effect made and the world's
// answer, with the clock when it returned.
type WorldCall struct {
	Call   model.Call   `json:"call"`
	Result model.Result `json:"result"`
	At     time.Time    `json:"at"`
	// Before is the clock when the call was made.
	Before time.Time `json:"before"`
}

type worldCall = WorldCall

// contextLog collects the calls of production's action context an
// effect made (reconciler.CallRecorder) and the answers the port used.
type contextLog struct {
	calls   []CallMade
	answers []Answer
}

func (l *contextLog) record(now time.Time, kind string, args map[string]any, answer any, threw string) {
	l.calls = append(l.calls, CallMade{Kind: kind, Args: args})
	l.answers = append(l.answers, Answer{Kind: kind, Answer: answer, Throw: threw, NowMs: now.UnixMilli()})
}

// recordingEnv is the Env a compared effect runs with in the run: every
// call goes to the run's own Env unchanged; the calls and answers are
// recorded on the way.
type recordingEnv struct {
	model.Env
	world []worldCall
	ctx   contextLog
}

// Call performs c in the run and records it.
func (e *recordingEnv) Call(c model.Call) model.Result {
	before := e.Env.Now()
	r := e.Env.Call(c)
	e.world = append(e.world, WorldCall{Call: c, Result: r, At: e.Env.Now(), Before: before})
	return r
}

// RecordCall implements reconciler.CallRecorder.
func (e *recordingEnv) RecordCall(kind string, args map[string]any, answer any, threw string) {
	e.ctx.record(e.Env.Now(), kind, args, answer, threw)
}

// replayEnv replays a recorded effect's world: each call is answered with
// the next recorded answer of its kind (a zero Result when none is left),
// and the clock moves to when the recorded call returned. Tasks run one
// after another.
type replayEnv struct {
	clock time.Time
	queue map[model.CallKind][]worldCall
	ctx   contextLog
}

func newReplayEnv(start time.Time, world []worldCall) *replayEnv {
	e := &replayEnv{clock: start, queue: map[model.CallKind][]worldCall{}}
	for _, w := range world {
		e.queue[w.Call.Kind] = append(e.queue[w.Call.Kind], w)
	}
	return e
}

func (e *replayEnv) Now() time.Time { return e.clock }

func (e *replayEnv) Call(c model.Call) model.Result {
	q := e.queue[c.Kind]
	if len(q) == 0 {
		return model.Result{}
	}
	w := q[0]
	e.queue[c.Kind] = q[1:]
	if w.At.After(e.clock) {
		e.clock = w.At
	}
	return w.Result
}

func (e *replayEnv) All(tasks []func()) {
	for _, t := range tasks {
		t()
	}
}

func (e *replayEnv) Go(task func()) { task() }

// RecordCall implements reconciler.CallRecorder.
func (e *replayEnv) RecordCall(kind string, args map[string]any, answer any, threw string) {
	e.ctx.record(e.clock, kind, args, answer, threw)
}
