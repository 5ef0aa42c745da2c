package scenarios

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// A failure judged against the world's facts. `nothing-fails-without-cause`
// accepts any cause production names; this property asks whether the
// world gives that cause a reason to exist. Two causes carry a fact only
// the world knows:
//
//   - a merge request failed by RQ-1's poll-error path (reconciler.md
//     §3.3: metadata failureReason pr_poll_failed with its failureKind):
//     no_token only when the world gave the town no token for the PR's
//     host; host_mismatch only for a host that is neither gitlab.com nor
//     the GitLab instance the world configured; unrecognized_url never for
//     a PR the world's GitHub or GitLab opened; http_error and
//     invalid_response only when the world answered that PR's status calls
//     with that error — 10 transient answers (5xx, 429) in a row, 3
//     invalid ones in a row, or one non-transient HTTP error, as the last
//     answers before the failure (thrown calls change no counter);
//   - a bead failed for exhausted dispatch attempts ("max dispatch
//     attempts exceeded (N)", "... exhausted (N)", BD-1, BD-2, BD-3, RQ-6):
//     the Town asked the container to start that bead at least N times,
//     and at least once (each dispatch increments the counter just before
//     its start call; AG-3 only lowers it).
//
// A fault of the Town's own code or a Town restart fired before the
// failure excuses it: production has no transactions, so a cut write can
// leave a counter that no longer matches the calls.
type causeInWorldProp struct {
	answers map[string][]prAnswer // PR URL → status answers, in order
	starts  map[string]int        // bead → start calls for it
	failed  int
}

// prAnswer is one answered status call of a PR: its time and class.
type prAnswer struct {
	at    time.Time
	class string // ok, transient, http (non-transient), invalid
}

// The poll error thresholds (constants table: PR_POLL_NULL_THRESHOLD and
// the non-transient threshold).
const (
	pollTransientRun = 10
	pollInvalidRun   = 3
)

func newCauseInWorldProp() property {
	return &causeInWorldProp{answers: map[string][]prAnswer{}, starts: map[string]int{}}
}

func (p *causeInWorldProp) call(_ *checker, call model.Call, r model.Result, now time.Time) {
	switch call.Kind {
	case model.CallStartAgent:
		if call.BeadID != "" {
			p.starts[call.BeadID]++
		}
	case model.CallPRStatus:
		if r.Err != "" {
			return // a thrown call: production changes no counter
		}
		p.answers[call.URL] = append(p.answers[call.URL], prAnswer{at: now, class: answerClass(r.PR)})
	}
}

// answerClass sorts a status answer as production's poll does.
func answerClass(pr model.PRStatus) string {
	switch {
	case pr.OK:
		return "ok"
	case pr.ErrKind == "http_error" && (pr.HTTPStatus >= 500 || pr.HTTPStatus == 429):
		return "transient"
	case pr.ErrKind == "http_error":
		return "http"
	case pr.ErrKind == "" || pr.ErrKind == "invalid_response":
		return "invalid"
	}
	return pr.ErrKind
}

// attemptsRe reads N of the reconciler's exhausted-attempts reasons.
var attemptsRe = regexp.MustCompile(`dispatch attempts (?:exceeded|exhausted) \((-?\d+)\)`)

