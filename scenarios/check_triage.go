package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
)

// PropTriageServed is the name of triageServedProp.
const PropTriageServed = "liveness/triage-requests-served"

// triageServeBound is how long open triage requests may wait, with no live
// triage process in the world, for the Town to ask the container for a
// triage start: T15 creates and starts a batch on any tick with pending
// requests and no batch open or in progress (a failed one holds it 30 s);
// a batch whose agent died is reset by BD-3 after 5 min and dispatched
// again by BD-1 within its cooldowns (30 s to 10 min).
const triageServeBound = 20 * time.Minute

// triageServedProp: while a triage request is open and the world runs no
// live process on a triage batch, the Town asks the container for a
// lightweight (triage) start within triageServeBound (reconciler.md T15,
// model.md §4.21; PR #2321: a batch left open by BD-3's reset must be
// dispatchable again, or the open batch blocks every new one and triage
// stops for good). A start call (answered or not), a live triage process,
// no open request, or a breaker-open or draining tick (BD-1 holds its
// dispatches) restarts the clock, and so does a batch process whose stop
// hangs in the container (world state stopping, fault stop_ignored): the
// Town then waits for AG-2 to idle the stalled agent (2.5 h after the
// force stop), a bound liveness/stalled-agent-idled judges. It reads the rows (open triage requests,
// the patrol's triage batches), the world's processes and the Town's
// lightweight start calls.
type triageServedProp struct {
	since  time.Time // when the current wait began (zero: none)
	judged int
}

func (p *triageServedProp) call(c *checker, call model.Call, _ model.Result, now time.Time) {
	if call.Kind == model.CallStartAgent && call.Lightweight {
		p.since = time.Time{}
		p.judged++
	}
}

func (p *triageServedProp) tick(c *checker, t *tickView) {
	open, err := t.db.Int(`SELECT count(*) FROM beads WHERE type = 'issue' AND status = 'open' AND labels LIKE ?`,
		`%"`+model.LabelTriageRequest+`"%`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	batches, err := t.db.Strings(`SELECT bead_id FROM beads WHERE created_by = 'patrol' AND labels LIKE ?`,
		`%"`+model.LabelTriage+`"%`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	isBatch := map[string]bool{}
	for _, b := range batches {
		isBatch[b] = true
	}
	live := false
	for _, pv := range t.procs {
		live = live || ((pv.Live || pv.State == "stopping") && isBatch[pv.BeadID])
	}
	paused := c.breakerOpen || (t.res != nil && t.res.Draining)
	if open == 0 || live || paused {
		p.since = time.Time{}
		return
	}
	if p.since.IsZero() {
		p.since = c.now
		return
	}
	if c.now.Sub(p.since) > triageServeBound {
		c.violation(PropTriageServed, "triage", "%d triage requests open for %s with no live triage process and no triage start asked for",
			open, c.now.Sub(p.since).Round(time.Second))
	}
}

func (p *triageServedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no triage start was asked for"
	}
	return ""
}
