package scenarios

import (
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
)

// The properties of progress the mutation score asked for: convoys land
// only through their landing MR and do land, a finished review is
// applied, an MR that stayed green through the auto-merge delay gets a
// merge call, a free refinery pops a waiting MR, and the bead audit log
// records what the rows show. Their bounds come from production's own
// cadences (reconciler.md §1, the constants table) and are short enough
// to be judged inside a 30-minute run.

// The names of the progress properties.
const (
	PropConvoyCloses   = "safety/convoy-closes-after-landing"
	PropAuditLog       = "safety/bead-changes-logged"
	PropConvoyLands    = "liveness/complete-convoy-lands"
	PropReviewApplied  = "liveness/finished-review-applied"
	PropAutoMergeCall  = "liveness/green-pr-gets-merge-call"
	PropReviewPopped   = "liveness/free-refinery-pops-mr"
	progressTickWindow = 5 * time.Second // production's active alarm cadence
)

// The bounds of the progress properties, from production's cadences.
const (
	// convoyLandBound: CV-1…CV-7 run on every reconcile (5 s); the first
	// landing attempt has no cooldown, so 10 minutes is many passes.
	convoyLandBound = 10 * time.Minute
	// reviewAppliedBound: gt_done is applied on the next drain (5 s); the
	// late_done fault delays the RPC by up to 10 minutes.
	reviewAppliedBound = 12 * time.Minute
	// autoMergeBound: after the poll that finds the PR green for the
	// auto-merge delay, the pr_auto_merge event is drained on the next
	// tick and RQ-1 emits merge_pr in that reconcile (one tick, 5 s).
	autoMergeBound = 2 * time.Minute
	// reviewPopBound: RQ-5 pops on every reconcile (5 s); the refinery's
	// dispatch cooldown after failed starts reaches 10 min at most (the
	// ladder 30 s … 600 s), and a refinery process lost under its hook is
	// idled by AG-1 or by the status poll within minutes.
	reviewPopBound = 15 * time.Minute
)

// convoyClosesProp: a convoy is closed only when its landing merge
// request (a merge_request that tracks it) is closed, or — in
// review-and-merge mode, which lands by the recount — when every issue it
// tracks is closed or failed (model.md §3.2, §4.3). It reads the rows.
type convoyClosesProp struct{ closed int }

func (p *convoyClosesProp) tick(c *checker, t *tickView) {
	for _, pr := range c.pairs(t.db, `SELECT b.bead_id, COALESCE(m.merge_mode, '') FROM beads b
		LEFT JOIN convoy_metadata m ON m.bead_id = b.bead_id
		WHERE b.type = 'convoy' AND b.status = 'closed' ORDER BY b.bead_id`) {
		p.closed++
		landed, _ := t.db.Int(`SELECT count(*) FROM bead_dependencies d JOIN beads mr ON mr.bead_id = d.bead_id
			WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND mr.type = 'merge_request'
			AND mr.status = 'closed'`, pr[0])
		if landed > 0 {
			continue
		}
		if pr[1] == "review-and-merge" {
			open, _ := t.db.Int(`SELECT count(*) FROM bead_dependencies d JOIN beads i ON i.bead_id = d.bead_id
				WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND i.type = 'issue'
				AND i.status NOT IN ('closed', 'failed')`, pr[0])
			if open == 0 {
				continue
			}
		}
		c.violation(PropConvoyCloses, pr[0], "convoy %s (merge mode %q) is closed without a merged landing merge request", short(pr[0]), pr[1])
	}
}

func (p *convoyClosesProp) unjudged(*checker) string {
	if p.closed == 0 {
		return "no convoy was closed"
	}
	return ""
}

// convoyLandsProp: a convoy whose tracked issues are all closed or failed
// is closed or failed, or has a landing merge request, within
// convoyLandBound. It reads the rows; a tick that reconciled while
// draining restarts the clock (the drain suppresses new work).
type convoyLandsProp struct {
	since  map[string]time.Time // convoy → first tick seen complete without landing
	judged int
}

