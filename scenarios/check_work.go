package scenarios

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// The properties added for the families of misbehaviour that reached
// production: completed work redone, the wrong role started on a bead,
// two agents hooked to one bead, events left waiting, a bead dispatched
// without end over its life, slow and chatty ticks.

// peaker reports the highest figure a bound property measured in the run
// (Report.Peaks), so a bound's margin is visible: seconds for a duration,
// a count, or for sql-statements-per-tick the highest fraction of its
// bound a tick used.
type peaker interface{ peak() float64 }

// completedNotRedoneProp: an issue once seen closed is never dispatched
// again nor moved back to work. It reads the beads' rows between ticks
// and the dispatch and transition actions.
type completedNotRedoneProp struct {
	closed map[string]time.Time // issue → first tick it was seen closed
	since  string               // updated_at of the last sweep
}

func (p *completedNotRedoneProp) action(c *checker, a reconciler.Action, t *tickView) {
	at, ok := p.closed[a.BeadID]
	if !ok {
		return
	}
	switch {
	case a.Type == reconciler.DispatchAgent:
		c.add(Violation{Property: PropCompletedNotRedone, At: c.now, Tick: c.ticks, Entity: a.BeadID, Rule: a.Rule,
			Detail: fmt.Sprintf("rule %s dispatched issue %s, closed since %s", a.Rule, short(a.BeadID), at.Format(time.RFC3339))})
	case a.Type == reconciler.TransitionBead && a.To != model.StatusClosed:
		c.add(Violation{Property: PropCompletedNotRedone, At: c.now, Tick: c.ticks, Entity: a.BeadID, Rule: a.Rule,
			Detail: fmt.Sprintf("rule %s moved issue %s, closed since %s, to %s", a.Rule, short(a.BeadID), at.Format(time.RFC3339), a.To)})
	}
}

func (p *completedNotRedoneProp) tick(c *checker, t *tickView) {
	ids, _ := t.db.Strings(`SELECT bead_id FROM beads WHERE type = 'issue' AND status = 'closed' AND updated_at >= ?`, p.since)
	for _, id := range ids {
		if _, ok := p.closed[id]; !ok {
			p.closed[id] = c.now
		}
	}
	p.since = model.ISO(c.now.Add(-time.Minute))
}

func (p *completedNotRedoneProp) unjudged(*checker) string {
	if len(p.closed) == 0 {
		return "no issue was closed"
	}
	return ""
}

// roleMatchesProp: the container is asked to start the role the bead
// needs: a refinery for a merge request, a lightweight triage start for
// the triage batch, a polecat for any other issue. It reads the start
// call (the world's record of what was asked) and the bead's row.
type roleMatchesProp struct{ starts int }

func (p *roleMatchesProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind != model.CallStartAgent || call.BeadID == "" || call.Role == model.RoleMayor {
		return
	}
	db := c.world.Town().DB()
	var typ, labels string
	if s, _ := db.Strings(`SELECT type || char(9) || labels FROM beads WHERE bead_id = ?`, call.BeadID); len(s) == 1 {
		typ, labels, _ = strings.Cut(s[0], "\t")
	} else {
		return // deleted under the start
	}
	p.starts++
	// The labels are tested here, not in the query: a LIKE beside a bound
	// text sends the query down the model's slow exact-plan path.
	triage := hasAnyLabel(labels, model.LabelTriage)
	want, got := model.RolePolecat, call.Role
	switch {
	case typ == "merge_request":
		want = model.RoleRefinery
	case triage:
		want, got = "triage (lightweight)", fmt.Sprintf("%s (lightweight %v)", call.Role, call.Lightweight)
		if call.Lightweight {
			got = want
		}
	case call.Lightweight:
		got = call.Role + " (lightweight)"
	}
	if got != want {
		c.add(Violation{Property: PropRoleMatchesBead, At: now, Tick: c.ticks, Entity: call.BeadID,
			Detail: fmt.Sprintf("agent %s started as %s on %s %s, which needs %s", short(call.AgentID), got, typ, short(call.BeadID), want)})
	}
}

func (p *roleMatchesProp) unjudged(*checker) string {
	if p.starts == 0 {
		return "no agent was started on a bead"
	}
	return ""
}

// oneHookPerBeadProp: at most one agent is hooked to a bead (graced).
type oneHookPerBeadProp struct{}

