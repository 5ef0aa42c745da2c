package scenarios

import (
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
)

// PropFeedbackGetsFixer names auto-resolve's dispatch of PR feedback.
const PropFeedbackGetsFixer = "liveness/pr-feedback-gets-a-fix-bead"

// feedbackFixBound is how long after a feedback answer with something to
// resolve the merge request must have a live feedback (or conflict) bead:
// the poll's event drains at the next tick (5 s at the active cadence).
const feedbackFixBound = 2 * time.Minute

// feedbackFixProp: with auto-resolve on (every town the world configures
// keeps the new-town default, refinery.auto_resolve_pr_feedback = true), a
// feedback answer for an open PR that reports something for an agent to
// resolve — unresolved review comments, failing checks, or check runs the
// Town could not see (more than one page of them) — leads to a
// gt:pr-feedback bead blocking the PR's merge request (reconciler.md §3.3,
// step 10; model.md pr_feedback_detected): within feedbackFixBound, the
// merge request is terminal, or a bead labelled gt:pr-feedback or
// gt:pr-conflict blocks it that is live or was closed after the answer.
// Excused: the poll's second status answer for the PR (right after the
// feedback one) that was an error or not open (production skips then); a
// fault of the Town's code or a Town restart in the window. It reads the
// Town's GitHub feedback and status answers (the world's) and rows (the
// merge request with that PR URL, its blockers' labels, status and
// closed_at).
type feedbackFixProp struct {
	due    map[string]time.Time // PR URL → the first feedback answer asking for a fix, awaiting its bead
	check  map[string]time.Time // PR URL → the latest such answer, whose status re-check may still come
	judged int
}

// feedbackRecheck is how soon after the feedback answer the same poll's
// status re-check comes (production awaits both calls in one action); a
// later status call belongs to the next poll.
const feedbackRecheck = 30 * time.Second

func (p *feedbackFixProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if p.due == nil {
		p.due, p.check = map[string]time.Time{}, map[string]time.Time{}
	}
	url := call.URL
	switch call.Kind {
	case model.CallPRFeedback:
		f := r.Feedback
		if r.Err != "" || f == nil || !(f.HasUnresolvedComments || f.HasFailingChecks || f.HasUncheckedRuns) {
			return
		}
		if _, ok := p.due[url]; !ok {
			p.due[url] = now
		}
		p.check[url] = now
	case model.CallPRStatus:
		fb, ok := p.check[url]
		if !ok {
			return
		}
		delete(p.check, url)
		if now.Sub(fb) <= feedbackRecheck && (r.Err != "" || !r.PR.OK || r.PR.State != "open") {
			delete(p.due, url)
		}
	}
}

func (p *feedbackFixProp) tick(c *checker, t *tickView) {
	for _, url := range slices.Sorted(maps.Keys(p.due)) {
		at := p.due[url]
		if fb, ok := p.check[url]; (ok && c.now.Sub(fb) <= feedbackRecheck) || c.now.Sub(at) <= feedbackFixBound {
			continue
		}
		delete(p.due, url)
		delete(p.check, url)
		if c.faultNear(at, c.now, idleHookExcuses()...) {
			continue
		}
		mr, _ := t.db.Strings(`SELECT b.bead_id FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
			WHERE rm.pr_url = ? AND b.type = 'merge_request' AND b.status NOT IN ('closed', 'failed')
			ORDER BY b.created_at, b.bead_id`, url)
		for _, id := range mr {
			p.judged++
			// The labels are tested here, not by LIKE in the query: a LIKE
			// beside a bound text takes the model's slow exact-plan path.
			fixers, _ := t.db.Strings(`SELECT f.labels FROM bead_dependencies bd JOIN beads f ON f.bead_id = bd.depends_on_bead_id
				WHERE bd.bead_id = ? AND bd.dependency_type = 'blocks'
				  AND (f.status NOT IN ('closed', 'failed') OR COALESCE(f.closed_at, f.updated_at) >= ?)`, id, model.ISO(at))
			if !slices.ContainsFunc(fixers, func(l string) bool {
				return hasAnyLabel(l, model.LabelPRFeedback, model.LabelPRConflict)
			}) {
				c.violation(PropFeedbackGetsFixer, url, "PR %s's feedback at %s asked for a fix (comments, failing or unchecked runs) and its merge request %s has no feedback bead %s later",
					url, at.Format(time.RFC3339), short(id), c.now.Sub(at).Truncate(time.Second))
			}
		}
	}
}

func (p *feedbackFixProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no feedback answer asked for a fix of an open merge request's PR"
	}
	return ""
}

// PropFeedbackAskedFor names the cause of a PR feedback bead.
const PropFeedbackAskedFor = "safety/pr-feedback-bead-asked-for"

// feedbackAskedProp: the Town creates a gt:pr-feedback bead for a PR only
// when a feedback answer for it asked for a fix (unresolved comments,
// failing checks or unchecked runs; reconciler.md §3.3 step 10): every
// such bead created on a tick has, within feedbackFixBound before its
// creation, a feedback answer for its PR URL that asked for one. A fault
// of the Town's code or a Town restart in that window excuses it. It reads
// the Town's GitHub feedback answers and rows (gt:pr-feedback beads, their
// pr_url and creation time).
type feedbackAskedProp struct {
	asked  map[string]time.Time // PR URL → the latest feedback answer that asked for a fix
	seen   string               // created_at of the newest feedback bead judged
	judged int
}

func (p *feedbackAskedProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind != model.CallPRFeedback || r.Err != "" || r.Feedback == nil {
		return
	}
	if f := r.Feedback; f.HasUnresolvedComments || f.HasFailingChecks || f.HasUncheckedRuns {
		if p.asked == nil {
			p.asked = map[string]time.Time{}
		}
		p.asked[call.URL] = now
	}
}

func (p *feedbackAskedProp) tick(c *checker, t *tickView) {
	// Read unmetered (ObserveRows): through the Town's statement cache, the
	// LIKE beside a bound text would take the model's slow exact-plan path.
	tr, err := t.db.ObserveRows(`SELECT rowid, created_at, COALESCE(json_extract(metadata, '$.pr_url'), '') AS url, bead_id FROM beads
		WHERE labels LIKE '%"gt:pr-feedback"%' AND created_at > ? ORDER BY created_at, bead_id`, p.seen)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	for _, r := range opRowsOf(tr) {
		p.seen = r["created_at"]
		url, id := r["url"], r["bead_id"]
		created, err := time.Parse(time.RFC3339Nano, r["created_at"])
		if err != nil {
			continue
		}
		p.judged++
		at, ok := p.asked[url]
		if ok && !at.After(created) && created.Sub(at) <= feedbackFixBound {
			continue
		}
		if c.faultNear(created.Add(-feedbackFixBound), created, idleHookExcuses()...) {
			continue
		}
		c.violation(PropFeedbackAskedFor, id, "feedback bead %s for PR %s was created at %s with no feedback answer asking for a fix in the %s before",
			short(id), url, r["created_at"], feedbackFixBound)
	}
}

func (p *feedbackAskedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no PR feedback bead created"
	}
	return ""
}
