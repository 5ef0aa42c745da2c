package scenarios

import (
	"strings"
	"time"

	"github.com/townsim/townsim/model"
)

// PropMergeOnGreen names mergeOnGreenProp.
const PropMergeOnGreen = "safety/merge-call-only-on-green-feedback"

// mergeOnGreenProp: the Town calls GitHub's merge endpoint for a PR only
// when the feedback it fetched for that PR just before says nothing stands
// in the way (reconciler.md §3.4 step 1: merge_pr re-reads the feedback
// and gives up on unresolved review comments, a failing check, a check
// that has not passed, a review still required or changes requested).
// The answer judged is the last feedback answer for the same URL before
// the merge call; an answer of null (the world's feedback error,
// production's null) lets the merge go ahead, a thrown call does not
// (production then reads all-false feedback, which has no passing
// checks). It reads the Town's feedback answers and merge calls (the
// world's record).
type mergeOnGreenProp struct {
	last   map[string]feedbackSeen // PR URL → the last feedback answer
	judged int
}

// feedbackSeen is one feedback answer: when, and what blocks a merge
// ("" when nothing does).
type feedbackSeen struct {
	at      time.Time
	blocker string
}

// feedbackBlocker names what in a feedback answer blocks a merge.
func feedbackBlocker(r model.Result) string {
	if r.Err != "" {
		return "the feedback call failed (" + r.Err + ")"
	}
	f := r.Feedback
	if f == nil {
		return ""
	}
	var why []string
	if f.HasUnresolvedComments {
		why = append(why, "unresolved review comments")
	}
	if f.HasFailingChecks {
		why = append(why, "failing checks")
	}
	if !f.AllChecksPass {
		why = append(why, "checks not all passed")
	}
	if f.ReviewDecision == "REVIEW_REQUIRED" || f.MergeStateStatus == "BLOCKED" {
		why = append(why, "awaiting approval")
	}
	if f.ReviewDecision == "CHANGES_REQUESTED" {
		why = append(why, "changes requested")
	}
	return strings.Join(why, ", ")
}

func (p *mergeOnGreenProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	switch call.Kind {
	case model.CallPRFeedback:
		if p.last == nil {
			p.last = map[string]feedbackSeen{}
		}
		p.last[call.URL] = feedbackSeen{at: now, blocker: feedbackBlocker(r)}
	case model.CallMergePR:
		seen, ok := p.last[call.URL]
		if !ok {
			return
		}
		p.judged++
		if seen.blocker != "" {
			c.violation(PropMergeOnGreen, call.URL, "merge call for PR %s although the feedback answered %s before it said: %s",
				call.URL, now.Sub(seen.at).Truncate(time.Second), seen.blocker)
		}
	}
}

func (p *mergeOnGreenProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge call"
	}
	return ""
}