func (oneHookPerBeadProp) tick(c *checker, t *tickView) {
	for _, pr := range c.pairs(t.db, `SELECT current_hook_bead_id, group_concat(bead_id, ',') FROM agent_metadata
		WHERE current_hook_bead_id IS NOT NULL GROUP BY current_hook_bead_id HAVING count(*) > 1 ORDER BY 1`) {
		c.graced(PropOneHookPerBead, pr[0], fmt.Sprintf("bead %s is the hook of agents %s", short(pr[0]), pr[1]), t.holds)
	}
}

// eventAgeProp: past the heal time and its grace, no unprocessed event is
// older than the bound (age, not only depth). It reads town_events.
type eventAgeProp struct {
	most   time.Duration
	judged bool
}

func (p *eventAgeProp) tick(c *checker, t *tickView) {
	if c.now.Before(c.healAt.Add(c.b.Grace)) {
		return
	}
	p.judged = true
	s, _ := t.db.Strings(`SELECT COALESCE(min(created_at), '') FROM town_events WHERE processed_at IS NULL`)
	if len(s) == 0 || s[0] == "" {
		return
	}
	at, ok := model.ParseTime(s[0])
	if !ok {
		return
	}
	if age := c.now.Sub(at); age > p.most {
		p.most = age
	}
	if age := c.now.Sub(at); age > c.b.EventAge && !at.Before(c.healAt) {
		c.violation(PropEventAge, "", "an event created at %s is still unprocessed %s later (bound %s)",
			at.Format(time.RFC3339), age.Truncate(time.Second), c.b.EventAge)
	}
}

func (p *eventAgeProp) unjudged(*checker) string {
	if !p.judged {
		return "the run ended before heal + grace"
	}
	return ""
}

func (p *eventAgeProp) peak() float64 { return p.most.Seconds() }

// lifeDispatchesProp bounds the dispatches of one bead over its whole
// life (the per-hour bound misses a slow, endless retry).
type lifeDispatchesProp struct {
	n    map[string]int
	most int
}

func (p *lifeDispatchesProp) action(c *checker, a reconciler.Action, t *tickView) {
	if a.Type != reconciler.DispatchAgent {
		return
	}
	p.n[a.BeadID]++
	p.most = max(p.most, p.n[a.BeadID])
	if n := p.n[a.BeadID]; n > c.b.DispatchesPerBead {
		c.violation(PropLifeDispatches, a.BeadID, "bead %s dispatched %d times (bound %d over its life)", short(a.BeadID), n, c.b.DispatchesPerBead)
	}
}

func (p *lifeDispatchesProp) unjudged(*checker) string {
	if len(p.n) == 0 {
		return "no dispatch in the run"
	}
	return ""
}

func (p *lifeDispatchesProp) peak() float64 { return float64(p.most) }

// tickLatencyProp: the simulated duration of each tick (its awaits take
// the world's call latencies) stays within the bound, against
// production's 5 s cadence. It reads the world's tick record.
type tickLatencyProp struct{ most time.Duration }

func (p *tickLatencyProp) everyTick(c *checker, rec *sim.TickRecord, w *sim.World) {
	d := rec.End.Sub(rec.At)
	p.most = max(p.most, d)
	if d > c.b.TickLatency {
		c.violation(PropTickLatency, fmt.Sprint("tick ", c.ticks), "the tick at %s took %s of simulated time (bound %s)",
			rec.At.Format(time.RFC3339), d.Truncate(time.Millisecond), c.b.TickLatency)
	}
}

func (p *tickLatencyProp) peak() float64 { return p.most.Seconds() }

// statementsPerTickProp: a tick's own SQL statements stay within a bound
// of the fleet and the backlog: statements_per_tick + statements_per_unit
// × (agents + non-terminal beads). It reads the world's count of the
// tick's statements and the rows.
type statementsPerTickProp struct{ most float64 }

func (p *statementsPerTickProp) tick(c *checker, t *tickView) {
	units, _ := t.db.Int(`SELECT (SELECT count(*) FROM agent_metadata) + (SELECT count(*) FROM beads
		WHERE type != 'agent' AND status NOT IN ('closed', 'failed'))`)
	n := t.rec.Cost.Statements
	bound := int64(c.b.StatementsPerTick + c.b.StatementsPerUnit*units)
	p.most = max(p.most, float64(n)/float64(bound))
	if n > bound {
		c.violation(PropStatementsPerTick, fmt.Sprint("tick ", c.ticks), "a tick ran %d SQL statements with %d agents and open beads (bound %d)",
			n, units, bound)
	}
}

func (p *statementsPerTickProp) peak() float64 { return p.most }

