package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Task is one run of a sweep as an Executor gets it: a point of a grid
// (by its index in Grid.Points) and a seed. It is plain JSON, so that the
// run can be made in another process.
type Task struct {
	Grid Grid `json:"grid"`
	// Point is the index of the run's point in Grid.Points().
	Point int    `json:"point"`
	Seed  uint64 `json:"seed"`
	// KeepTimeline keeps the run's Timeline and Dashboard (the first
	// seed's runs).
	KeepTimeline bool `json:"keep_timeline"`
	// Run is the run's index in the grid's order (points, then seeds): it
	// names the run's own files, such as its differences folder.
	Run int `json:"run"`
}

// Executor makes a sweep's runs elsewhere: a procpool.Pool (worker
// processes, each answering with Handler). Do runs task and decodes the
// answer into result; when ctx ends first it abandons the run and
// returns ctx's error. The sweep's own logic (order, resume, journal,
// progress) stays in Run whatever the executor.
type Executor interface {
	Do(ctx context.Context, task, result any) (time.Duration, error)
}

// wireResult is a RunResult as it crosses a pipe: the error as text (the
// point is the task's own).
type wireResult struct {
	Error string `json:"error,omitempty"`
	*RunResult
}

// Handler is the worker's side of a sweep: it makes the run a Task names
// (a JSON Task) in this process and answers with the run's result, JSON
// safe. compare, when not nil, starts the comparison of each run
// (differential mode; the parent's Options.Compare is not called in the
// workers).
func Handler(compare func(Task) (Comparer, error)) func(json.RawMessage) (any, error) {
	return func(raw json.RawMessage) (any, error) {
		var t Task
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf("sweep: a task that is not a Task: %w", err)
		}
		if err := t.Grid.Validate(); err != nil {
			return nil, fmt.Errorf("sweep: the task's grid: %w", err)
		}
		points := t.Grid.Points()
		if t.Point < 0 || t.Point >= len(points) {
			return nil, fmt.Errorf("sweep: the task's point %d is not one of the grid's %d", t.Point, len(points))
		}
		var o Options
		if compare != nil {
			o.Compare = func() (Comparer, error) { return compare(t) }
		}
		o.WallClock = time.Now
		r := runOne(t.Grid, points[t.Point], t.Seed, t.KeepTimeline, o, 0)
		w := wireResult{RunResult: &r}
		if r.Err != nil {
			w.Error = r.Err.Error()
		}
		return w, nil
	}
}

// runRemote makes one run through the executor. A run the executor could
// not make (the worker died) is a run with that error; a run ctx ended
// is abandoned.
func runRemote(ctx context.Context, exec Executor, t Task, p Point) RunResult {
	w := wireResult{RunResult: &RunResult{}}
	cpu, err := exec.Do(ctx, t, &w)
	switch {
	case ctx.Err() != nil:
		return RunResult{Point: p, Seed: t.Seed, Status: StatusAbandoned}
	case err != nil:
		return RunResult{Point: p, Seed: t.Seed, Status: StatusDone, Err: fmt.Errorf("worker: %w", err)}
	}
	r := *w.RunResult
	r.Point, r.CPU = p, cpu
	if w.Error != "" {
		r.Err = errors.New(w.Error)
	}
	return r
}
