package dashboard

import (
	"fmt"
	"sort"
	"time"

	"github.com/townsim/townsim/reports"
)

// Chart renders a panel's figures as a chart: time series over minutes
// since start, with the panel's thresholds; the title carries the panel's
// one figure (a stat's sum, a gauge's newest value).
func (f Figures) Chart(start time.Time) reports.Chart {
	p := f.Panel
	c := reports.Chart{Title: fmt.Sprintf("%d · %s", p.ID, p.Title), XLabel: "simulated time (minutes)", YLabel: p.Unit, YCount: p.Count}
	for _, q := range p.Queries {
		if (q.Agg == Sum || q.Agg == ExplodeSum) && f.Width > 0 {
			c.Title += ", total per " + reports.ShortDuration(f.Width) + " bucket"
			break
		}
	}
	switch p.Kind {
	case "stat":
		c.Title += fmt.Sprintf(" — %s over the range: %g %s", p.Reduce, f.Value, p.FigureUnit)
	case "gauge":
		c.Title += fmt.Sprintf(" — newest sample: %g %s", f.Value, p.FigureUnit)
	}
	xs := make([]float64, len(f.Times))
	for i, t := range f.Times {
		xs[i] = t.Sub(start).Minutes()
	}
	names := make([]string, 0, len(f.Series))
	for n := range f.Series {
		names = append(names, n)
	}
	sort.Strings(names)
	// Keep the queries' own order and colours where they name series.
	ordered := []string{}
	for _, q := range p.Queries {
		if q.Name != "" {
			ordered = append(ordered, q.Name)
		}
	}
	if len(ordered) == 0 {
		ordered = names
	}
	for _, n := range ordered {
		s := reports.Series{Name: n, X: xs, Y: f.Series[n]}
		for _, q := range p.Queries {
			if q.Name == n {
				s.Color = q.Color
			}
		}
		c.Series = append(c.Series, s)
	}
	for _, st := range p.Steps {
		c.Thresholds = append(c.Thresholds, reports.Threshold{Name: st.Name, Value: st.Value, Color: st.Color})
	}
	return c
}