func (p *causeInWorldProp) end(c *checker, w *sim.World, db *model.DB) {
	excuse := c.causeExcuses()
	worldPRs := map[string]bool{}
	for _, pr := range w.PRs() {
		worldPRs[pr.URL] = true
	}
	rows, err := db.Query(`SELECT b.bead_id, COALESCE(rm.pr_url, ''),
			COALESCE(json_extract(b.metadata, '$.failureReason'), ''), COALESCE(json_extract(b.metadata, '$.failureKind'), ''),
			COALESCE(e.created_at, ''), COALESCE(e.metadata, '')
		FROM beads b
		LEFT JOIN review_metadata rm ON rm.bead_id = b.bead_id
		LEFT JOIN bead_events e ON e.bead_event_id = (SELECT e2.bead_event_id FROM bead_events e2
			WHERE e2.bead_id = b.bead_id AND e2.event_type = 'status_changed' AND e2.new_value = 'failed'
			ORDER BY e2.created_at DESC LIMIT 1)
		WHERE b.type IN ('issue', 'merge_request') AND b.status = 'failed' ORDER BY b.bead_id`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	type failure struct{ id, url, reason, kind, at, meta string }
	var fs []failure
	for rows.Next() {
		var f failure
		if err := rows.Scan(&f.id, &f.url, &f.reason, &f.kind, &f.at, &f.meta); err == nil {
			fs = append(fs, f)
		}
	}
	rows.Close()
	for _, f := range fs {
		at, ok := model.ParseTime(f.at)
		if !ok {
			at = c.now
		}
		if f.reason == "pr_poll_failed" {
			p.failed++
			if !excuse(at) {
				if why := p.pollFailureUnfounded(c.cfg.Town, worldPRs, f.url, f.kind, at); why != "" {
					c.violation(PropCauseInWorld, f.id, "merge request %s failed for PR poll errors (%s) on %s, but %s",
						short(f.id), f.kind, f.url, why)
				}
			}
			continue
		}
		if m := attemptsRe.FindStringSubmatch(f.meta); m != nil {
			p.failed++
			n, _ := strconv.Atoi(m[1])
			if starts := p.starts[f.id]; starts < max(n, 1) && !excuse(at) {
				c.violation(PropCauseInWorld, f.id, "bead %s failed for exhausted dispatch attempts (%d), but the Town asked the "+
					"container to start it %d times", short(f.id), n, starts)
			}
		}
	}
}

// pollFailureUnfounded says why the world does not back a poll failure of
// kind on prURL at time at ("" when it does).
func (p *causeInWorldProp) pollFailureUnfounded(s sim.TownSettings, worldPRs map[string]bool, prURL, kind string, at time.Time) string {
	gitHub := strings.HasPrefix(prURL, "https://github.com/")
	switch kind {
	case "no_token":
		if gitHub && worldGitHubToken(s) {
			return "the world gave the town a GitHub token (" + string(s.GitHubToken) + ")"
		}
		if !gitHub && s.GitLabRigs > 0 {
			return "the world gave the town a GitLab token"
		}
	case "host_mismatch":
		if u, err := url.Parse(prURL); err == nil && (u.Hostname() == "gitlab.com" || (s.GitLabRigs > 0 && u.Hostname() == gitLabHostOf(s))) {
			return "its host " + u.Hostname() + " is gitlab.com or the GitLab instance the world configured"
		}
	case "unrecognized_url":
		if worldPRs[prURL] {
			return "the world's GitHub or GitLab opened that PR"
		}
	case "http_error", "invalid_response":
		return p.errorRunUnfounded(prURL, kind, at)
	}
	return ""
}

// errorRunUnfounded checks the last status answers of prURL up to at:
// the run of errors production's counters need to fail the MR.
func (p *causeInWorldProp) errorRunUnfounded(prURL, kind string, at time.Time) string {
	as := p.answers[prURL]
	i := len(as) - 1
	for i >= 0 && as[i].at.After(at.Add(time.Millisecond)) { // the event time is ISO, whole milliseconds
		i--
	}
	if i < 0 {
		return "the world answered no status call of that PR before the failure"
	}
	last := as[i].class
	want := map[string]int{"transient": pollTransientRun, "invalid": pollInvalidRun, "http": 1}[last]
	if want == 0 || (kind == "invalid_response") != (last == "invalid") {
		return "the world's last answer to its status calls before the failure was " + last
	}
	run := 0
	for ; i >= 0 && as[i].class == last; i-- {
		run++
	}
	if run < want {
		return "the world answered only " + strconv.Itoa(run) + " " + last + " errors in a row before the failure (production fails at " +
			strconv.Itoa(want) + ")"
	}
	return ""
}

// worldGitHubToken reports whether the world configured a GitHub token
// production's PR poller resolves: a CLI PAT, a town platform integration
// (the world's token service mints for any id) or a stored token. A rig's
// integration alone is never passed to the poller's chain.
func worldGitHubToken(s sim.TownSettings) bool {
	switch s.GitHubToken {
	case sim.TokenStored, sim.TokenCLIPAT, sim.TokenTownIntegration:
		return true
	}
	return false
}

// gitLabHostOf is the host of the world's GitLab rigs.
func gitLabHostOf(s sim.TownSettings) string {
	if s.GitLabHost == "" {
		return "gitlab.com"
	}
	return s.GitLabHost
}

func (p *causeInWorldProp) unjudged(*checker) string {
	if p.failed == 0 {
		return "no merge request failed for PR poll errors and no bead for exhausted dispatch attempts"
	}
	return ""
}

// causeExcuses returns whether a failure at a time is excused: a fault of
// the Town's own code, or a restart of the Town, fired at or before it.
func (c *checker) causeExcuses() func(time.Time) bool {
	var kinds []string
	for _, k := range sim.FaultKinds() {
		if k.Side == sim.SideCode || k.Name == sim.FaultTownRestart || k.Name == sim.FaultSlingRestart {
			kinds = append(kinds, k.Name)
		}
	}
	return func(at time.Time) bool { return c.faultNear(c.start, at, kinds...) }
}
