package alarm

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// CostByPart attributes the tick's synchronous database work: every
// sub-reconciler has an entry, the action types applied have theirs, and
// together they never exceed the tick's whole cost.
func TestCostByPart(t *testing.T) {
	f := newFixture(t)
	rig := f.rig("r1", t0.Add(-time.Hour))
	f.bead(model.TypeIssue, model.StatusOpen, rig, t0.Add(-time.Hour))
	f.agent(model.RolePolecat, model.AgentIdle, rig, "", t0.Add(-time.Hour))
	res := f.tick()
	for _, part := range []string{"T7 drain", "reconcileAgents", "reconcileBeads", "reconcileReviewQueue",
		"reconcileConvoys", "reconcileGUPP", "reconcileGC", "reconcileWastelandClaims", "T11 invariants"} {
		if c, ok := res.CostByPart[part]; !ok || c.Statements == 0 {
			t.Errorf("CostByPart[%q] = %+v (present %v), want statements > 0", part, c, ok)
		}
	}
	var sum model.Cost
	applied := 0
	for part, c := range res.CostByPart {
		sum.Statements += c.Statements
		sum.Rows += c.Rows
		if len(part) > 6 && part[:6] == "apply " {
			applied++
		}
	}
	if len(res.Actions) > 0 && applied == 0 {
		t.Errorf("actions %v applied but no \"apply <type>\" part in %v", actionStrings(res.Actions), res.CostByPart)
	}
	if sum.Statements > res.Cost.Statements || sum.Rows > res.Cost.Rows {
		t.Errorf("parts sum to %+v, more than the tick's cost %+v", sum, res.Cost)
	}
}
