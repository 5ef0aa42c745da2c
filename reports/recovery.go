package reports

import (
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/townsim/townsim/sim"
)

// Backlog is one tick's count of issue beads not terminal (open, in
// progress or in review): the figure recovery is judged on.
type Backlog struct {
	At   time.Time
	Open int
}

// The fault-free envelope: at time t, the largest backlog the fault-free
// run had within EnvelopeWindow of t, plus EnvelopeSlack of it and one
// issue. A faulty run has recovered from a fault once its backlog is back
// under that bound and stays under it for RecoveryHold (or to the end of
// the run).
const (
	EnvelopeWindow = 10 * time.Minute
	EnvelopeSlack  = 0.10
	RecoveryHold   = 5 * time.Minute
)

// Recovery summarises one fault kind's recoveries, judged against the
// same seed's fault-free run.
type Recovery struct {
	// Recovered and NotRecovered count the kind's faults.
	Recovered    int `json:"recovered"`
	NotRecovered int `json:"not_recovered"`
	// TicksP50, TicksP99, TicksMax: ticks from a fault to the recovery,
	// over the faults recovered from; MinutesP50 and MinutesMax the same
	// in simulated minutes.
	TicksP50   float64 `json:"ticks_p50"`
	TicksP99   float64 `json:"ticks_p99"`
	TicksMax   float64 `json:"ticks_max"`
	MinutesP50 float64 `json:"minutes_p50"`
	MinutesMax float64 `json:"minutes_max"`
}

// envelope is the upper bound of the fault-free backlog around a time.
type envelope struct{ base []Backlog }

// upper is the bound at t.
func (e envelope) upper(t time.Time) float64 {
	lo := sort.Search(len(e.base), func(i int) bool { return !e.base[i].At.Before(t.Add(-EnvelopeWindow)) })
	m := 0
	for i := lo; i < len(e.base) && !e.base[i].At.After(t.Add(EnvelopeWindow)); i++ {
		m = max(m, e.base[i].Open)
	}
	return float64(m)*(1+EnvelopeSlack) + 1
}

// JudgeRecovery judges every fault of firings: recovered at the first tick
// of the faulty run at or after the fault from which its backlog stays
// within the fault-free run's envelope (base) for RecoveryHold, or to the
// end of the run. Both series are in time order, one entry per tick.
func JudgeRecovery(faulty, base []Backlog, firings []sim.FaultFiring) map[string]Recovery {
	env := envelope{base}
	n := len(faulty)
	inside := make([]bool, n)
	for i, b := range faulty {
		inside[i] = float64(b.Open) <= env.upper(b.At)
	}
	// holdsFrom[i]: from tick i the backlog stays inside for RecoveryHold
	// (or to the end). Computed from the end: the first outside tick after i.
	nextOut := make([]int, n+1)
	nextOut[n] = n
	for i := n - 1; i >= 0; i-- {
		if !inside[i] {
			nextOut[i] = i
		} else {
			nextOut[i] = nextOut[i+1]
		}
	}
	holds := func(i int) bool {
		if !inside[i] {
			return false
		}
		j := nextOut[i]
		return j == n || faulty[j].At.Sub(faulty[i].At) >= RecoveryHold
	}
	// firstHold[i] is the first tick at or after i that holds (n: none).
	firstHold := make([]int, n+1)
	firstHold[n] = n
	for i := n - 1; i >= 0; i-- {
		if holds(i) {
			firstHold[i] = i
		} else {
			firstHold[i] = firstHold[i+1]
		}
	}
	type acc struct {
		ticks, mins []float64
		open        int
	}
	by := map[string]*acc{}
	for _, f := range firings {
		a := by[f.Kind]
		if a == nil {
			a = &acc{}
			by[f.Kind] = a
		}
		start := sort.Search(n, func(i int) bool { return !faulty[i].At.Before(f.At) })
		if i := firstHold[start]; i < n {
			a.ticks = append(a.ticks, float64(i-start))
			a.mins = append(a.mins, faulty[i].At.Sub(f.At).Minutes())
		} else {
			a.open++
		}
	}
	out := map[string]Recovery{}
	for k, a := range by {
		r := Recovery{Recovered: len(a.ticks), NotRecovered: a.open}
		if len(a.ticks) > 0 {
			sort.Float64s(a.ticks)
			sort.Float64s(a.mins)
			r.TicksP50 = stat.Quantile(0.5, stat.Empirical, a.ticks, nil)
			r.TicksP99 = stat.Quantile(0.99, stat.Empirical, a.ticks, nil)
			r.TicksMax = a.ticks[len(a.ticks)-1]
			r.MinutesP50 = math.Round(stat.Quantile(0.5, stat.Empirical, a.mins, nil)*10) / 10
			r.MinutesMax = math.Round(a.mins[len(a.mins)-1]*10) / 10
		}
		out[k] = r
	}
	return out
}
