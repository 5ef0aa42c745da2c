package scenarios

import (
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
)

// PropFailingPollsFailMR names failingPollsFailMRProp.
const PropFailingPollsFailMR = "liveness/failing-polls-fail-mr"

// failingPollsFailMRProp: a merge request whose PR status polls keep
// failing is failed by the poll that completes the run production gives
// up on (reconciler.md §3.3 "On error"): one non-transient HTTP error, 10
// transient ones (5xx, 429) in a row, or 3 invalid answers in a row;
// answers of another class break a run, thrown calls neither count nor
// break it. At the end of the tick of that answer, the in-progress merge
// request with the PR's URL is failed (or terminal otherwise). The status
// re-check auto-resolve makes right after a feedback call (within 30 s)
// is not a poll and is left out. Not judged for a URL that several live
// merge requests share (each counts its own polls), nor when a fault of
// the Town's own code or a Town restart fired during the run. It reads
// the Town's PR status and feedback calls and answers (the world's
// record) and rows: the merge requests with that PR URL and their status.
type failingPollsFailMRProp struct {
	run      map[string]pollRun   // PR URL → the current run of failing answers
	feedback map[string]time.Time // PR URL → the last feedback call
	due      map[string]time.Time // PR URL → the run's start, its last answer completed it this tick
	judged   int
}

// pollRun is a run of status answers of one failing class.
type pollRun struct {
	class string
	n     int
	from  time.Time
}

func (p *failingPollsFailMRProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if p.run == nil {
		p.run, p.feedback, p.due = map[string]pollRun{}, map[string]time.Time{}, map[string]time.Time{}
	}
	switch call.Kind {
	case model.CallPRFeedback:
		p.feedback[call.URL] = now
		return
	case model.CallPRStatus:
	default:
		return
	}
	if fb, ok := p.feedback[call.URL]; ok && now.Sub(fb) <= feedbackRecheck {
		delete(p.feedback, call.URL)
		return // auto-resolve's re-check, not a poll
	}
	delete(p.feedback, call.URL)
	if r.Err != "" {
		return
	}
	class := answerClass(r.PR)
	if class == "ok" {
		delete(p.run, call.URL)
		return
	}
	run := p.run[call.URL]
	if run.class != class {
		run = pollRun{class: class, from: now}
	}
	run.n++
	p.run[call.URL] = run
	if want := map[string]int{"transient": pollTransientRun, "invalid": pollInvalidRun, "http": 1}[class]; want > 0 && run.n >= want {
		p.due[call.URL] = run.from
		delete(p.run, call.URL)
	}
}

func (p *failingPollsFailMRProp) tick(c *checker, t *tickView) {
	for _, url := range slices.Sorted(maps.Keys(p.due)) {
		from := p.due[url]
		delete(p.due, url)
		mrs := c.pairs(t.db, `SELECT b.bead_id, b.status FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
			WHERE rm.pr_url = ? AND b.type = 'merge_request' ORDER BY b.bead_id`, url)
		var live [][2]string
		for _, m := range mrs {
			if m[1] != "closed" && m[1] != "failed" {
				live = append(live, m)
			}
		}
		if len(mrs) == 0 || len(live) > 1 {
			continue
		}
		p.judged++
		if len(live) == 0 || live[0][1] != "in_progress" || c.faultNear(from.Add(-time.Minute), c.now, townFaultKinds()...) {
			continue
		}
		c.violation(PropFailingPollsFailMR, live[0][0], "merge request %s is still in progress at the end of the tick whose status "+
			"answer for %s completed a run of failing answers production fails it for (since %s)",
			short(live[0][0]), url, from.Format(time.RFC3339))
	}
}

func (p *failingPollsFailMRProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no status answer completed a failing run for a merge request still live"
	}
	return ""
}
