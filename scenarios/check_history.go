package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// The properties written for the survivors of production's own bugs
// (mutate/historical.yaml, docs/properties.md "Production's own bugs").
// Each states what the specification requires, judged from the world's
// facts or the rows, never from the port's computation of the thing.
const (
	PropDirtyNotMerged    = "safety/no-merge-call-on-conflicting-pr"
	PropGUPPAfterDispatch = "bounds/gupp-waits-after-dispatch"
	PropConvoyFailsLast   = "safety/convoy-fails-only-when-landing-exhausted"
	PropFollowUpNotReview = "safety/follow-up-beads-never-reviewed"
	PropReviewOffQueue    = "liveness/review-off-mr-leaves-queue"
	PropLandingSuppressed = "safety/no-landing-respawn-awaiting-approval"
	PropGUPPSparesMayor   = "safety/gupp-spares-the-mayor"
	PropOpenIssueCadence  = "bounds/open-issue-ticks-at-active-cadence"
)

// guppFirstTier is GUPP's first tier (warn after 15 min without SDK
// activity, reconciler.md §2.5); guppTolerance covers the time between
// the dispatch's write and its start call reaching the world (same tick).
const (
	guppFirstTier = 15 * time.Minute
	guppTolerance = time.Minute
)

// dirtyNotMergedProp: no merge call for a PR sooner than the auto-merge
// delay after a status answer said it conflicts (mergeable_state dirty).
// Production resets the PR's auto-merge timer on every dirty poll and
// returns (reconciler.md §3.3), so the grace period restarts at the first
// clean answer after the conflict: a merge call needs the delay after the
// last dirty answer. It reads the Town's PR status answers and merge
// calls (the world's record) and the scenario's auto-merge delay.
type dirtyNotMergedProp struct {
	dirty  map[string]time.Time // PR URL → the last dirty status answer
	judged int
}

func (p *dirtyNotMergedProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	switch call.Kind {
	case model.CallPRStatus:
		if r.Err == "" && r.PR.OK && r.PR.State == "open" && r.PR.MergeableState == "dirty" {
			if p.dirty == nil {
				p.dirty = map[string]time.Time{}
			}
			p.dirty[call.URL] = now
		}
	case model.CallMergePR:
		at, ok := p.dirty[call.URL]
		if !ok {
			return
		}
		p.judged++
		if delay := c.cfg.Town.AutoMergeDelay; now.Sub(at) < delay {
			c.add(Violation{Property: PropDirtyNotMerged, At: now, Tick: c.ticks, Entity: call.URL,
				Detail: fmt.Sprintf("merge call for PR %s %s after a status answer said it conflicts (dirty); the auto-merge delay is %s",
					call.URL, now.Sub(at).Truncate(time.Second), delay)})
		}
	}
}

func (p *dirtyNotMergedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge call for a PR that had conflicted"
	}
	return ""
}

// guppAfterDispatchProp: GUPP (warn, escalate, force stop) never acts on
// an agent within its first tier (15 min) of the agent's latest dispatch
// start: production measures GUPP from the agent's last SDK event or, when
// none since the dispatch, its last activity, and a dispatch clears the
// event and stamps the activity (reconciler.md §2.5, §3.2). It reads the
// Town's start calls (non-lightweight: a triage start does not reset the
// clock) and the world's process of the agent, which must be the one that
// start created; a stale heartbeat of a previous container instance (the
// stale_heartbeat fault) excuses it.
type guppAfterDispatchProp struct {
	start  map[string]time.Time // agent → its latest non-lightweight start call
	judged int
}

func (p *guppAfterDispatchProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind != model.CallStartAgent || call.AgentID == "" {
		return
	}
	if p.start == nil {
		p.start = map[string]time.Time{}
	}
	if call.Lightweight {
		delete(p.start, call.AgentID)
		return
	}
	p.start[call.AgentID] = now
}

func (p *guppAfterDispatchProp) action(c *checker, a reconciler.Action, t *tickView) {
	if !strings.HasPrefix(a.Rule, "GUPP-") || a.AgentID == "" {
		return
	}
	at, ok := p.start[a.AgentID]
	if !ok {
		return
	}
	pv, live := t.byAgent[a.AgentID]
	if !live || pv.Started.Before(at.Add(-guppTolerance)) || c.faultNear(at, c.now, sim.FaultStaleHeartbeat) {
		return // not the process that start created, or a stale heartbeat may have set the clock back
	}
	p.judged++
	if since := c.now.Sub(at); since < guppFirstTier-guppTolerance {
		c.add(Violation{Property: PropGUPPAfterDispatch, At: c.now, Tick: c.ticks, Entity: a.AgentID, Rule: a.Rule,
			Detail: fmt.Sprintf("rule %s acted on agent %s %s after its dispatch started it (GUPP's first tier is %s)",
				a.Rule, short(a.AgentID), since.Truncate(time.Second), guppFirstTier)})
	}
}

