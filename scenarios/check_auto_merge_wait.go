package scenarios

import (
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
)

// PropAutoMergeWaits names autoMergeWaitsProp.
const PropAutoMergeWaits = "safety/auto-merge-after-green-delay"

// autoMergeWaitsProp: the Town asks for an auto-merge of a PR (its poll
// inserts pr_auto_merge, reconciler.md §3.3 step 11) only once the PR has
// been green, as the world's feedback answers showed it, for the town's
// auto-merge delay without a break — and never when the town has
// auto-merge off. Green is what the merge itself re-checks (§3.4 step
// 1): no unresolved comment, no failing check, all checks passed, no
// review required, no merge blocked, no changes requested. A break is
// anything after which production starts the delay again: a feedback
// answer that is not green (a thrown feedback call counts, production
// reads it as all-false; null does not, it stops the poll), a poll's
// status answer that the PR is dirty, or a merge call that did not
// merge (§3.4 step 3-4). A break is not counted when the poll stopped
// before its timer: a non-green answer followed by a thrown status
// re-check. The request at time T is judged against the last break
// before T and the first green answer at or after that break: T minus
// that answer's time must reach the delay (both to the millisecond, as
// production stores and measures them). Not judged for a PR URL two merge requests
// share, nor near a fault of the Town's own code. It reads the Town's
// feedback, status and merge calls and answers (the world's record), the
// world's auto-merge setting, and rows: the pr_auto_merge town events
// (PR URL, created_at) inserted in each tick with a feedback answer.
type autoMergeWaitsProp struct {
	seen     map[string][]mergeMark // PR URL → greens and breaks, in order
	lastCall map[string]mergeMark   // PR URL → its last feedback call, for the re-check
	feedback bool                   // a feedback answer came in this tick
	since    string                 // ISO time from which events are looked for
	done     map[string]bool        // events judged
	faults   []string
	judged   int
}

// mergeMark is one observation: a green answer or a break.
type mergeMark struct {
	at    time.Time
	green bool
	// recheckable: a non-green feedback answer a thrown status re-check
	// would undo.
	recheckable bool
}

// feedbackGreen is production's auto-merge "green" of one feedback answer.
func feedbackGreen(f *model.PRFeedback) bool {
	return !f.HasUnresolvedComments && !f.HasFailingChecks && f.AllChecksPass &&
		f.ReviewDecision != "REVIEW_REQUIRED" && f.MergeStateStatus != "BLOCKED" && f.ReviewDecision != "CHANGES_REQUESTED"
}

func (p *autoMergeWaitsProp) call(_ *checker, call model.Call, r model.Result, now time.Time) {
	if p.seen == nil {
		p.seen, p.lastCall, p.done = map[string][]mergeMark{}, map[string]mergeMark{}, map[string]bool{}
	}
	url := call.URL
	switch call.Kind {
	case model.CallPRFeedback:
		p.feedback = true
		if r.Err == "" && r.Feedback == nil {
			delete(p.lastCall, url)
			return // production's null: the poll stops, nothing resets
		}
		m := mergeMark{at: now, green: r.Err == "" && feedbackGreen(r.Feedback)}
		m.recheckable = !m.green
		p.seen[url] = append(p.seen[url], m)
		p.lastCall[url] = m
	case model.CallPRStatus:
		last, after := p.lastCall[url]
		delete(p.lastCall, url)
		if after && now.Sub(last.at) <= feedbackRecheck {
			// auto-resolve's re-check: a thrown one ends the poll before
			// its timer, so the break just recorded did not happen.
			if r.Err != "" && last.recheckable {
				s := p.seen[url]
				if n := len(s); n > 0 && s[n-1] == last {
					p.seen[url] = s[:n-1]
				}
			}
			return
		}
		if r.Err == "" && r.PR.OK && r.PR.State == "open" && r.PR.MergeableState == "dirty" && pollGitHubPR.MatchString(url) {
			p.seen[url] = append(p.seen[url], mergeMark{at: now})
		}
	case model.CallMergePR:
		if r.Err != "" || !r.OK {
			p.seen[url] = append(p.seen[url], mergeMark{at: now})
		}
	}
}

func (p *autoMergeWaitsProp) tick(c *checker, t *tickView) {
	since := p.since
	p.since = model.ISO(c.now)
	if !p.feedback {
		return
	}
	p.feedback = false
	if p.faults == nil {
		p.faults = townFaultKinds()
	}
	rows, err := t.db.Query(`SELECT event_id, COALESCE(json_extract(payload, '$.pr_url'), ''), created_at FROM town_events
		WHERE event_type = 'pr_auto_merge' AND created_at >= ? ORDER BY created_at, event_id`, since)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	type ev struct{ id, url, at string }
	var evs []ev
	for rows.Next() {
		var e ev
		if rows.Scan(&e.id, &e.url, &e.at) == nil && !p.done[e.id] {
			evs = append(evs, e)
		}
	}
	rows.Close()
	for _, e := range evs {
		p.done[e.id] = true
		at, ok := model.ParseTime(e.at)
		if !ok {
			continue
		}
		if n, err := t.db.Int(`SELECT count(*) FROM review_metadata WHERE pr_url = ?`, e.url); err != nil || n > 1 {
			continue
		}
		p.judged++
		s := p.seen[e.url]
		var brk time.Time
		for _, m := range s {
			if !m.green && m.at.Before(at) {
				brk = m.at
			}
		}
		if !c.cfg.Town.AutoMergeOn() {
			c.violation(PropAutoMergeWaits, e.url, "pr_auto_merge for %s at %s although the town has auto-merge off", e.url, e.at)
			continue
		}
		delay := time.Duration(int(c.cfg.Town.AutoMergeDelay.Minutes())) * time.Minute
		var green time.Time
		for _, m := range s {
			if m.green && !m.at.Before(brk) && !m.at.After(at) {
				green = m.at
				break
			}
		}
		from := brk
		if from.IsZero() && len(s) > 0 {
			from = s[0].at
		}
		if c.faultNear(from.Add(-time.Second), c.now, p.faults...) {
			continue
		}
		switch {
		case green.IsZero():
			c.violation(PropAutoMergeWaits, e.url, "pr_auto_merge for %s at %s with no green feedback answer since the last break (%s)",
				e.url, e.at, brk.Format(time.RFC3339))
		case at.Sub(green.Truncate(time.Millisecond)).Milliseconds() < delay.Milliseconds():
			// production stores the start to the millisecond and measures
			// from it; created_at is the request's time so stored
			c.violation(PropAutoMergeWaits, e.url, "pr_auto_merge for %s at %s, only %s after the PR was first answered green "+
				"again (%s, after the break at %s); the delay is %s",
				e.url, e.at, at.Sub(green), green.Format(time.RFC3339), brk.Format(time.RFC3339), delay)
		}
	}
	// keep only what a later request can still be judged against
	for _, url := range slices.Sorted(maps.Keys(p.seen)) {
		s := p.seen[url]
		last := -1
		for i, m := range s {
			if !m.green {
				last = i
			}
		}
		if last > 0 {
			p.seen[url] = append([]mergeMark(nil), s[last:]...)
		}
	}
}

func (p *autoMergeWaitsProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no pr_auto_merge event"
	}
	return ""
}
