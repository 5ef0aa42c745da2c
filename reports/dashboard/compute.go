package dashboard

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/townsim/townsim/reports/record"
)

// Figures are a panel's computed series and its one-figure reduction.
type Figures struct {
	Panel Panel
	// Series maps a series name to its value per bucket (NaN-free; a
	// bucket without rows is absent from Times).
	Series map[string][]float64
	// Times are the buckets' starts.
	Times []time.Time
	// Value is the panel's figure over the whole range: the reduction of
	// a stat or gauge, the range aggregate of each series otherwise
	// (Totals).
	Value float64
	// Totals aggregates each series over the whole range with the query's
	// own aggregation (mean per tick for WeightedMean, total for Sum).
	Totals map[string]float64
	// Width is the buckets' width.
	Width time.Duration
}

// Builder computes the panels from a stream of analytics rows, in
// bounded memory: per bucket it keeps sums, not rows.
type Builder struct {
	width   time.Duration
	start   time.Time
	buckets []*bucket
	last    record.AnalyticsRow
	rows    int
}

type bucket struct {
	si      float64
	sums    map[string]float64 // column → Σ(col·si)
	explode map[string]float64 // key → Σ(value·si)
	last    record.AnalyticsRow
}

// NewBuilder starts a builder with buckets of width from start.
func NewBuilder(start time.Time, width time.Duration) *Builder {
	return &Builder{start: start, width: width}
}

// Add adds one analytics row; rows of other events than reconciler_tick
// are ignored (every panel filters blob1 = 'reconciler_tick'). Rows must
// come in time order.
func (b *Builder) Add(r record.AnalyticsRow) error {
	if r.Blob(1) != "reconciler_tick" {
		return nil
	}
	i := int(r.Timestamp.Sub(b.start) / b.width)
	if i < 0 {
		return fmt.Errorf("row at %s is before the dashboard's start %s", r.Timestamp, b.start)
	}
	for len(b.buckets) <= i {
		b.buckets = append(b.buckets, nil)
	}
	bk := b.buckets[i]
	if bk == nil {
		bk = &bucket{sums: map[string]float64{}, explode: map[string]float64{}}
		b.buckets[i] = bk
	}
	si := r.SampleInterval
	bk.si += si
	for n := 1; n <= 11; n++ {
		bk.sums["double"+strconv.Itoa(n)] += r.Double(n) * si
	}
	if lbl := r.Blob(10); lbl != "" && lbl != "{}" {
		var m map[string]float64
		if err := json.Unmarshal([]byte(lbl), &m); err != nil {
			return fmt.Errorf("blob10 %q is not a JSON object of counts: %v", lbl, err)
		}
		for k, v := range m {
			bk.explode[k] += v * si
		}
	}
	bk.last = r
	b.last = r
	b.rows++
	return nil
}

// Rows returns the number of reconciler_tick rows added.
func (b *Builder) Rows() int { return b.rows }

// Compute evaluates panel p over the rows added.
func (b *Builder) Compute(p Panel) Figures {
	f := Figures{Panel: p, Series: map[string][]float64{}, Totals: map[string]float64{}, Width: b.width}
	var totSI float64
	totSums := map[string]float64{}
	totExplode := map[string]float64{}
	for i, bk := range b.buckets {
		if bk == nil {
			continue
		}
		f.Times = append(f.Times, b.start.Add(time.Duration(i)*b.width))
		totSI += bk.si
		for k, v := range bk.sums {
			totSums[k] += v
		}
		for k, v := range bk.explode {
			totExplode[k] += v
		}
	}
	keys := make([]string, 0, len(totExplode))
	for k := range totExplode {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, q := range p.Queries {
		for _, bk := range b.buckets {
			if bk == nil {
				continue
			}
			switch q.Agg {
			case WeightedMean:
				f.Series[q.Name] = append(f.Series[q.Name], bk.sums[q.Column]/bk.si)
			case Sum:
				f.Series[q.Name] = append(f.Series[q.Name], bk.sums[q.Column])
			case Latest:
				f.Series[q.Name] = append(f.Series[q.Name], column(bk.last, q.Column))
			case ExplodeSum:
				for _, k := range keys {
					f.Series[k] = append(f.Series[k], bk.explode[k])
				}
			}
		}
		switch q.Agg {
		case WeightedMean:
			if totSI > 0 {
				f.Totals[q.Name] = totSums[q.Column] / totSI
			}
		case Sum:
			f.Totals[q.Name] = totSums[q.Column]
		case Latest:
			f.Totals[q.Name] = column(b.last, q.Column)
		case ExplodeSum:
			for _, k := range keys {
				f.Totals[k] = totExplode[k]
			}
		}
	}
	if len(p.Queries) == 1 && p.Queries[0].Name != "" {
		f.Value = f.Totals[p.Queries[0].Name]
	}
	return f
}

// column reads a double column of a row by name (0 for a blob).
func column(r record.AnalyticsRow, col string) float64 {
	var n int
	if _, err := fmt.Sscanf(col, "double%d", &n); err == nil && n >= 1 && n <= 11 {
		return r.Double(n)
	}
	return 0
}