func (p *guppAfterDispatchProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "GUPP never acted on a dispatched agent"
	}
	return ""
}

// convoyFailsLastProp: a convoy is failed only when no merge request
// tracking it (its landing MRs) is open, in progress or merged: CV-7 looks
// at the landing MRs before it counts the attempts (reconciler.md §2.4
// CV-7: a merged landing MR closes the convoy, an active one is waited
// for; only then are exhausted attempts a failure). It reads the rows:
// convoys newly failed, the merge requests tracking them.
type convoyFailsLastProp struct {
	failed map[string]bool
	judged int
}

func (p *convoyFailsLastProp) tick(c *checker, t *tickView) {
	ids, _ := t.db.Strings(`SELECT bead_id FROM beads WHERE type = 'convoy' AND status = 'failed' ORDER BY bead_id`)
	for _, id := range ids {
		if p.failed[id] {
			continue
		}
		if p.failed == nil {
			p.failed = map[string]bool{}
		}
		p.failed[id] = true
		p.judged++
		for _, pr := range c.pairs(t.db, `SELECT mr.bead_id, mr.status FROM bead_dependencies bd
			JOIN beads mr ON mr.bead_id = bd.bead_id
			WHERE bd.depends_on_bead_id = ? AND bd.dependency_type = 'tracks' AND mr.type = 'merge_request'
			  AND mr.status IN ('open', 'in_progress', 'closed') ORDER BY mr.bead_id`, id) {
			c.violation(PropConvoyFailsLast, id, "convoy %s failed while its landing MR %s is %s", short(id), short(pr[0]), pr[1])
			break
		}
	}
}

func (p *convoyFailsLastProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no convoy failed"
	}
	return ""
}

// followUpNotReviewedProp: no merge request is made for a follow-up bead
// — PR feedback, PR conflict, rework or PR fix-up (labels gt:pr-feedback,
// gt:pr-conflict, gt:rework, gt:pr-fixup): gt_done on such a bead closes
// it and unhooks the agent, it never enters the review queue (model.md
// §4.18). It reads the rows: merge requests created since the last tick
// and the labels of the bead each tracks.
type followUpNotReviewedProp struct {
	since  string
	judged int
}

func (p *followUpNotReviewedProp) tick(c *checker, t *tickView) {
	n, _ := t.db.Int(`SELECT count(*) FROM beads WHERE labels LIKE '%"gt:pr-feedback"%' OR labels LIKE '%"gt:pr-conflict"%'
		OR labels LIKE '%"gt:rework"%' OR labels LIKE '%"gt:pr-fixup"%'`)
	if n == 0 {
		p.since = model.ISO(c.now.Add(-time.Minute))
		return
	}
	p.judged++
	// The source's labels are tested here, not by LIKE in the query: a LIKE
	// beside a bound text takes the model's slow exact-plan path.
	for _, pr := range c.pairs(t.db, `SELECT mr.bead_id, src.bead_id || char(9) || src.labels FROM beads mr
		JOIN bead_dependencies bd ON bd.bead_id = mr.bead_id AND bd.dependency_type = 'tracks'
		JOIN beads src ON src.bead_id = bd.depends_on_bead_id
		WHERE mr.type = 'merge_request' AND mr.created_at >= ?
		ORDER BY mr.bead_id`, p.since) {
		src, labels, _ := strings.Cut(pr[1], "\t")
		if !hasAnyLabel(labels, model.LabelPRFeedback, model.LabelPRConflict, model.LabelRework, model.LabelPRFixup) {
			continue
		}
		pr[1] = src
		c.violation(PropFollowUpNotReview, pr[1], "merge request %s was made for follow-up bead %s (feedback, conflict, rework or fix-up)",
			short(pr[0]), short(pr[1]))
	}
	p.since = model.ISO(c.now.Add(-time.Minute))
}

func (p *followUpNotReviewedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no follow-up bead was made"
	}
	return ""
}

