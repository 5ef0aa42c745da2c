package sweep

import (
	"sort"
	"sync"
	"time"
)

// Live follows the runs of a sweep that are going on: which point and
// seed, and how far each has got in simulated time. A nil *Live follows
// nothing. It is safe for concurrent use.
type Live struct {
	mu   sync.Mutex
	next int
	runs map[int]*LiveRun
}

// LiveRun is one run going on.
type LiveRun struct {
	Point Point
	Seed  uint64
	// Reached is the simulated time of its latest tick; Duration its end.
	Reached, Duration time.Duration
	// Remote is set for a run made by an Executor (a worker process):
	// Reached is then unknown and stays 0.
	Remote bool
	id     int
}

// Start notes a run that starts and returns its id.
func (l *Live) Start(p Point, seed uint64, d time.Duration) int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runs == nil {
		l.runs = map[int]*LiveRun{}
	}
	l.next++
	l.runs[l.next] = &LiveRun{Point: p, Seed: seed, Duration: d, id: l.next}
	return l.next
}

// StartRemote notes a run that starts in a worker process (its simulated
// time is not followed) and returns its id.
func (l *Live) StartRemote(p Point, seed uint64, d time.Duration) int {
	id := l.Start(p, seed, d)
	if l != nil {
		l.mu.Lock()
		l.runs[id].Remote = true
		l.mu.Unlock()
	}
	return id
}

// Reach notes the simulated time run id has reached.
func (l *Live) Reach(id int, d time.Duration) {
	if l == nil {
		return
	}
	l.mu.Lock()
	if r := l.runs[id]; r != nil {
		r.Reached = d
	}
	l.mu.Unlock()
}

// End notes that run id ended.
func (l *Live) End(id int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.runs, id)
	l.mu.Unlock()
}

// Running returns the runs going on, in the order they started.
func (l *Live) Running() []LiveRun {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]LiveRun, 0, len(l.runs))
	for _, r := range l.runs {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}
