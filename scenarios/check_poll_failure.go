package scenarios

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropPollFailureNamed names pollFailureNamedProp.
const PropPollFailureNamed = "safety/pr-poll-failure-names-cause"

// pollFailureNamedProp: a merge request failed by RQ-1's poll-error path
// tells the user why, in the provider's own words, and reports the same
// cause to analytics (reconciler.md §3.3, "On error", step 5). Judged at
// the end of the tick where the MR is first seen failed with failureReason
// pr_poll_failed, against the PR URL and the world's last status answer
// for it:
//
//   - the failureMessage never speaks of the other provider: a GitHub PR's
//     message names no GitLab and no merge request (MR), a GitLab MR's no
//     GitHub and no pull request (an unrecognised URL, which may be
//     either, is exempt);
//   - per kind, it names the cause: no_token the provider and its token;
//     http_error "HTTP <status>" with the status the world answered, for
//     401 and 403 the token, for 404 that the PR (GitLab: MR) was not found, for any
//     other status its status text and the provider, and no promise of a
//     retry for a status that is not transient; invalid_response
//     the provider and the world's reason (json_parse or
//     schema_mismatch, then the answer's first top-level key; no keys for
//     a body that did not parse);
//     unrecognized_url the URL; host_mismatch the URL's host and the
//     host the town expects (the GitLab instance the world configured,
//     gitlab.com without one);
//   - its pr.poll_failed data point carries the bead's failureKind as
//     its reason, the provider of the URL ("github", "gitlab", "" for an
//     unrecognised URL) as its label, and the HTTP status the world
//     answered for an http_error (none for any other kind).
//
// It reads the Town's PR status answers (the world's record), its
// analytics data points, and rows: failed MRs' metadata (failureReason,
// failureKind, failureMessage) and review_metadata PR URL.
type pollFailureNamedProp struct {
	answer  map[string]model.PRStatus // PR URL → the last status answer (thrown calls excluded)
	pending []model.AnalyticsEvent    // pr.poll_failed data points of this tick
	done    map[string]bool           // MRs judged
	judged  int
}

// prMRWord matches a merge request called MR.
var prMRWord = regexp.MustCompile(`\bMRs?\b`)

// providerOfURL is the provider whose URL shape prURL has: "github",
// "gitlab" or "".
func providerOfURL(prURL string) string {
	switch {
	case pollGitHubPR.MatchString(prURL):
		return "github"
	case pollGitLabMR.MatchString(prURL):
		return "gitlab"
	}
	return ""
}

func (p *pollFailureNamedProp) call(_ *checker, call model.Call, r model.Result, _ time.Time) {
	if call.Kind != model.CallPRStatus || r.Err != "" {
		return
	}
	if p.answer == nil {
		p.answer = map[string]model.PRStatus{}
	}
	p.answer[call.URL] = r.PR
}

func (p *pollFailureNamedProp) analytics(_ *checker, e model.AnalyticsEvent, _ *sim.World) {
	if e.Event == "pr.poll_failed" {
		p.pending = append(p.pending, e)
	}
}

