package explore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/townsim/townsim/scenarios"
)

// Task is one unit of work a campaign hands a worker: run a case, or
// shrink a case's failure of one signature.
type Task struct {
	// Op is "case" or "shrink".
	Op       string             `json:"op"`
	Campaign scenarios.Campaign `json:"campaign"`
	Index    int                `json:"index"`
	// Signature and ShrinkRuns are the shrink's.
	Signature  string `json:"signature,omitempty"`
	ShrinkRuns int    `json:"shrink_runs,omitempty"`
	// Gastown, when set, runs the task beside a gastown checkout.
	Gastown *Gastown `json:"gastown,omitempty"`
}

// Task ops.
const (
	OpCase   = "case"
	OpShrink = "shrink"
)

// Executor runs tasks: a procpool.Pool (worker processes) or InProcess.
type Executor interface {
	// Do runs task, decodes its answer into result and returns the CPU
	// time it took.
	Do(ctx context.Context, task, result any) (time.Duration, error)
}

// Handle is the worker's side without a gastown comparer: it runs one
// task (a JSON Task) and returns its answer, a CaseResult or a Shrunk.
func Handle(raw json.RawMessage) (any, error) { return Handler(nil)(raw) }

// Handler is the worker's side: it runs one task (a JSON Task) and
// returns its answer, a CaseResult or a Shrunk. start starts the host
// of a task with a gastown checkout (nil: such a task fails).
func Handler(start StartHost) func(json.RawMessage) (any, error) {
	return func(raw json.RawMessage) (any, error) {
		var t Task
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf("explore: a task that is not a Task: %w", err)
		}
		if t.Gastown != nil {
			t.Gastown.start = start
		}
		switch t.Op {
		case OpCase:
			return RunCaseWith(t.Campaign, t.Index, t.Gastown), nil
		case OpShrink:
			return ShrinkWith(t.Campaign, t.Index, t.Signature, t.ShrinkRuns, t.Gastown)
		}
		return nil, fmt.Errorf("explore: unknown task op %q", t.Op)
	}
}

// InProcess runs tasks in the calling goroutine (tests, -j 0); its CPU
// time is the task's wall time, as a goroutine's own CPU time cannot be
// read. Start starts the host of a task with a gastown checkout.
type InProcess struct {
	Start StartHost
}

// Do runs the task through Handler.
func (e InProcess) Do(ctx context.Context, task, result any) (time.Duration, error) {
	raw, err := json.Marshal(task)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	v, err := Handler(e.Start)(raw)
	if err != nil {
		return time.Since(start), err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return time.Since(start), json.Unmarshal(b, result)
}