func (p *convoyLandsProp) tick(c *checker, t *tickView) {
	draining := t.res != nil && t.res.Draining
	waiting := map[string]bool{}
	ids, _ := t.db.Strings(`SELECT b.bead_id FROM beads b WHERE b.type = 'convoy' AND b.status NOT IN ('closed', 'failed')
		AND EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads i ON i.bead_id = d.bead_id
			WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks' AND i.type = 'issue')
		AND NOT EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads i ON i.bead_id = d.bead_id
			WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks' AND i.type = 'issue'
			AND i.status NOT IN ('closed', 'failed'))
		AND NOT EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads mr ON mr.bead_id = d.bead_id
			WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks' AND mr.type = 'merge_request')
		AND NOT EXISTS (SELECT 1 FROM bead_dependencies d JOIN bead_dependencies md ON md.depends_on_bead_id = d.bead_id
			JOIN beads mr ON mr.bead_id = md.bead_id
			WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks' AND md.dependency_type = 'tracks'
			AND mr.type = 'merge_request' AND mr.status IN ('open', 'in_progress'))
		ORDER BY b.bead_id`)
	for _, id := range ids {
		waiting[id] = true
		since, ok := p.since[id]
		if !ok || draining {
			p.since[id] = c.now
			continue
		}
		if c.now.Sub(since) > convoyLandBound {
			p.judged++
			c.violation(PropConvoyLands, id, "convoy %s has had every tracked issue closed or failed for %s with no landing merge request and is still open (bound %s)",
				short(id), c.now.Sub(since).Truncate(time.Second), convoyLandBound)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.since)) {
		if !waiting[id] {
			if c.now.Sub(p.since[id]) > progressTickWindow {
				p.judged++
			}
			delete(p.since, id)
		}
	}
}

func (p *convoyLandsProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no convoy became complete"
	}
	return ""
}

// reviewAppliedProp: a refinery whose process sent gt_done (the world's
// fact) while hooked to a merge request that has no PR approved a direct
// merge: the merge request is closed or failed within reviewAppliedBound.
// It reads the world's processes and the rows.
type reviewAppliedProp struct {
	since  map[string]time.Time // MR → when its refinery was seen finished
	judged int
}

func (p *reviewAppliedProp) tick(c *checker, t *tickView) {
	for _, pv := range t.procs {
		if pv.Role != model.RoleRefinery || !pv.Finished || pv.BeadID == "" {
			continue
		}
		if _, ok := p.since[pv.BeadID]; ok {
			continue
		}
		n, _ := t.db.Int(`SELECT count(*) FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
			WHERE b.bead_id = ? AND b.type = 'merge_request' AND COALESCE(r.pr_url, '') = ''
			AND b.status NOT IN ('closed', 'failed')
			AND EXISTS (SELECT 1 FROM agent_metadata a WHERE a.bead_id = ? AND a.current_hook_bead_id = b.bead_id)`,
			pv.BeadID, pv.AgentID)
		if n > 0 {
			p.since[pv.BeadID] = c.now
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.since)) {
		at := p.since[id]
		if at.IsZero() || c.now.Sub(at) <= reviewAppliedBound {
			continue
		}
		p.judged++
		p.since[id] = time.Time{} // judged once
		st := c.beadStatus(t.db, id)
		if st != "" && st != model.StatusClosed && st != model.StatusFailed {
			c.violation(PropReviewApplied, id, "merge request %s is still %s %s after its refinery sent gt_done on it without a PR (bound %s)",
				short(id), st, c.now.Sub(at).Truncate(time.Second), reviewAppliedBound)
		}
	}
}

func (p *reviewAppliedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no refinery finished a PR-less review reviewAppliedBound before the end"
	}
	return ""
}

// autoMergeCallProp: with auto-merge on (the scenario's town settings),
// a PR whose every feedback answer the Town got stayed green (checks
// pass, no unresolved comments or failing checks, no review required,
// no changes requested, not blocked) and whose status answers were never
// dirty, for the auto-merge delay, gets a merge call within
// autoMergeBound of the first answer past the delay — unless its fate
// became known first. It reads the Town's GitHub answers (the world's),
// the merge calls and the scenario's settings: the merge bound is only an
// upper one, this is the lower. A PR the world opened outside its rig's
// repository (github.fork) is left out: merge_pr refuses to merge it; so
// is one a human merged by hand as auto-merge was due, closing its merge
// request (github.hand_merge_at_delay).
type autoMergeCallProp struct {
	green  map[string]time.Time // PR URL → first answer of the current green run
	due    map[string]time.Time // PR URL → the first green answer past the delay
	judged int
}