// reviewOffQueueProp: in a rig with code review off, an open merge request
// leaves the queue (in progress, closed or failed) within reviewPopBound:
// RQ-FT fast-tracks a PR-backed MR and RQ-OR fails a PR-less one on every
// reconcile, and RQ-5 pops the others (landing and review-and-merge MRs)
// for the rig's refinery (reconciler.md §2.3 groups 2 and 3). The clock
// restarts while the rig is busy — a PR-less review in progress (one at a
// time per rig) or a live refinery process of the world on the rig's work
// — and on a breaker-open or draining tick. It reads the rows (open and
// in-progress MRs, the rig's code_review override; the town's setting,
// from the world's configuration, where a rig has none) and the world's
// processes.
type reviewOffQueueProp struct {
	since  map[string]time.Time // MR → when its wait began
	judged int
}

func (p *reviewOffQueueProp) tick(c *checker, t *tickView) {
	open := c.pairs(t.db, `SELECT b.bead_id, b.rig_id FROM beads b
		WHERE b.type = 'merge_request' AND b.status = 'open' AND `+c.rigReviewOffSQL("b.rig_id")+`
		ORDER BY b.bead_id`)
	if p.since == nil {
		if len(open) == 0 {
			return
		}
		p.since = map[string]time.Time{}
	}
	busy := map[string]bool{}
	for _, pv := range t.procs {
		if pv.Live && pv.Role == model.RoleRefinery {
			if s, _ := t.db.Strings(`SELECT COALESCE(rig_id, '') FROM beads WHERE bead_id = ?`, pv.BeadID); len(s) == 1 {
				busy[s[0]] = true
			}
		}
	}
	reviewing, _ := t.db.Strings(`SELECT DISTINCT b.rig_id FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND b.status = 'in_progress' AND r.pr_url IS NULL AND b.rig_id IS NOT NULL`)
	for _, rig := range reviewing {
		busy[rig] = true
	}
	paused := c.breakerOpen || (t.res != nil && t.res.Draining)
	waiting := map[string]bool{}
	for _, pr := range open {
		mr, rig := pr[0], pr[1]
		waiting[mr] = true
		since, ok := p.since[mr]
		if !ok || paused || busy[rig] {
			p.since[mr] = c.now
			continue
		}
		if c.now.Sub(since) > reviewPopBound {
			p.judged++
			p.since[mr] = c.now
			c.violation(PropReviewOffQueue, mr, "merge request %s of rig %s (code review off) has waited open for %s with the rig free (bound %s)",
				short(mr), short(rig), c.now.Sub(since).Truncate(time.Second), reviewPopBound)
		}
	}
	maps.DeleteFunc(p.since, func(mr string, _ time.Time) bool { // a wait that ended was judged
		if waiting[mr] {
			return false
		}
		p.judged++
		return true
	})
}

func (p *reviewOffQueueProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge request waited in a rig with code review off"
	}
	return ""
}

// landingSuppressedProp: a convoy gets no new landing MR once one of its
// landing MRs failed while its PR awaited a human approval — the last
// feedback answer the Town got for that PR said review required or
// blocked: CV-7 suppresses the respawn (reconciler.md §2.4, CV-7 step 3)
// rather than open one landing PR after another that nobody approves. It
// reads the Town's PR feedback answers (the world's) and the rows:
// system-created merge requests tracking a convoy, their PR URL, status
// and creation time.
type landingSuppressedProp struct {
	awaiting map[string]bool      // PR URL → the last feedback answer awaited approval
	since    map[string]time.Time // convoy → first tick a failed landing MR awaiting approval was seen
	judged   int
}

func (p *landingSuppressedProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind != model.CallPRFeedback || r.Err != "" || r.Feedback == nil {
		return
	}
	if p.awaiting == nil {
		p.awaiting = map[string]bool{}
	}
	p.awaiting[call.URL] = r.Feedback.ReviewDecision == "REVIEW_REQUIRED" || r.Feedback.MergeStateStatus == "BLOCKED"
}

