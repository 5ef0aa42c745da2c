package reports

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Sketch summarises a stream of non-negative figures in bounded memory:
// it counts values rounded to four significant digits, so its quantiles
// are the empirical quantiles of the stream within 0.05% (exact for whole
// numbers below 10,000), and its memory grows with the number of distinct
// rounded values, not with the stream's length.
type Sketch struct {
	counts map[uint64]float64 // by math.Float64bits of the rounded value (a map's fast integer path)
	n      int
	max    float64
	sum    float64
}

// Add adds one value.
func (s *Sketch) Add(x float64) {
	if s.counts == nil {
		s.counts = map[uint64]float64{}
	}
	r := round4(x)
	if r == 0 {
		r = 0 // -0 counts with +0, as a float64 key did
	}
	s.counts[math.Float64bits(r)]++
	if s.n == 0 || x > s.max {
		s.max = x
	}
	s.n++
	s.sum += x
}

// N returns the number of values added.
func (s *Sketch) N() int { return s.n }

// Mean returns the mean of the values (exact), 0 when empty.
func (s *Sketch) Mean() float64 {
	if s.n == 0 {
		return 0
	}
	return s.sum / float64(s.n)
}

// Quantile returns the empirical p-quantile (gonum's stat.Empirical) of
// the rounded values; 0 when empty.
func (s *Sketch) Quantile(p float64) float64 {
	if s.n == 0 {
		return 0
	}
	xs := make([]float64, 0, len(s.counts))
	for k := range s.counts {
		xs = append(xs, math.Float64frombits(k))
	}
	sort.Float64s(xs)
	ws := make([]float64, len(xs))
	for i, x := range xs {
		ws[i] = s.counts[math.Float64bits(x)]
	}
	return stat.Quantile(p, stat.Empirical, xs, ws)
}

// Quantiles returns p50, p95, p99 and the exact maximum.
func (s *Sketch) Quantiles() Quantiles {
	if s.n == 0 {
		return Quantiles{}
	}
	return Quantiles{P50: s.Quantile(0.5), P95: s.Quantile(0.95), P99: s.Quantile(0.99), Max: s.max}
}

// round4 rounds x to four significant digits.
func round4(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	if x > -1e4 && x < 1e4 && x == math.Trunc(x) {
		return x // a whole number of four digits or fewer: already exact
	}
	e := math.Floor(math.Log10(math.Abs(x)))
	scale := math.Pow(10, 3-e)
	return math.Round(x*scale) / scale
}

// TickStats accumulates the per-tick figures of a run's summary from a
// stream of ticks (sim.RunOptions.OnTick), so a run need not keep its
// tick records.
type TickStats struct {
	// ComputeMs, Statements and Rows are the per-tick distributions.
	ComputeMs, Statements, Rows Sketch
}

// Add adds one tick's compute (ms), statements and rows.
func (t *TickStats) Add(computeMs float64, statements, rows int64) {
	t.ComputeMs.Add(computeMs)
	t.Statements.Add(float64(statements))
	t.Rows.Add(float64(rows))
}
