package differential

import (
	"cmp"
	"slices"

	"github.com/townsim/townsim/model/reconciler"
)

// Row counts the differing actions of one rule and action type.
type Row struct {
	// Rule is the sub-reconciler ("?" when no single rule emitted it).
	Rule string `json:"rule"`
	// Type is the action type, or "(threw)" for a pass only one side threw in.
	Type string `json:"type"`
	// OnlyPort and OnlyOriginal count the actions only that side emitted
	// (for "(threw)": the passes in which only that side threw).
	OnlyPort     int `json:"only_port"`
	OnlyOriginal int `json:"only_original"`
	// Reordered counts the passes where the same actions came in another order.
	Reordered int `json:"reordered"`
}

// ThrewType is Row.Type for a pass only one side threw in.
const ThrewType = "(threw)"

// Table is the differences by rule and action type.
type Table struct {
	Rows []Row `json:"rows"`
}

func (t *Table) row(rule, typ string) *Row {
	for i := range t.Rows {
		if t.Rows[i].Rule == rule && t.Rows[i].Type == typ {
			return &t.Rows[i]
		}
	}
	t.Rows = append(t.Rows, Row{Rule: rule, Type: typ})
	slices.SortFunc(t.Rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(ruleIndex(a.Rule), ruleIndex(b.Rule)), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Type, b.Type))
	})
	return t.row(rule, typ)
}

// Add counts one differing comparison.
func (t *Table) Add(c *Comparison) {
	if c.Same {
		return
	}
	if c.Threw() {
		r := t.row(orUnknown(c.ThrowRule), ThrewType)
		if c.PortError != "" {
			r.OnlyPort++
		} else {
			r.OnlyOriginal++
		}
		return
	}
	if c.OrderOnly {
		t.row("?", "(order)").Reordered++
		return
	}
	for _, e := range c.OnlyPort {
		t.row(orUnknown(e.Rule), e.Type).OnlyPort++
	}
	for _, e := range c.OnlyOriginal {
		t.row(orUnknown(e.Rule), e.Type).OnlyOriginal++
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

func ruleIndex(r string) int {
	if i := slices.Index(reconciler.Rules, r); i >= 0 {
		return i
	}
	return len(reconciler.Rules)
}
