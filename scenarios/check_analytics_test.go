package scenarios

import (
	"testing"
	"time"

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

// approval-wait-analytics-paired fires at the end on a merge request whose
// wait stamp disagrees with its awaiting flag, and not on one that agrees
// or was never asked about approval.
func TestApprovalWaitStampFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	mr := one(`SELECT bead_id FROM beads WHERE type = 'merge_request' ORDER BY bead_id LIMIT 1`)
	for _, tc := range []struct {
		name, meta string
		fires      bool
	}{
		{"awaiting, with its stamp", `{"awaiting_approval":1,"awaiting_approval_observed_at":"2026-01-01T00:00:00.000Z"}`, false},
		{"no longer awaiting, stamp removed", `{"awaiting_approval":0}`, false},
		{"never asked", `{}`, false},
		{"no longer awaiting, stamp left", `{"awaiting_approval":0,"awaiting_approval_observed_at":"2026-01-01T00:00:00.000Z"}`, true},
		{"awaiting without a stamp", `{"awaiting_approval":1}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures, c.seen = nil, map[string]bool{}
			exec(`UPDATE beads SET metadata = ? WHERE type = 'merge_request'`, `{}`)
			exec(`UPDATE beads SET metadata = ? WHERE bead_id = ?`, tc.meta, mr)
			p := propByName(t, PropApprovalWaitPaired).(*approvalWaitPairedProp)
			p.end(c, c.world, db)
			wantFired(t, c, PropApprovalWaitPaired, tc.fires)
		})
	}
}