func (p *autoMergeCallProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	town := c.cfg.Town
	if !town.AutoMergeOn() {
		return
	}
	url := call.URL
	if c.world != nil {
		if pr, ok := c.world.PR(url); ok && pr.Foreign {
			return // outside its rig's repository: merge_pr refuses it (merge-only-in-rig-repository)
		}
	}
	switch call.Kind {
	case model.CallMergePR:
		delete(p.green, url)
		delete(p.due, url)
	case model.CallPRStatus:
		if r.PR.OK && (r.PR.State != "open" || r.PR.MergeableState == "dirty") {
			delete(p.green, url)
			delete(p.due, url)
		}
	case model.CallPRFeedback:
		f := r.Feedback
		if f == nil || r.Err != "" {
			return // no answer: the Town's timer neither starts nor resets
		}
		ok := !f.HasUnresolvedComments && !f.HasFailingChecks && f.AllChecksPass &&
			f.ReviewDecision != "REVIEW_REQUIRED" && f.ReviewDecision != "CHANGES_REQUESTED" && f.MergeStateStatus != "BLOCKED"
		if !ok {
			delete(p.green, url)
			delete(p.due, url)
			return
		}
		since, seen := p.green[url]
		if !seen {
			p.green[url] = now
			return
		}
		if _, d := p.due[url]; !d && now.Sub(since) >= town.AutoMergeDelay {
			p.due[url] = now
		}
	}
}

func (p *autoMergeCallProp) tick(c *checker, t *tickView) {
	for _, url := range slices.Sorted(maps.Keys(p.due)) {
		at := p.due[url]
		if c.now.Sub(at) <= autoMergeBound {
			continue
		}
		if c.world != nil {
			if pr, ok := c.world.PR(url); ok && pr.HandMerged {
				// A human merged it by hand as auto-merge was due and closed its
				// merge request: RQ-1 merges only through a live one.
				delete(p.due, url)
				delete(p.green, url)
				continue
			}
		}
		p.judged++
		delete(p.due, url)
		delete(p.green, url)
		c.violation(PropAutoMergeCall, url, "PR %s answered green from %s for the auto-merge delay %s, and no merge call came %s after (bound %s)",
			url, at.Format(time.RFC3339), c.cfg.Town.AutoMergeDelay, c.now.Sub(at).Truncate(time.Second), autoMergeBound)
	}
}

func (p *autoMergeCallProp) unjudged(c *checker) string {
	if !c.cfg.Town.AutoMergeOn() {
		return "auto-merge is off"
	}
	if p.judged == 0 {
		return "no PR stayed green for the auto-merge delay"
	}
	return ""
}

// reviewPoppedProp: in a rig with code review on, while a merge request
// waits open, no PR-less review is in progress (production reviews one
// at a time per rig) and the world runs no live refinery on the rig's
// work, a refinery is started within reviewPopBound. A refinery start
// call, a breaker-open tick or a draining tick restarts the clock. It
// reads the rows (open and in-progress MRs, the rig's code_review
// override; the town's setting where a rig has none), the world's
// processes and the start calls.
type reviewPoppedProp struct {
	since  map[string]time.Time // rig → when the wait began
	judged int
}

func (p *reviewPoppedProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind != model.CallStartAgent || call.Role != model.RoleRefinery {
		return
	}
	rig := ""
	if s, _ := c.world.Town().DB().Strings(`SELECT COALESCE(rig_id, '') FROM beads WHERE bead_id = ?`, call.BeadID); len(s) == 1 {
		rig = s[0]
	}
	delete(p.since, rig)
}

func (p *reviewPoppedProp) tick(c *checker, t *tickView) {
	busy := map[string]bool{}
	for _, pv := range t.procs {
		if pv.Live && pv.Role == model.RoleRefinery {
			if s, _ := t.db.Strings(`SELECT COALESCE(rig_id, '') FROM beads WHERE bead_id = ?`, pv.BeadID); len(s) == 1 {
				busy[s[0]] = true
			}
		}
	}
	rigs, _ := t.db.Strings(`SELECT DISTINCT b.rig_id FROM beads b WHERE b.type = 'merge_request' AND b.status = 'open'
		AND b.rig_id IS NOT NULL
		AND NOT ` + c.rigReviewOffSQL("b.rig_id") + `
		AND NOT EXISTS (SELECT 1 FROM beads o JOIN review_metadata r ON r.bead_id = o.bead_id
			WHERE o.type = 'merge_request' AND o.status = 'in_progress' AND o.rig_id = b.rig_id AND r.pr_url IS NULL)
		ORDER BY 1`)
	paused := c.breakerOpen || (t.res != nil && t.res.Draining)
	waiting := map[string]bool{}
	for _, rig := range rigs {
		if busy[rig] {
			continue
		}
		waiting[rig] = true
		since, ok := p.since[rig]
		if !ok || paused {
			p.since[rig] = c.now
			continue
		}
		if c.now.Sub(since) > reviewPopBound {
			p.judged++
			p.since[rig] = c.now
			c.violation(PropReviewPopped, rig, "rig %s has had an open merge request waiting for %s with no review in progress, no live refinery and no refinery started (bound %s)",
				short(rig), c.now.Sub(since).Truncate(time.Second), reviewPopBound)
		}
	}
	maps.DeleteFunc(p.since, func(rig string, _ time.Time) bool { // a wait that ended was judged
		if waiting[rig] {
			return false
		}
		p.judged++
		return true
	})
}

