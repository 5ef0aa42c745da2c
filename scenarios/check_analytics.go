package scenarios

import (
	"strings"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropAnalyticsRig names the rig of analytics data points about beads.
const PropAnalyticsRig = "safety/analytics-carry-bead-rig"

// analyst sees every analytics data point the Town writes.
type analyst interface {
	analytics(c *checker, e model.AnalyticsEvent, w *sim.World)
}

// onAnalytics feeds an analytics data point to the properties that read
// them.
func (c *checker) onAnalytics(e model.AnalyticsEvent, w *sim.World) {
	for _, p := range c.props {
		if h, ok := p.(analyst); ok {
			h.analytics(c, e, w)
		}
	}
}

// analyticsRigProp: every analytics data point about a bead carries that
// bead's rig (reconciler.md §5.2: blob7 is the rig id, blob9 the bead id;
// production's dashboards group a town's beads by rig): its rig id is the
// rig_id of the bead's row, "" for a bead without a rig. The data points
// are judged at the end of the tick that wrote them (a bead deleted by
// then is skipped).
type analyticsRigProp struct {
	pending []model.AnalyticsEvent
	judged  int
}

func (p *analyticsRigProp) analytics(_ *checker, e model.AnalyticsEvent, _ *sim.World) {
	if e.BeadID != "" {
		p.pending = append(p.pending, e)
	}
}

func (p *analyticsRigProp) everyTick(c *checker, _ *sim.TickRecord, w *sim.World) {
	if len(p.pending) == 0 {
		return
	}
	if !w.DestroyedAt().IsZero() {
		p.pending = p.pending[:0]
		return
	}
	db := w.Town().DB()
	for _, e := range p.pending {
		rows := c.pairs(db, `SELECT bead_id, COALESCE(rig_id, '') FROM beads WHERE bead_id = ?`, e.BeadID)
		if len(rows) == 0 {
			continue
		}
		p.judged++
		if e.RigID != rows[0][1] {
			c.violation(PropAnalyticsRig, e.Event, "the %s data point about bead %s carries rig %q; the bead's rig is %q",
				e.Event, short(e.BeadID), e.RigID, rows[0][1])
		}
	}
	p.pending = p.pending[:0]
}

func (p *analyticsRigProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no analytics data point named a bead"
	}
	return ""
}

// awaitingApprovalWithoutRig is the finding for the PR approval data
// points: production writes them with the bead and no rig.
func awaitingApprovalWithoutRig() Finding {
	return Finding{
		ID: "awaiting-approval-without-rig", Property: PropAnalyticsRig,
		Reason: "the PR poll's approval-wait data points (pr.awaiting_approval_detected, pr.awaiting_approval_resolved) " +
			"are written with the town, the bead and the PR but no rigId, unlike pr.poll_failed, which reads the MR's rig " +
			"first: a dashboard grouping by rig loses them",
		Spec:      "reconciler.md §5.2 (analytics data points), §3.3 poll_pr",
		Condition: `the data point is pr.awaiting_approval_detected or pr.awaiting_approval_resolved and carries no rig ("")`,
		applies: func(v Violation, _ *checker) bool {
			return (v.Entity == "pr.awaiting_approval_detected" || v.Entity == "pr.awaiting_approval_resolved") &&
				strings.Contains(v.Detail, `carries rig ""`)
		},
	}
}
