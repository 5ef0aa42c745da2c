package gate

import "fmt"

// Entries finds the baseline entry of every budgets entry, in order. A
// missing or mismatched entry is an error naming create, the command that
// writes a fresh baseline.
func (bl *Baseline) Entries(b *Budgets, create string) ([]*BaselineEntry, error) {
	out := make([]*BaselineEntry, len(b.Scenarios))
	for i := range b.Scenarios {
		be, err := bl.entry(&b.Scenarios[i], create)
		if err != nil {
			return nil, err
		}
		out[i] = be
	}
	return out, nil
}

// Check measures every scenario of b (runs times each) and judges it
// against its baseline entry (bases[i]; nil or a nil slice: none, only
// the absolute limits apply). progress, when set, hears about each
// scenario before it runs.
func Check(b *Budgets, bases []*BaselineEntry, runs int, o MeasureOptions, progress func(string)) (*Report, []*Measurement, error) {
	r := &Report{Budgets: b.Path, Baseline: b.BaselinePath()}
	ms := make([]*Measurement, 0, len(b.Scenarios))
	for i := range b.Scenarios {
		e := &b.Scenarios[i]
		if progress != nil {
			progress(fmt.Sprintf("%s: %d runs of %s (seed %d, %s, %d rigs, %d agents)",
				e.Name, runs, e.Scenario, e.Config.Seed, e.Config.Duration, e.Config.Rigs, e.Config.Agents))
		}
		m, err := Measure(e.Config, runs, o)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		if m.Det.Findings, err = MeasureFindings(e.Scenario, e.Config); err != nil {
			return nil, nil, fmt.Errorf("%s: findings: %w", e.Name, err)
		}
		ms = append(ms, m)
		var base *BaselineEntry
		if i < len(bases) {
			base = bases[i]
		}
		r.Add(Judge(b, e, base, m))
	}
	return r, ms, nil
}
