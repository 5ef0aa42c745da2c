package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// PropReviewSplitByPR names the promise that the per-MR rules of the
// review queue tell PR-backed reviews from PR-less ones.
const PropReviewSplitByPR = "safety/review-rules-split-by-pr"

// reviewSplitProp: group 1 of the review queue (reconciler.md §2.3,
// RQ-1…RQ-4) looks at in-progress merge requests and splits them by
// whether a PR records the review. A PR-backed review waits for its PR's
// fate: RQ-1 polls that PR (the URL the MR records) and merges it only
// once a pr_auto_merge event flagged the MR (auto_merge_pending), and RQ-4
// fails it as orphaned only where a refinery owned it (the rig's code
// review on). A PR-less review is a refinery's work in progress: RQ-2 and
// RQ-3 return it to the queue. So every RQ-1 poll or merge and every RQ-4
// failure names an in-progress MR with a PR URL (RQ-4: in a rig whose code
// review is on), and every RQ-2 or RQ-3 reopening an in-progress MR
// without one. A rule that crosses the split acts on a review it has no
// business with: RQ-4 failing a PR-less review RQ-2 would reopen, RQ-1
// polling an MR that has no PR, RQ-2 reopening one whose PR is up.
//
// Judged on the Town's rows read unmetered between the reconcile and the
// apply of the same tick: the MR's type, status, PR URL, metadata flag and
// rig; whether code review is off comes from the rig's override, else the
// town's setting as the world configured it (never the port's codeReview).
type reviewSplitProp struct {
	pending []Violation // seen at the reconcile, reported when the tick ends
	judged  int
}

func newReviewSplitProp() property { return &reviewSplitProp{} }

// reviewSplitRule reports whether the action is one of group 1's on an MR.
func reviewSplitRule(a reconciler.Action) bool {
	switch a.Rule {
	case "RQ-1":
		return (a.Type == reconciler.PollPR || a.Type == reconciler.MergePR) && a.BeadID != ""
	case "RQ-2", "RQ-3", "RQ-4":
		return a.Type == reconciler.TransitionBead && a.BeadID != ""
	}
	return false
}

func (p *reviewSplitProp) reconciled(c *checker, db *model.DB, acts []reconciler.Action) {
	var ids []string
	for _, a := range acts {
		if reviewSplitRule(a) {
			ids = append(ids, a.BeadID)
		}
	}
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.ObserveRows(`SELECT b.rowid, b.bead_id, b.type, b.status, rm.pr_url, b.rig_id,
			json_extract(b.metadata, '$.auto_merge_pending') AS pending,
			`+c.reviewOffSQL("b.rig_id")+` AS off
		FROM beads b LEFT JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.bead_id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	mrs := map[string]opRow{}
	for _, r := range opRowsOf(rows) {
		mrs[r["bead_id"]] = r
	}
	for _, a := range acts {
		if !reviewSplitRule(a) {
			continue
		}
		p.judged++
		if d := reviewSplitDetail(a, mrs[a.BeadID]); d != "" {
			p.pending = append(p.pending, Violation{Property: PropReviewSplitByPR, Entity: a.BeadID, Rule: a.Rule, Detail: d})
		}
	}
}

// reviewSplitDetail says what is wrong with a group-1 action on the row
// the reconcile read (nil: the bead was not there), or "".
func reviewSplitDetail(a reconciler.Action, mr opRow) string {
	what := fmt.Sprintf("%s %s on %s", a.Rule, a.Type, short(a.BeadID))
	if mr == nil {
		return what + ": no such bead when the reconcile read the Town"
	}
	url := mr["pr_url"]
	switch {
	case mr["type"] != model.TypeMergeRequest:
		return fmt.Sprintf("%s: a %s, not a merge request", what, mr["type"])
	case mr["status"] != model.StatusInProgress:
		return fmt.Sprintf("%s: the merge request is %s, not a review in progress", what, mr["status"])
	}
	switch a.Rule {
	case "RQ-1":
		if url == "" || url != a.PRURL {
			return fmt.Sprintf("%s names PR %q, but the merge request records PR %q", what, a.PRURL, url)
		}
		if p := mr["pending"]; a.Type == reconciler.MergePR && (p == "" || p == "0") {
			return what + ": no pr_auto_merge flagged the merge request (auto_merge_pending unset)"
		}
	case "RQ-2", "RQ-3":
		if url != "" {
			return fmt.Sprintf("%s reopens a review whose PR %s is up: only PR-less reviews go back to the queue", what, url)
		}
	case "RQ-4":
		if url == "" {
			return what + " fails as orphaned a review without a PR: a PR-less review nobody works on is RQ-2's, reopened"
		}
		if mr["rig_id"] == "" || mr["off"] == "1" {
			return fmt.Sprintf("%s fails as orphaned a PR review of rig %s, whose code review is off: no refinery owned it", what, short(mr["rig_id"]))
		}
	}
	return ""
}

// everyTick reports, as of the tick's end, what the tick's reconcile
// named wrongly.
func (p *reviewSplitProp) everyTick(c *checker, _ *sim.TickRecord, _ *sim.World) {
	for _, v := range p.pending {
		v.At, v.Tick = c.now, c.ticks
		c.add(v)
	}
	p.pending = p.pending[:0]
}

func (p *reviewSplitProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no rule of RQ-1…RQ-4 acted on a merge request"
	}
	return ""
}
