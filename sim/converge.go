package sim

import (
	"slices"
	"time"

	"github.com/townsim/townsim/model"
)

// convergence measures, for every fault that fires, how many ticks the
// town takes to recover from it: the ticks from the fault until every
// issue created before it is closed, failed or deleted. It reads the
// Town's database after ticks, only when a fault kind is on, and never
// changes the run.
type convergence struct {
	w       *World
	pending []faultAt        // faults not yet recovered from, in time order
	next    int              // index of the first issue not known to be settled
	ticks   map[string][]int // kind → ticks to converge, one per recovered fault
	firings []FaultFiring    // every fault that fired, in time order
}

type faultAt struct {
	kind string
	at   time.Time
	tick int
}

func newConvergence(w *World) *convergence {
	return &convergence{w: w, ticks: map[string][]int{}}
}

// fired notes a fault at the current time.
func (c *convergence) fired(kind string) {
	c.pending = append(c.pending, faultAt{kind: kind, at: c.w.eng.Now(), tick: c.w.alarm.ticks})
	c.firings = append(c.firings, FaultFiring{Kind: kind, At: c.w.eng.Now()})
}

// afterTick resolves the faults the town has recovered from.
func (c *convergence) afterTick() {
	if len(c.pending) == 0 {
		return
	}
	// The first issue not yet settled bounds what has converged: a fault
	// is recovered from when every issue created before it is settled.
	issues := c.w.issues
	for c.next < len(issues) && c.settled(issues[c.next]) {
		c.next++
	}
	limit := time.Time{} // zero: every issue is settled
	if c.next < len(issues) {
		limit = issues[c.next].at
	}
	n := 0
	for _, f := range c.pending {
		if !limit.IsZero() && f.at.After(limit) {
			break
		}
		c.ticks[f.kind] = append(c.ticks[f.kind], c.w.alarm.ticks-f.tick)
		n++
	}
	c.pending = c.pending[n:]
}

func (c *convergence) settled(r *issueRec) bool {
	if !r.created || r.deleted {
		return true
	}
	st := c.w.status(r.id)
	return st == "" || st == model.StatusClosed || st == model.StatusFailed
}

// Convergence is how fast the town recovered from one fault kind's
// faults: ticks from each fault until every issue created before it was
// closed, failed or deleted.
type Convergence struct {
	// Ticks has one entry per fault the town recovered from, sorted.
	Ticks []int
	// Open counts the faults it had not recovered from at the end.
	Open int
}

func (c *convergence) report() map[string]Convergence {
	out := map[string]Convergence{}
	for k, ts := range c.ticks {
		s := slices.Clone(ts)
		slices.Sort(s)
		out[k] = Convergence{Ticks: s}
	}
	for _, f := range c.pending {
		cv := out[f.kind]
		cv.Open++
		out[f.kind] = cv
	}
	return out
}