// githubCallsProp bounds the Town's GitHub status and feedback calls per
// PR per simulated hour (production polls a PR every 60 s).
type githubCallsProp struct {
	calls map[[2]any]int // (PR URL, hour) → calls
	most  int
}

func (p *githubCallsProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind != model.CallPRStatus && call.Kind != model.CallPRFeedback {
		return
	}
	k := [2]any{call.URL, hourOf(c.start, now)}
	p.calls[k]++
	p.most = max(p.most, p.calls[k])
	if n := p.calls[k]; n > c.b.GitHubCallsPerPRHour {
		c.violation(PropGitHubCalls, call.URL, "%d GitHub status and feedback calls for PR %s in simulated hour %d (bound %d)",
			n, call.URL, k[1], c.b.GitHubCallsPerPRHour)
	}
}

func (p *githubCallsProp) unjudged(*checker) string {
	if len(p.calls) == 0 {
		return "no GitHub status or feedback call"
	}
	return ""
}

func (p *githubCallsProp) peak() float64 { return float64(p.most) }

// failedWithCauseProp: every issue or merge request that ended failed was
// failed for a cause production names — a failure_reason on its
// status_changed event to failed (attempts exhausted, review failed, ...)
// or a failureReason in the bead's metadata (a failed PR poll, §3.3) — or
// by its user (the world's cancellation), or, for a merge request, its PR
// was closed without a merge in the world (production writes that cause,
// "PR closed without merge", on the source's review_completed event only),
// or its review was completed as failed with a message on the source's
// review_completed event at the moment it failed (a refinery's gt_done
// after hook loss: its summary or production's default text).
type failedWithCauseProp struct{ failed int }

func (p *failedWithCauseProp) end(c *checker, w *sim.World, db *model.DB) {
	byUser := map[string]bool{}
	for _, is := range w.Issues() {
		byUser[is.ID] = is.Cancelled == model.StatusFailed
	}
	reviewed := reviewFailedWithMessage(c, db)
	for _, pr := range c.pairs(db, `SELECT b.bead_id, COALESCE((SELECT e.agent_id || ' ' || e.metadata FROM bead_events e
			WHERE e.bead_id = b.bead_id AND e.event_type = 'status_changed' AND e.new_value = 'failed'
			ORDER BY e.created_at DESC LIMIT 1), '') || ' bead ' || COALESCE(b.metadata, '') FROM beads b
		WHERE b.type IN ('issue', 'merge_request') AND b.status = 'failed' ORDER BY b.bead_id`) {
		p.failed++
		if byUser[pr[0]] || strings.Contains(pr[1], `"failure_reason"`) || strings.Contains(pr[1], `"failureReason"`) ||
			w.PRClosed(metaPRURL(pr[1])) || reviewed[pr[0]] {
			continue
		}
		c.violation(PropFailedWithCause, pr[0], "bead %s failed with no cause production names (last event to failed, and metadata: %q)",
			short(pr[0]), pr[1])
	}
}

func (p *failedWithCauseProp) unjudged(*checker) string {
	if p.failed == 0 {
		return "no issue or merge request failed"
	}
	return ""
}

// mrFateProp: once a PR's fate is known — a status answer says it is
// merged or closed, or a merge call succeeded — its merge request is
// closed or failed within mr_terminal. An MR still open past the bound is
// excused only while the Town's polls of its PR keep failing: it fails
// when at least two later status answers came back, or when the Town
// stopped polling it altogether.
type mrFateProp struct {
	fate     map[string]time.Time // PR URL → when its fate was first known
	answers  map[string]int       // PR URL → successful status answers since
	attempts map[string]int       // PR URL → status calls since
	world    map[string]bool      // PR URL → its fate came from the world's GitHub (true) / judged (false)
	ran      map[string]int       // PR URL → ticks that got past T1 since its fate
	judged   int
}

func (p *mrFateProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	_, known := p.fate[call.URL]
	if call.Kind == model.CallPRStatus && known {
		p.attempts[call.URL]++
		if r.PR.OK {
			p.answers[call.URL]++
		}
		return
	}
	if (call.Kind == model.CallMergePR && r.OK) ||
		(call.Kind == model.CallPRStatus && r.PR.OK && (r.PR.State == "merged" || r.PR.State == "closed")) {
		p.fate[call.URL] = now
	}
}

