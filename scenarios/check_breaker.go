package scenarios

import (
	"strings"

	"github.com/townsim/townsim/model/reconciler"
)

// PropBreakerPausesAll: the dispatch circuit breaker is one town-level
// state per reconcile (reconciler.md §2.0: the same query on the same
// snapshot at the start of reconcileBeads and of reconcileReviewQueue,
// pausing BD-1, BD-2, RQ-5 and RQ-6). A reconcile whose breaker notice
// (BD-CB: "Dispatch circuit breaker is OPEN … All dispatch actions are
// paused") says it is open dispatches nothing, by any rule.
const PropBreakerPausesAll = "safety/breaker-pauses-every-dispatch"

// breakerPausesProp: see PropBreakerPausesAll. It reads the breaker state
// from the notice the reconcile emitted — the port's own figure, as the
// drain flag of no-dispatch-while-draining — and judges the dispatches of
// every rule against it, so a rule family that computes the breaker
// otherwise is caught.
type breakerPausesProp struct {
	open       bool     // this tick's reconcile emitted the breaker notice
	dispatches []string // this tick's dispatch actions: "rule bead"
	judged     int
}

func (p *breakerPausesProp) action(_ *checker, a reconciler.Action, _ *tickView) {
	switch {
	case a.Type == reconciler.NotifyMayor && strings.HasPrefix(a.Message, "Dispatch circuit breaker is OPEN"):
		p.open = true
	case a.Type == reconciler.DispatchAgent:
		p.dispatches = append(p.dispatches, a.Rule+" "+a.BeadID)
	}
}

func (p *breakerPausesProp) tick(c *checker, _ *tickView) {
	if p.open {
		p.judged++
		for _, d := range p.dispatches {
			rule, bead, _ := strings.Cut(d, " ")
			c.violation(PropBreakerPausesAll, bead, "%s dispatched bead %s in a reconcile whose breaker notice said every "+
				"dispatch is paused", rule, short(bead))
		}
	}
	p.open, p.dispatches = false, p.dispatches[:0]
}

func (p *breakerPausesProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "the breaker never opened"
	}
	return ""
}
