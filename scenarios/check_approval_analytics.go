package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropApprovalWaitPaired names approvalWaitPairedProp.
const PropApprovalWaitPaired = "safety/approval-wait-analytics-paired"

// approvalWaitPairedProp: the approval-wait analytics of a merge request
// mark the edges of its wait, never its steady state, and measure it
// (reconciler.md §3.3 step 9: "detected" when a poll first finds the PR
// awaiting approval, "resolved" when a poll first finds it no longer
// awaiting). So per bead:
//
//   - the data points alternate and start with a detection: no "resolved"
//     without a "detected" before it since the last "resolved", no second
//     "detected" before a "resolved";
//   - a detection's duration is the merge request's age when it was
//     written (now − the MR's created_at, within a second);
//   - a resolution's duration is positive (the wait was last observed at
//     an earlier poll) and no longer than the time since its detection
//     (plus a second).
//
// A fault of the Town's own code or a Town restart before the data point
// excuses it (production writes the state, the stamp and the data point
// without a transaction). It reads the Town's analytics data points
// (event, bead, duration) as the world's sink receives them, the time
// each arrived, and rows: the MR's created_at (at the end of that tick).
type approvalWaitPairedProp struct {
	last     map[string]string    // bead → the last approval data point's event
	detected map[string]time.Time // bead → when its open detection arrived
	pending  []approvalPoint      // detections of this tick, judged at its end
	judged   int
}

// approvalPoint is a detection data point and when it arrived.
type approvalPoint struct {
	e  model.AnalyticsEvent
	at time.Time
}

// The approval-wait analytics events.
const (
	approvalDetected = "pr.awaiting_approval_detected"
	approvalResolved = "pr.awaiting_approval_resolved"
)

// approvalSlack is the tolerance of the durations: ISO stamps keep whole
// milliseconds, and a poll's effect runs after the tick's start.
const approvalSlack = time.Second

func (p *approvalWaitPairedProp) analytics(c *checker, e model.AnalyticsEvent, w *sim.World) {
	if e.Event != approvalDetected && e.Event != approvalResolved {
		return
	}
	if p.last == nil {
		p.last, p.detected = map[string]string{}, map[string]time.Time{}
	}
	at := c.now
	if w != nil {
		at = w.Now()
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
	case e.Event == approvalResolved:
		since := at.Sub(p.detected[e.BeadID])
		d := time.Duration(e.DurationMs) * time.Millisecond
		if d <= 0 || d > since+approvalSlack {
			bad = "measures the wait as " + d.String() + ", not a positive time within the " + since.String() + " since its detection"
		}
	}
	if e.Event == approvalDetected {
		p.detected[e.BeadID] = at
		p.pending = append(p.pending, approvalPoint{e: e, at: at})
	}
	if bad != "" && !c.causeExcuses()(at) {
		c.violation(PropApprovalWaitPaired, e.BeadID, "merge request %s: analytics %s %s", short(e.BeadID), e.Event, bad)
	}
}

func (p *approvalWaitPairedProp) everyTick(c *checker, _ *sim.TickRecord, w *sim.World) {
	if len(p.pending) == 0 {
		return
	}
	if !w.DestroyedAt().IsZero() {
		p.pending = p.pending[:0]
		return
	}
	p.judgeAges(c, w.Town().DB())
}

// judgeAges checks each pending detection's duration against the MR's
// age when it arrived.
func (p *approvalWaitPairedProp) judgeAges(c *checker, db *model.DB) {
	for _, pt := range p.pending {
		rows := c.pairs(db, `SELECT bead_id, created_at FROM beads WHERE bead_id = ?`, pt.e.BeadID)
		if len(rows) == 0 {
			continue
		}
		created, ok := model.ParseTime(rows[0][1])
		if !ok {
			continue
		}
		age := pt.at.Sub(created)
		d := time.Duration(pt.e.DurationMs) * time.Millisecond
		if (d-age).Abs() > approvalSlack && !c.causeExcuses()(pt.at) {
			c.violation(PropApprovalWaitPaired, pt.e.BeadID+" age", "merge request %s: analytics %s measures %s, but the merge request was %s old",
				short(pt.e.BeadID), pt.e.Event, d, age.Round(time.Millisecond))
		}
	}
	p.pending = p.pending[:0]
}

// end judges the wait's stamp as the run leaves it (reconciler.md §3.3
// step 9): a merge request a poll last found awaiting approval carries
// awaiting_approval_observed_at, and one a poll found no longer awaiting
// carries none (the stamp is removed with the wait). A run with a fault
// of the Town's own code or a Town restart is not judged: production
// writes the flag and the stamp without a transaction.
func (p *approvalWaitPairedProp) end(c *checker, w *sim.World, db *model.DB) {
	if c.causeExcuses()(c.now) {
		return
	}
	for _, pr := range c.pairs(db, `SELECT bead_id, json_extract(metadata, '$.awaiting_approval')
		FROM beads WHERE type = 'merge_request' AND json_type(metadata, '$.awaiting_approval') IS NOT NULL
		  AND (json_extract(metadata, '$.awaiting_approval') = 1) != (json_type(metadata, '$.awaiting_approval_observed_at') IS NOT NULL)
		ORDER BY bead_id`) {
		p.judged++
		what := "was last found awaiting approval but carries no awaiting_approval_observed_at"
		if pr[1] != "1" {
			what = "was last found no longer awaiting approval but still carries awaiting_approval_observed_at"
		}
		c.violation(PropApprovalWaitPaired, pr[0]+" stamp", "merge request %s %s", short(pr[0]), what)
	}
}

func (p *approvalWaitPairedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no approval-wait analytics"
	}
	return ""
}