func (p *mrFateProp) tick(c *checker, t *tickView) {
	// The world's GitHub knows a PR's fate even when the Town never asks:
	// a Town that stopped polling its in-progress MRs is caught too.
	for _, pr := range t.w.PRs() {
		if _, seen := p.world[pr.URL]; seen || pr.State == "open" {
			continue
		}
		p.world[pr.URL] = true
		if _, known := p.fate[pr.URL]; !known {
			p.fate[pr.URL] = c.now
			p.attempts[pr.URL], p.answers[pr.URL] = 0, 0
		}
	}
	for _, url := range slices.Sorted(maps.Keys(p.fate)) {
		if t.res != nil && t.res.Ran {
			p.ran[url]++
		}
		if p.world[url] && p.attempts[url] == 0 {
			// RQ-1 polls in-progress MRs only: the clock of a fate only the
			// world knows starts when the MR is under review.
			n, _ := t.db.Int(`SELECT count(*) FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
				WHERE r.pr_url = ? AND b.type = 'merge_request' AND b.status = 'in_progress'`, url)
			if n == 0 {
				p.fate[url], p.ran[url] = c.now, 0
				continue
			}
		}
		at := p.fate[url]
		if c.now.Sub(at) <= c.b.MRTerminal {
			continue
		}
		p.judged++
		answers, attempts := p.answers[url], p.attempts[url]
		fromWorld, ran := p.world[url], p.ran[url]
		delete(p.fate, url)
		delete(p.ran, url)
		p.world[url] = false
		if fromWorld && attempts == 0 && ran < mrFateMinTicks {
			continue // the Town hardly ticked (a tick awaiting a call production sends without timeout)
		}
		if attempts > 0 && answers < 2 {
			continue // the polls keep failing: an outage, not the Town
		}
		st, _ := t.db.Strings(`SELECT b.bead_id || ' ' || b.status FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
			WHERE r.pr_url = ? AND b.type = 'merge_request' ORDER BY b.bead_id`, url)
		for _, s := range st {
			id, status, _ := strings.Cut(s, " ")
			if status != model.StatusClosed && status != model.StatusFailed {
				c.violation(PropMRFate, id, "merge request %s is still %s %s after its PR %s was known merged or closed (%d of %d status calls answered since; bound %s)",
					short(id), status, c.now.Sub(at).Truncate(time.Second), url, answers, attempts, c.b.MRTerminal)
			}
		}
	}
}

// mrFateMinTicks: a PR whose fate only the world knows is judged when
// the Town ran at least this many ticks in the bound (production ticks
// every 5 s while a review is in progress: 120 in 10 minutes; RQ-1 polls
// once a minute).
const mrFateMinTicks = 10

func (p *mrFateProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no PR's fate was known mr_terminal before the end"
	}
	return ""
}

// activeCadenceProp: the other way of the cadence — while the world shows
// a live process that runs and reports (a heartbeat within a minute,
// which production turns into a working agent), the next tick fires
// within active_gap of the last one's end (production: 5 s).
type activeCadenceProp struct {
	busyEnd time.Time // end of the last tick that ended with the world busy (zero: not busy)
	judged  int
	most    time.Duration
}

func (p *activeCadenceProp) tick(c *checker, t *tickView) {
	if !p.busyEnd.IsZero() && !t.rec.At.Before(c.healAt) {
		p.judged++
		gap := t.rec.At.Sub(p.busyEnd)
		p.most = max(p.most, gap)
		if gap > c.b.ActiveGap {
			c.violation(PropActiveCadence, t.rec.At.Format(time.RFC3339), "no tick for %s after a tick that ended at %s with a live, reporting process (bound %s)",
				gap.Truncate(time.Second), p.busyEnd.Format(time.RFC3339), c.b.ActiveGap)
		}
	}
	p.busyEnd = time.Time{}
	for _, pv := range t.procs {
		if pv.Live && pv.State == "running" && !pv.Draining && !pv.LastHeartbeat.IsZero() && c.now.Sub(pv.LastHeartbeat) <= time.Minute {
			p.busyEnd = t.rec.End
			break
		}
	}
}

func (p *activeCadenceProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "the world never had a live, reporting process after the heal"
	}
	return ""
}

func (p *activeCadenceProp) peak() float64 { return p.most.Seconds() }

// metaPRURL is the pr_url of the bead metadata that ends text ("" if none).
func metaPRURL(text string) string {
	i := strings.LastIndex(text, " bead ")
	if i < 0 {
		return ""
	}
	var m struct {
		PRURL string `json:"pr_url"`
	}
	if json.Unmarshal([]byte(text[i+len(" bead "):]), &m) != nil {
		return ""
	}
	return m.PRURL
}