func (p *landingSuppressedProp) tick(c *checker, t *tickView) {
	if len(p.awaiting) == 0 {
		return
	}
	rows, err := t.db.Query(`SELECT bd.depends_on_bead_id, rm.pr_url FROM beads mr
		JOIN bead_dependencies bd ON bd.bead_id = mr.bead_id AND bd.dependency_type = 'tracks'
		JOIN beads cv ON cv.bead_id = bd.depends_on_bead_id AND cv.type = 'convoy'
		JOIN review_metadata rm ON rm.bead_id = mr.bead_id
		WHERE mr.type = 'merge_request' AND mr.status = 'failed' AND mr.created_by = 'system' AND rm.pr_url IS NOT NULL
		ORDER BY mr.bead_id`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	var failed [][2]string
	for rows.Next() {
		var convoy, url string
		if rows.Scan(&convoy, &url) == nil {
			failed = append(failed, [2]string{convoy, url})
		}
	}
	rows.Close()
	for _, f := range failed {
		if _, seen := p.since[f[0]]; seen || !p.awaiting[f[1]] {
			continue
		}
		if p.since == nil {
			p.since = map[string]time.Time{}
		}
		p.since[f[0]] = c.now
		p.judged++
	}
	for _, convoy := range slices.Sorted(maps.Keys(p.since)) {
		after, _ := t.db.Strings(`SELECT mr.bead_id FROM beads mr
			JOIN bead_dependencies bd ON bd.bead_id = mr.bead_id AND bd.dependency_type = 'tracks'
			WHERE bd.depends_on_bead_id = ? AND mr.type = 'merge_request' AND mr.created_by = 'system' AND mr.created_at > ?
			ORDER BY mr.bead_id LIMIT 1`, convoy, model.ISO(p.since[convoy]))
		if len(after) > 0 {
			c.violation(PropLandingSuppressed, convoy, "convoy %s got landing MR %s after a landing MR of it failed while its PR awaited approval (seen %s)",
				short(convoy), short(after[0]), p.since[convoy].Format(time.RFC3339))
		}
	}
}

func (p *landingSuppressedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no landing MR failed while its PR awaited approval"
	}
	return ""
}

// guppSparesMayorProp: GUPP never warns, escalates or force-stops the
// mayor: the mayor waits for its user by design, and GUPP judges only
// working or stalled non-mayor agents (reconciler.md §2.5). It reads the
// tick's GUPP actions and the role of the agent each names (the world
// starts the mayor's session as the mayor).
type guppSparesMayorProp struct{ judged int }

func (p *guppSparesMayorProp) action(c *checker, a reconciler.Action, t *tickView) {
	if !strings.HasPrefix(a.Rule, "GUPP-") || a.AgentID == "" {
		return
	}
	p.judged++
	if role, _ := t.db.Strings(`SELECT role FROM agent_metadata WHERE bead_id = ?`, a.AgentID); len(role) == 1 && role[0] == model.RoleMayor {
		c.add(Violation{Property: PropGUPPSparesMayor, At: c.now, Tick: c.ticks, Entity: a.AgentID, Rule: a.Rule,
			Detail: fmt.Sprintf("rule %s (%s) acted on the mayor %s", a.Rule, a.Type, short(a.AgentID))})
	}
}

func (p *guppSparesMayorProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "GUPP never acted"
	}
	return ""
}

// openIssueCadenceProp: after a tick that ended with an open issue that no
// agent is assigned (in a rig), the next tick fires within active_gap: an
// unassigned open issue is active work, and the alarm re-arms at the
// active cadence (5 s) while there is any (reconciler.md §1.6; PR #2280's
// fix). It reads the rows (open, unassigned issues with a rig) and the
// world's tick records — not the port's active-work flag.
type openIssueCadenceProp struct {
	openEnd time.Time // end of the last tick that ended with such an issue (zero: none)
	judged  int
}

func (p *openIssueCadenceProp) tick(c *checker, t *tickView) {
	if !p.openEnd.IsZero() && !t.rec.At.Before(c.healAt) {
		p.judged++
		if gap := t.rec.At.Sub(p.openEnd); gap > c.b.ActiveGap {
			c.violation(PropOpenIssueCadence, t.rec.At.Format(time.RFC3339), "no tick for %s after a tick that ended at %s with an open, unassigned issue (bound %s)",
				gap.Truncate(time.Second), p.openEnd.Format(time.RFC3339), c.b.ActiveGap)
		}
	}
	p.openEnd = time.Time{}
	if n, _ := t.db.Int(`SELECT count(*) FROM beads WHERE type = 'issue' AND status = 'open'
		AND rig_id IS NOT NULL AND assignee_agent_bead_id IS NULL`); n > 0 {
		p.openEnd = t.rec.End
	}
}

func (p *openIssueCadenceProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no tick ended with an open, unassigned issue after the heal"
	}
	return ""
}