func (p *pollFailureNamedProp) tick(c *checker, t *tickView) {
	if p.done == nil {
		p.done = map[string]bool{}
	}
	rows, err := t.db.Query(`SELECT b.bead_id, COALESCE(rm.pr_url, ''), COALESCE(json_extract(b.metadata, '$.failureKind'), ''),
			COALESCE(json_extract(b.metadata, '$.failureMessage'), '')
		FROM beads b LEFT JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND b.status = 'failed'
		  AND json_extract(b.metadata, '$.failureReason') = 'pr_poll_failed' ORDER BY b.bead_id`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	type failed struct{ url, kind, msg string }
	byID := map[string]failed{}
	var fresh []string
	for rows.Next() {
		var id string
		var f failed
		if rows.Scan(&id, &f.url, &f.kind, &f.msg) == nil {
			byID[id] = f
			if !p.done[id] {
				fresh = append(fresh, id)
			}
		}
	}
	rows.Close()
	for _, id := range fresh {
		p.done[id] = true
		f := byID[id]
		p.judged++
		if why := p.messageWrong(f.url, f.kind, f.msg, expectedGitLabHost(c.cfg.Town)); why != "" {
			c.violation(PropPollFailureNamed, id, "merge request %s failed for PR poll errors (%s) on %s with the message %q, which %s",
				short(id), f.kind, f.url, f.msg, why)
		}
	}
	for _, e := range p.pending {
		f, ok := byID[e.BeadID]
		if !ok {
			continue
		}
		if why := p.dataPointWrong(e, f.url, f.kind); why != "" {
			c.violation(PropPollFailureNamed, e.BeadID+" analytics", "merge request %s failed for PR poll errors (%s) on %s: its pr.poll_failed data point %s",
				short(e.BeadID), f.kind, f.url, why)
		}
	}
	p.pending = p.pending[:0]
}

// messageWrong says what the failure message of kind on prURL fails to
// say, or says wrongly ("" when it names the cause).
func (p *pollFailureNamedProp) messageWrong(prURL, kind, msg, gitLabHost string) string {
	if msg == "" {
		return "is empty"
	}
	lower := strings.ToLower(msg)
	provider := providerOfURL(prURL)
	if kind != "unrecognized_url" {
		switch provider {
		case "github":
			if strings.Contains(lower, "gitlab") || strings.Contains(lower, "merge request") || prMRWord.MatchString(msg) {
				return "speaks of GitLab or a merge request (MR) for a GitHub PR"
			}
		case "gitlab":
			if strings.Contains(lower, "github") || strings.Contains(lower, "pull request") || strings.Contains(lower, "pull-request") {
				return "speaks of GitHub or a pull request for a GitLab MR"
			}
		}
	}
	has := func(s string) bool { return strings.Contains(lower, strings.ToLower(s)) }
	ans, answered := p.answer[prURL]
	switch kind {
	case "no_token":
		if !has("token") || (provider != "" && !has(provider)) {
			return "does not name the missing " + provider + " token"
		}
	case "http_error":
		if !answered || ans.ErrKind != "http_error" {
			return "" // the cause itself is failure-cause-in-world's to judge
		}
		code := ans.HTTPStatus
		if !has("HTTP " + strconv.Itoa(code)) {
			return fmt.Sprintf("does not name the HTTP status the world answered (%d)", code)
		}
		switch code {
		case 401, 403:
			if !has("token") {
				return "does not say the town's token is at fault"
			}
		case 404:
			what := "PR"
			if provider == "gitlab" {
				what = "MR"
			}
			if !has(what + " not found") {
				return "does not say the " + what + " itself was not found"
			}
		default:
			if !has(http.StatusText(code)) || !has(provider) {
				return fmt.Sprintf("does not name the provider and the status text of HTTP %d", code)
			}
			if code < 500 && code != 429 && has("retrying") {
				return fmt.Sprintf("promises a retry, but HTTP %d fails the MR for good", code)
			}
		}
	case "invalid_response":
		if !answered || ans.OK || (ans.ErrKind != "" && ans.ErrKind != "invalid_response") {
			return ""
		}
		reason := "json_parse"
		if ans.InvalidReason == "schema_mismatch" {
			reason = "schema_mismatch"
		}
		if !has(reason) || !has(provider) {
			return "does not name the provider and the world's reason (" + reason + ")"
		}
		if reason == "schema_mismatch" && len(ans.Keys) > 0 && !strings.Contains(msg, ans.Keys[0]) {
			return "does not list the answer's top-level keys (" + ans.Keys[0] + ", ...)"
		}
		if reason == "json_parse" && has("keys") {
			return "lists top-level keys of a body that did not parse"
		}
	case "unrecognized_url":
		if !strings.Contains(msg, prURL) {
			return "does not name the URL"
		}
	case "host_mismatch":
		if u, err := url.Parse(prURL); err == nil && !has(u.Hostname()) {
			return "does not name the refused host " + u.Hostname()
		}
		if !has(gitLabHost) {
			return "does not name the configured host " + gitLabHost
		}
	}
	return ""
}

// dataPointWrong says how a pr.poll_failed data point disagrees with the
// failure's kind, its URL's provider and the world's answer.
func (p *pollFailureNamedProp) dataPointWrong(e model.AnalyticsEvent, prURL, kind string) string {
	if e.Reason != kind {
		return fmt.Sprintf("names the reason %q, not the failure's kind", e.Reason)
	}
	want := providerOfURL(prURL)
	if kind == "unrecognized_url" {
		want = ""
	}
	if e.Label != want {
		return fmt.Sprintf("names the provider %q, not %q", e.Label, want)
	}
	code := 0
	if ans, ok := p.answer[prURL]; ok && kind == "http_error" && ans.ErrKind == "http_error" {
		code = ans.HTTPStatus
	}
	if kind != "http_error" || code != 0 {
		if int(e.StatusCode) != code {
			return fmt.Sprintf("carries the status code %v, not %d", e.StatusCode, code)
		}
	}
	return ""
}

func (p *pollFailureNamedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge request failed for PR poll errors"
	}
	return ""
}

// expectedGitLabHost is the GitLab host the world configured the town
// for: its GitLab rigs' instance, gitlab.com without GitLab rigs or
// instance URL.
func expectedGitLabHost(s sim.TownSettings) string {
	if s.GitLabRigs > 0 {
		return gitLabHostOf(s)
	}
	return "gitlab.com"
}
