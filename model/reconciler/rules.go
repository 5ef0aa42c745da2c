package reconciler

import (
	"fmt"
	"time"

	"github.com/townsim/townsim/model"
)

// Rules names the seven sub-reconcilers in the order Reconcile runs them
// (production's function names).
var Rules = []string{
	"reconcileAgents", "reconcileBeads", "reconcileReviewQueue", "reconcileConvoys",
	"reconcileGUPP", "reconcileGC", "reconcileWastelandClaims",
}

// namedRule is one sub-reconciler of a pass.
type namedRule struct {
	name string
	run  func() ([]Action, error)
}

// rules returns the pass's sub-reconcilers in Rules order.
func (p *rulePass) rules() []namedRule {
	return []namedRule{
		{"reconcileAgents", p.reconcileAgents},
		{"reconcileBeads", p.reconcileBeads},
		{"reconcileReviewQueue", p.reconcileReviewQueue},
		{"reconcileConvoys", p.reconcileConvoys},
		{"reconcileGUPP", p.reconcileGUPP},
		{"reconcileGC", p.reconcileGC},
		{"reconcileWastelandClaims", p.reconcileWastelandClaims},
	}
}

// ReconcileByRule runs the same pass as Reconcile and returns each
// sub-reconciler's actions apart, keyed by its name in Rules. A rule that
// throws has no entry and its error is returned (wrapped with its name)
// after the others ran, so callers can still attribute the rest.
func ReconcileByRule(t *model.Town, now time.Time, o Options) (map[string][]Action, error) {
	p := newPass(t, now, o)
	out := map[string][]Action{}
	var first error
	for _, s := range p.rules() {
		as, err := s.run()
		if err != nil {
			if first == nil {
				first = fmt.Errorf("%s: %w", s.name, err)
			}
			continue
		}
		out[s.name] = as
	}
	return out, first
}
