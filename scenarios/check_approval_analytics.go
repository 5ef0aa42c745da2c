package scenarios

import (
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropApprovalWaitPaired names approvalWaitPairedProp.
const PropApprovalWaitPaired = "safety/approval-wait-analytics-paired"

// approvalWaitPairedProp: the approval-wait analytics of a merge request
// mark the edges of its wait, never its steady state (reconciler.md §3.3
// step 9: "detected" when a poll first finds the PR awaiting approval,
// "resolved" when a poll first finds it no longer awaiting). So per bead
// the data points alternate and start with a detection: no "resolved"
// without a "detected" before it since the last "resolved", no second
// "detected" before a "resolved". A fault of the Town's own code or a
// Town restart before the data point excuses it (production writes the
// state and the data point without a transaction). It reads the Town's
// analytics data points (event name, bead) as the world's sink receives
// them.
type approvalWaitPairedProp struct {
	last   map[string]string // bead → the last approval data point's event
	judged int
}

// The approval-wait analytics events.
const (
	approvalDetected = "pr.awaiting_approval_detected"
	approvalResolved = "pr.awaiting_approval_resolved"
)

func (p *approvalWaitPairedProp) analytics(c *checker, e model.AnalyticsEvent, w *sim.World) {
	if e.Event != approvalDetected && e.Event != approvalResolved {
		return
	}
	if p.last == nil {
		p.last = map[string]string{}
	}
	prev := p.last[e.BeadID]
	p.last[e.BeadID] = e.Event
	p.judged++
	var bad string
	switch {
	case e.Event == approvalResolved && prev != approvalDetected:
		bad = "with no detection of the wait before it"
	case e.Event == approvalDetected && prev == approvalDetected:
		bad = "while the previous detection was never resolved"
	}
	if bad == "" {
		return
	}
	at := c.now
	if w != nil {
		at = w.Now()
	}
	if c.causeExcuses()(at) {
		return
	}
	c.violation(PropApprovalWaitPaired, e.BeadID, "merge request %s: analytics %s %s", short(e.BeadID), e.Event, bad)
}

func (p *approvalWaitPairedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no approval-wait analytics"
	}
	return ""
}
