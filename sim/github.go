package sim

import (
	"strconv"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// PR outcome plans, in GitHubConfig's weight order.
const (
	planMerge         = "merge"
	planClose         = "close"
	planComments      = "comments"
	planFailingChecks = "failing_checks"
	planApproval      = "approval"
	planConflict      = "conflict"
	planRejected      = "rejected"
)

var planNames = [...]string{planMerge, planClose, planComments, planFailingChecks, planApproval, planConflict, planRejected}

// pullRequest is one PR in the GitHub model.
type pullRequest struct {
	url        string
	rigID      string
	branch     string
	plan       string
	state      string    // open, merged or closed
	conflicts  bool      // mergeable_state dirty
	comments   bool      // unresolved review comments
	changes    bool      // review decision CHANGES_REQUESTED
	failing    bool      // CI fails when it completes
	checksAt   time.Time // CI completes at this time
	approveAt  time.Time // an approving review arrives (zero = none needed)
	many       bool      // CI has more check runs than one listing page (over 100)
	greenAt    time.Time // first feedback answer of the current green run (zero: none)
	late       bool      // the late change was drawn (GitHubConfig.LateChange)
	hand       bool      // the hand merge at the delay was drawn (GitHubConfig.HandMergeAtDelay)
	handMerged bool      // a human merged it by hand at the delay and closed its merge request
	early      bool      // the early change was drawn (GitHubConfig.EarlyChange)
	baseMoved  bool      // an early change's conflicting base commit is not reverted yet
	foreign    bool      // opened in the organisation's fork, not the rig's repository (GitHubConfig.Fork)
}

// github is the GitHub the Town polls and merges through: PRs keyed by
// URL https://github.com/<org>/<rig-repo>/pull/<n>, whose fate is drawn
// from the "github" stream when they are opened, and the API's answers,
// errors included.
type github struct {
	w    *World
	cfg  GitHubConfig
	r    *des.Rand               // PR plans and human delays
	api  *des.Rand               // API error draws
	prs  map[string]*pullRequest // by URL; looked up only
	next map[string]int          // last PR number per repository; looked up only
}

func newGitHub(w *World) *github {
	return &github{w: w, cfg: w.cfg.GitHub, r: w.src.Stream("github"), api: w.src.Stream("github/api"),
		prs: map[string]*pullRequest{}, next: map[string]int{}}
}

// rigOf returns the rig (a rig named "unknown" when there is none).
func (g *github) rigOf(rigID string) rigRec {
	for _, r := range g.w.rigs {
		if r.id == rigID {
			return r
		}
	}
	return rigRec{name: "unknown"}
}

// open creates a PR for branch in the rig's repository and draws its fate
// (a landing MR's PR may be closed instead: GitHubConfig.LandingClose).
func (g *github) open(rigID, branch string, landing bool) string {
	now := g.w.eng.Now()
	rig := g.rigOf(rigID)
	repo, org, key := rig.name, g.cfg.Org, rig.name
	foreign := !landing && g.cfg.Fork > 0 && g.w.src.Stream("github/fork").Bool(g.cfg.Fork)
	if foreign {
		org += "-fork"
		key = org + "/" + repo
	}
	g.next[key]++
	url := "https://github.com/" + org + "/" + repo + "/pull/" + strconv.Itoa(g.next[key])
	if rig.gitlab {
		url = "https://" + g.w.cfg.Town.gitLabHost() + "/" + org + "/" + repo + "/-/merge_requests/" +
			strconv.Itoa(g.next[key])
	}
	c := g.cfg
	plan := planNames[pickWeighted(g.r, c.Merge, c.Close, c.Comments, c.FailingChecks, c.Approval, c.Conflict, c.Rejected)]
	if landing && c.LandingClose > 0 && g.w.src.Stream("github/landing").Bool(c.LandingClose) {
		plan = planClose
	}
	pr := &pullRequest{url: url, rigID: rigID, branch: branch, plan: plan, state: "open",
		checksAt: now.Add(c.ChecksDelay.Sample(g.r)), foreign: foreign}
	if foreign {
		g.w.record("pr", des.F("url", url), des.F("event", "forked"))
	}
	switch plan {
	case planComments:
		pr.comments, pr.changes = true, true
	case planFailingChecks:
		pr.failing = true
	case planApproval:
		pr.approveAt = now.Add(c.ApprovalDelay.Sample(g.r))
	case planConflict:
		pr.conflicts = true
	case planRejected:
		pr.approveAt = neverApproved
	}
	if c.ManyChecks > 0 && g.w.src.Stream("github/many-checks").Bool(c.ManyChecks) {
		pr.many = true
		g.w.record("pr", des.F("url", url), des.F("event", "many_checks"))
	}
	g.prs[url] = pr
	g.w.stats.PRsOpened++
	g.w.record("pr", des.F("url", url), des.F("event", "opened"), des.F("plan", plan), des.F("branch", branch))
	if plan == planClose || plan == planRejected {
		g.w.eng.After(c.CloseDelay.Sample(g.r), func() { g.humanClose(pr) })
	} else {
		g.w.eng.Schedule(pr.checksAt.Add(c.MergeDelay.Sample(g.r)), func() { g.humanMerge(pr) })
	}
	return url
}

// neverApproved is the approval time of a rejected PR: after any run.
var neverApproved = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// green reports a PR a human or auto-merge may merge now.
func (g *github) green(pr *pullRequest) bool {
	now := g.w.eng.Now()
	return pr.state == "open" && !pr.conflicts && !pr.comments && !pr.changes && !pr.failing &&
		!now.Before(pr.checksAt) && !g.awaiting(pr)
}

// awaiting reports a PR that still waits for an approving review.
func (g *github) awaiting(pr *pullRequest) bool {
	return !pr.approveAt.IsZero() && g.w.eng.Now().Before(pr.approveAt)
}

// humanMerge merges a green PR, or looks again after another delay.
func (g *github) humanMerge(pr *pullRequest) {
	if pr.state != "open" {
		return
	}
	if g.green(pr) {
		g.setState(pr, "merged", "merged_by_human")
		return
	}
	g.w.eng.After(g.cfg.MergeDelay.Sample(g.r), func() { g.humanMerge(pr) })
}

func (g *github) humanClose(pr *pullRequest) {
	if pr.state == "open" {
		g.setState(pr, "closed", "closed_by_human")
	}
}

func (g *github) setState(pr *pullRequest, state, event string) {
	pr.state = state
	switch state {
	case "merged":
		g.w.stats.PRsMerged++
	case "closed":
		g.w.stats.PRsClosed++
	}
	g.w.record("pr", des.F("url", pr.url), des.F("event", event))
}

// fix is a polecat's push addressing a PR's feedback (comments, changes
// requested, failing CI) or, with conflicts, its merge conflicts. CI runs
// again.
func (g *github) fix(url string, conflicts bool) {
	pr := g.prs[url]
	if pr == nil || pr.state != "open" {
		return
	}
	if conflicts {
		pr.conflicts, pr.baseMoved = false, false
	} else {
		pr.comments, pr.changes, pr.failing = false, false, false
	}
	pr.checksAt = g.w.eng.Now().Add(g.cfg.ChecksDelay.Sample(g.r))
	g.w.record("pr", des.F("url", url), des.F("event", "fixed"), des.F("conflicts", conflicts))
}

// lateConflictDuring draws whether the target branch of a PR whose
// feedback a polecat has begun to address moves after d
// (GitHubConfig.LateConflict): the PR, still open and clean then, turns
// dirty.
func (g *github) lateConflictDuring(url string, d time.Duration) {
	pr := g.prs[url]
	if g.cfg.LateConflict == 0 || pr == nil || pr.plan != planComments ||
		!g.w.src.Stream("github/late-conflict").Bool(g.cfg.LateConflict) {
		return
	}
	g.w.eng.After(d, func() {
		if pr.state == "open" && !pr.conflicts {
			pr.conflicts = true
			g.w.record("pr", des.F("url", pr.url), des.F("event", "late_conflict"))
		}
	})
}

// requestChanges is a refinery's review in comments mode.
func (g *github) requestChanges(url string) {
	if pr := g.prs[url]; pr != nil && pr.state == "open" {
		pr.comments, pr.changes = true, true
		g.w.record("pr", des.F("url", url), des.F("event", "changes_requested"))
	}
}

// apiError draws an API failure: "" for a normal answer.
func (g *github) apiError() string {
	if g.w.faults.healedFor("github_5xx", "github_429", "github_404", "github_invalid", "github_network") {
		return ""
	}
	e := g.cfg.Errors
	// The last three weights are world settings, not fault kinds of the
	// swarm (they are zero unless a scenario sets them).
	i := pickWeighted(g.api, e.OK, e.ServerError, e.RateLimited, e.NotFound, e.Invalid, e.Network, e.WrongShape,
		e.Unauthorized, e.Forbidden, e.Gone)
	if i > 0 {
		g.w.faults.fire([...]string{"", "github_5xx", "github_429", "github_404", "github_invalid", "github_network",
			"github_wrong_shape", "github_401", "github_403", "github_410"}[i])
	}
	return [...]string{"", "server_error", "rate_limited", "not_found", "invalid", "network", "wrong_shape",
		"unauthorized", "forbidden", "gone"}[i]
}

// wrongShapeKeys are the top-level keys of the wrong-shaped answer the
// simulated GitHub gives: more than the eight the failure message keeps.
var wrongShapeKeys = []string{"message", "documentation_url", "status", "errors", "request_id",
	"resource", "field", "code", "scope"}

// respond answers the GitHub calls (reconciler.md §3.3, §3.4).
func (g *github) respond(c model.Call) (model.Result, time.Duration) {
	switch c.Kind {
	case model.CallPRStatus:
		switch apiErr := g.apiError(); apiErr {
		case "server_error":
			return model.Result{StatusCode: 502, PR: model.PRStatus{ErrKind: "http_error", HTTPStatus: 502}}, 0
		case "rate_limited":
			return model.Result{StatusCode: 429, PR: model.PRStatus{ErrKind: "http_error", HTTPStatus: 429}}, 0
		case "not_found":
			if pr := g.prs[c.URL]; g.cfg.NotFoundDeletes && pr != nil && pr.state == "open" {
				g.setState(pr, "closed", "deleted")
			}
			return model.Result{StatusCode: 404, PR: model.PRStatus{ErrKind: "http_error", HTTPStatus: 404}}, 0
		case "unauthorized", "forbidden", "gone":
			code := map[string]int{"unauthorized": 401, "forbidden": 403, "gone": 410}[apiErr]
			return model.Result{StatusCode: code, PR: model.PRStatus{ErrKind: "http_error", HTTPStatus: code}}, 0
		case "invalid":
			return model.Result{StatusCode: 200, PR: model.PRStatus{ErrKind: "invalid_response"}}, 0
		case "network":
			return model.Result{Err: "fetch failed"}, 0
		case "wrong_shape":
			// An error document instead of a pull request.
			return model.Result{StatusCode: 200, PR: model.PRStatus{ErrKind: "invalid_response",
				InvalidReason: "schema_mismatch", Keys: wrongShapeKeys}}, 0
		}
		pr := g.prs[c.URL]
		if pr == nil {
			return model.Result{StatusCode: 404, PR: model.PRStatus{ErrKind: "http_error", HTTPStatus: 404}}, 0
		}
		st := model.PRStatus{OK: true, State: pr.state}
		if pr.state == "open" {
			st.MergeableState = g.mergeableState(pr)
		}
		return model.Result{StatusCode: 200, PR: st}, 0
	case model.CallPRFeedback:
		pr := g.prs[c.URL]
		if g.apiError() != "" || pr == nil {
			return model.Result{StatusCode: 200}, 0 // production's null
		}
		f := g.feedback(pr)
		g.lateChange(pr)
		g.earlyChange(pr)
		g.handMergeAtDelay(pr)
		return model.Result{StatusCode: 200, Feedback: f}, 0
	case model.CallMergePR:
		pr := g.prs[c.URL]
		fail := !g.w.faults.healedFor("merge_fail") && g.api.Bool(g.cfg.MergeFail)
		if fail {
			g.w.faults.fire("merge_fail", des.F("url", c.URL))
		}
		timeout := g.w.faults.roll(FaultMergeTimeout)
		if timeout {
			g.w.faults.fire(FaultMergeTimeout, des.F("url", c.URL))
		}
		if pr == nil || fail || !g.green(pr) {
			if timeout {
				return model.Result{Err: "timeout"}, 30 * time.Second
			}
			return model.Result{StatusCode: 405, OK: false}, 0
		}
		g.setState(pr, "merged", "merged_by_api")
		if timeout {
			// The merge went through; the answer never came back.
			return model.Result{Err: "timeout"}, 30 * time.Second
		}
		return model.Result{StatusCode: 200, OK: true}, 0
	}
	return model.Result{StatusCode: 200}, 0
}

// lateChange runs after a feedback answer when GitHubConfig.LateChange is
// on: a PR found green for at least the town's auto-merge delay draws,
// once, whether something holds its merge back right after the answer
// (before the Town's merge re-checks the feedback), and what.
func (g *github) lateChange(pr *pullRequest) {
	if g.cfg.LateChange <= 0 || pr.late || !g.greenForDelay(pr) {
		return
	}
	now := g.w.eng.Now()
	pr.late = true
	r := g.w.src.Stream("github/late-change")
	if !r.Bool(g.cfg.LateChange) {
		return
	}
	kind := [...]string{"late_comment", "late_review_request", "late_ci_run"}[pickWeighted(r, 1, 1, 1)]
	switch kind {
	case "late_comment":
		pr.comments = true
	case "late_review_request":
		pr.approveAt = now.Add(g.cfg.ApprovalDelay.Sample(r))
	case "late_ci_run":
		pr.checksAt = now.Add(g.cfg.ChecksDelay.Sample(r))
	}
	g.w.record("pr", des.F("url", pr.url), des.F("event", kind))
}

// greenForDelay reports whether the PR has been green (and not one of
// several PRs of a branch) for at least the town's auto-merge delay, as
// of this feedback answer; it starts the PR's green clock at the first
// green answer and stops it at any other.
func (g *github) greenForDelay(pr *pullRequest) bool {
	now := g.w.eng.Now()
	if !g.green(pr) || pr.many {
		pr.greenAt = time.Time{}
		return false
	}
	if pr.greenAt.IsZero() {
		pr.greenAt = now
	}
	return now.Sub(pr.greenAt) >= g.w.cfg.Town.AutoMergeDelay
}

// earlyChange runs after a feedback answer when GitHubConfig.EarlyChange
// is on: at the first answer that finds a PR green it draws, once,
// whether CI runs again or a review is requested again some time before
// the town's auto-merge delay is up, and schedules it.
func (g *github) earlyChange(pr *pullRequest) {
	if g.cfg.EarlyChange <= 0 || pr.early || !g.green(pr) {
		return
	}
	pr.early = true
	r := g.w.src.Stream("github/early-change")
	if !r.Bool(g.cfg.EarlyChange) {
		return
	}
	kind := [...]string{"early_ci_run", "early_review_request", "early_base_conflict"}[pickWeighted(r, 1, 1, 1)]
	delay := g.w.cfg.Town.AutoMergeDelay
	after := r.Uniform(delay/5, delay*3/5)
	var wait time.Duration
	switch kind {
	case "early_ci_run":
		wait = g.cfg.ChecksDelay.Sample(r)
	case "early_review_request":
		wait = g.cfg.ApprovalDelay.Sample(r)
	default:
		wait = r.Uniform(90*time.Second, 3*time.Minute)
	}
	g.w.eng.After(after, func() {
		if !g.green(pr) {
			return
		}
		now := g.w.eng.Now()
		switch kind {
		case "early_ci_run":
			pr.checksAt = now.Add(wait)
		case "early_review_request":
			pr.approveAt = now.Add(wait)
		default:
			// A conflicting commit lands on the base branch and is
			// reverted after wait: the PR is dirty meanwhile, and clean
			// again without a push (CI does not run again).
			pr.conflicts, pr.baseMoved = true, true
			g.w.eng.After(wait, func() {
				if pr.baseMoved && pr.state == "open" {
					pr.conflicts, pr.baseMoved = false, false
					g.w.record("pr", des.F("url", pr.url), des.F("event", "base_reverted"))
				}
			})
		}
		g.w.record("pr", des.F("url", pr.url), des.F("event", kind))
	})
}

// mergeableState is GitHub's mergeable_state of an open PR.
func (g *github) mergeableState(pr *pullRequest) string {
	switch {
	case pr.conflicts:
		return "dirty"
	case g.awaiting(pr) || pr.changes:
		return "blocked"
	case pr.failing || g.w.eng.Now().Before(pr.checksAt):
		return "unstable" // CI failing or still running
	}
	return "clean"
}

// feedback is the GraphQL/check-runs answer of checkPRFeedback.
func (g *github) feedback(pr *pullRequest) *model.PRFeedback {
	now := g.w.eng.Now()
	done := !now.Before(pr.checksAt)
	f := &model.PRFeedback{
		HasUnresolvedComments: pr.comments,
		HasFailingChecks:      done && pr.failing,
		AllChecksPass:         done && !pr.failing && !pr.many,
		HasUncheckedRuns:      pr.many, // runs past the first page of the listing
	}
	switch {
	case pr.changes:
		f.ReviewDecision = "CHANGES_REQUESTED"
	case g.awaiting(pr):
		f.ReviewDecision = "REVIEW_REQUIRED"
	case !pr.approveAt.IsZero():
		f.ReviewDecision = "APPROVED"
	}
	switch {
	case pr.conflicts:
		f.MergeStateStatus = "DIRTY"
	case g.awaiting(pr):
		f.MergeStateStatus = "BLOCKED"
	case !done || pr.failing:
		f.MergeStateStatus = "UNSTABLE"
	default:
		f.MergeStateStatus = "CLEAN"
	}
	return f
}