func (p *reviewPoppedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge request waited for a free refinery"
	}
	return ""
}

// auditLogProp: the bead_events audit log records what the rows show
// (model.md §2.9, §4.1, §4.2): every issue a user created has its
// `created` event with {type, title}; every status change of an issue to
// in_progress, in_review, closed or failed seen between two ticks has its
// `status_changed` event with that new value (those are guarded changes;
// the direct writes of §3.2 move issues only back to open); events that
// production writes with metadata (rework_requested, notification_failed,
// an unhooked with a new value: resetAgent) carry it.
type auditLogProp struct {
	status  map[string]string // issue → status last seen
	created map[string]bool   // world issues whose created event was found
	last    time.Time         // the previous tick
	changes int
}

func (p *auditLogProp) tick(c *checker, t *tickView) {
	prev := p.last
	p.last = c.now
	for _, is := range t.w.Issues() {
		if p.created[is.ID] || is.Deleted {
			continue
		}
		if n, _ := t.db.Int(`SELECT count(*) FROM beads WHERE bead_id = ?`, is.ID); n == 0 {
			continue
		}
		n, _ := t.db.Int(`SELECT count(*) FROM bead_events WHERE bead_id = ? AND event_type = 'created'
			AND new_value = 'open' AND json_extract(metadata, '$.type') IS NOT NULL AND json_extract(metadata, '$.title') IS NOT NULL`, is.ID)
		if n == 0 {
			c.violation(PropAuditLog, is.ID, "issue %s (%s) has no `created` bead event with its type and title", short(is.ID), is.Kind)
		}
		p.created[is.ID] = true
	}
	for _, pr := range c.pairs(t.db, `SELECT bead_id, status FROM beads WHERE type = 'issue' ORDER BY bead_id`) {
		id, st := pr[0], pr[1]
		old, seen := p.status[id]
		p.status[id] = st
		if !seen || old == st || st == model.StatusOpen {
			continue
		}
		p.changes++
		n, _ := t.db.Int(`SELECT count(*) FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed'
			AND new_value = ? AND created_at >= ?`, id, st, model.ISO(prev))
		if n == 0 {
			c.violation(PropAuditLog, id+" "+st, "issue %s went %s → %s since %s with no status_changed bead event",
				short(id), old, st, prev.Format(time.RFC3339))
		}
	}
	if prev.IsZero() {
		return
	}
	for _, pr := range c.pairs(t.db, `SELECT bead_event_id, event_type FROM bead_events WHERE created_at >= ?
		AND (event_type IN ('rework_requested', 'notification_failed') OR (event_type = 'unhooked' AND new_value IS NOT NULL))
		AND COALESCE(metadata, '{}') IN ('{}', '', 'null') ORDER BY 1`, model.ISO(prev)) {
		c.violation(PropAuditLog, pr[0], "a %s bead event was written without its metadata", pr[1])
	}
}

func (p *auditLogProp) unjudged(*checker) string {
	if len(p.created) == 0 && p.changes == 0 {
		return "no issue was created or changed status"
	}
	return ""
}

// PropExitIdle is the name of exitIdleProp.
const PropExitIdle = "bounds/exited-agent-idled"

// exitIdleBound: a container_status event from the status poll is
// drained on the next tick (5 s); production's 180 s grace applies to
// not_found only, never to exited (reconciler.md §2.1, model.md §3.4).
const exitIdleBound = time.Minute

// exitIdleProp: once the container answered an agent's status poll with
// "exited" (the world's answer), the agent is not left working or
// stalled for longer than exitIdleBound, unless a new start was asked
// for it, the world runs a live process for it again, or it was given
// new work meanwhile (its hook names another bead than at the end of the
// tick that saw the answer: a user's sling hooks an idle agent and marks
// it working before its start call). It reads the Town's status answers
// and start calls, the world's processes and the agent's row.
type exitIdleProp struct {
	exited map[string]*exitSeen // agent → first "exited" answer not yet judged
	judged int
}

// exitSeen is one "exited" answer waiting for its judgement: when it came
// and the agent's hook at the end of that tick (hooked false until read).
type exitSeen struct {
	at     time.Time
	hook   string
	hooked bool
}

