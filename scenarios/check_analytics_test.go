package scenarios

import (
	"testing"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// safety/analytics-carry-bead-rig fires on a data point about a real
// bead of a real run that carries another rig or none; the finding
// awaiting-approval-without-rig explains only the approval-wait data
// points without a rig.
func TestAnalyticsRigFires(t *testing.T) {
	c, db := passedRun(t, "default", 0)
	_, one := rowsOf(t, db)
	bead := one(`SELECT bead_id FROM beads WHERE type = 'merge_request' AND rig_id IS NOT NULL ORDER BY bead_id LIMIT 1`)
	rig := one(`SELECT rig_id FROM beads WHERE bead_id = ?`, bead)
	tests := []struct {
		name    string
		e       model.AnalyticsEvent
		fires   bool
		finding bool
	}{
		{"the bead's rig", model.AnalyticsEvent{Event: "pr.poll_failed", BeadID: bead, RigID: rig}, false, false},
		{"no bead", model.AnalyticsEvent{Event: "agent.exited", RigID: "elsewhere"}, false, false},
		{"a bead that is gone", model.AnalyticsEvent{Event: "pr.poll_failed", BeadID: "no-such-bead"}, false, false},
		{"no rig", model.AnalyticsEvent{Event: "pr.poll_failed", BeadID: bead}, true, false},
		{"another rig", model.AnalyticsEvent{Event: "pr.poll_failed", BeadID: bead, RigID: "another"}, true, false},
		{"an approval wait without a rig", model.AnalyticsEvent{Event: "pr.awaiting_approval_detected", BeadID: bead}, true, true},
		{"an approval wait on another rig", model.AnalyticsEvent{Event: "pr.awaiting_approval_resolved", BeadID: bead, RigID: "x"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.failures, c.seen = nil, map[string]bool{}
			before := c.accepted["awaiting-approval-without-rig"]
			p := propByName(t, PropAnalyticsRig).(*analyticsRigProp)
			p.analytics(c, tt.e, c.world)
			p.everyTick(c, &sim.TickRecord{At: c.now}, c.world)
			explained := c.accepted["awaiting-approval-without-rig"] > before
			fired := len(c.failures) == 1 && c.failures[0].Property == PropAnalyticsRig || explained
			if fired != tt.fires || explained != tt.finding || len(c.failures) > 1 {
				t.Errorf("fired %v (explained %v), want %v (%v); failures %v", fired, explained, tt.fires, tt.finding, c.failures)
			}
		})
	}
}
