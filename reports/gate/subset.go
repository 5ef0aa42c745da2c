package gate

import (
	"fmt"
	"slices"
	"strings"
)

// Only keeps the budgets entries named in names (in the file's order),
// and the against section's entries among them. An unknown name is an
// error listing the entries.
func (b *Budgets) Only(names []string) error {
	var all []string
	for _, e := range b.Scenarios {
		all = append(all, e.Name)
	}
	for _, n := range names {
		if !slices.Contains(all, n) {
			return fmt.Errorf("unknown budgets entry %q (entries of %s: %s)", n, b.Path, strings.Join(all, ", "))
		}
	}
	var kept []Entry
	for _, e := range b.Scenarios {
		if slices.Contains(names, e.Name) {
			kept = append(kept, e)
		}
	}
	b.Scenarios = kept
	if b.Against != nil {
		var against []string
		for _, n := range b.Against.Scenarios {
			if slices.Contains(names, n) {
				against = append(against, n)
			}
		}
		b.Against.Scenarios = against
	}
	return nil
}

// MergeBaseline is the baseline of every entry of the full budgets file:
// the fresh entry where this run measured one, else the old file's entry
// (nil old: none). Entries the budgets no longer name are dropped. It is
// how --update-baseline with --scenarios re-pins only the entries named.
func MergeBaseline(full *Budgets, old, fresh *Baseline) *Baseline {
	out := &Baseline{Machine: fresh.Machine}
	find := func(bl *Baseline, name string) *BaselineEntry {
		if bl == nil {
			return nil
		}
		for i := range bl.Scenarios {
			if bl.Scenarios[i].Name == name {
				return &bl.Scenarios[i]
			}
		}
		return nil
	}
	for _, e := range full.Scenarios {
		if be := find(fresh, e.Name); be != nil {
			out.Scenarios = append(out.Scenarios, *be)
		} else if be := find(old, e.Name); be != nil {
			out.Scenarios = append(out.Scenarios, *be)
		}
	}
	return out
}