func (p *exitIdleProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	switch {
	case call.Kind == model.CallStartAgent:
		delete(p.exited, call.AgentID)
	case call.Kind == model.CallAgentStatus && r.Err == "" && r.Status == "exited":
		if _, ok := p.exited[call.AgentID]; !ok {
			p.exited[call.AgentID] = &exitSeen{at: now}
		}
	}
}

func (p *exitIdleProp) tick(c *checker, t *tickView) {
	for _, id := range slices.Sorted(maps.Keys(p.exited)) {
		e := p.exited[id]
		hook := exitHook(t.db, id)
		if !e.hooked {
			e.hook, e.hooked = hook, true
		}
		if c.now.Sub(e.at) <= exitIdleBound {
			continue
		}
		p.judged++
		delete(p.exited, id)
		if t.byAgent[id].Live || hook != e.hook {
			continue
		}
		st, _ := t.db.Strings(`SELECT status FROM agent_metadata WHERE bead_id = ?`, id)
		if len(st) == 1 && (st[0] == model.AgentWorking || st[0] == model.AgentStalled) {
			c.violation(PropExitIdle, id, "agent %s is still %s %s after the container answered that its process exited (bound %s)",
				short(id), st[0], c.now.Sub(e.at).Truncate(time.Second), exitIdleBound)
		}
	}
}

// exitHook is the agent's hooked bead ("" for none or a gone agent).
func exitHook(db *model.DB, agent string) string {
	h, _ := db.Strings(`SELECT COALESCE(current_hook_bead_id, '') FROM agent_metadata WHERE bead_id = ?`, agent)
	if len(h) == 1 {
		return h[0]
	}
	return ""
}

func (p *exitIdleProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no status poll answered exited"
	}
	return ""
}

// PropDrainClears is the name of drainClearsProp.
const PropDrainClears = "bounds/drain-flag-clears"

// drainTimeout is T8's auto-clear of the eviction drain flag
// (reconciler.md §1.5: 7 minutes after the eviction was recorded).
const drainTimeout = 7 * time.Minute

// drainClearsProp: a reconcile sees the drain flag only within the drain
// timeout (7 min, plus a minute for the tick that clears it) of a
// container eviction the world sent; never without one. It reads the
// world's eviction count (when it grew) and the flag each reconcile saw.
type drainClearsProp struct {
	evictions int
	last      time.Time // the tick that first saw the latest eviction
	judged    int
}

func (p *drainClearsProp) tick(c *checker, t *tickView) {
	if n := t.w.Stats().Evictions; n > p.evictions {
		p.evictions, p.last = n, c.now
	}
	if t.res == nil || !t.res.Draining {
		return
	}
	p.judged++
	if p.last.IsZero() {
		c.violation(PropDrainClears, "", "a reconcile at %s saw the drain flag, and the world never evicted the container", c.now.Format(time.RFC3339))
		return
	}
	if d := c.now.Sub(p.last); d > drainTimeout+time.Minute {
		c.violation(PropDrainClears, p.last.Format(time.RFC3339), "a reconcile saw the drain flag %s after the eviction seen at %s (the flag clears after %s)",
			d.Truncate(time.Second), p.last.Format(time.RFC3339), drainTimeout)
	}
}

func (p *drainClearsProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no reconcile saw the drain flag"
	}
	return ""
}

// PropIdleHookReleased is the name of idleHookReleasedProp.
const PropIdleHookReleased = "safety/idle-agent-releases-terminal-hook"

// idleHookReleasedProp: an idle agent is not left hooked to a closed or
// failed bead (AG-4 unhooks it on every reconcile, draining or not,
// reconciler.md §2.1, §2.8); graced, counted only on ticks that ran and
// took less than a minute (a tick awaiting a call without timeout is the
// tick-latency property's business). It reads the rows.
type idleHookReleasedProp struct{}

func (idleHookReleasedProp) tick(c *checker, t *tickView) {
	if t.res == nil || !t.res.Ran || t.rec.End.Sub(t.rec.At) > time.Minute {
		return
	}
	for _, pr := range c.pairs(t.db, `SELECT a.bead_id, b.bead_id || ' ' || b.status FROM agent_metadata a
		JOIN beads b ON b.bead_id = a.current_hook_bead_id
		WHERE a.status = 'idle' AND b.status IN ('closed', 'failed') ORDER BY a.bead_id`) {
		c.graced(PropIdleHookReleased, pr[0], "idle agent "+short(pr[0])+" stays hooked to "+pr[1], t.holds)
	}
}
