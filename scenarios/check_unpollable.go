package scenarios

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/townsim/townsim/sim"
)

// PropUnpollableFailsFast is the name of unpollableFailsFastProp.
const PropUnpollableFailsFast = "bounds/unpollable-pr-fails-at-first-poll"

// unpollableFailsFastProp: a merge request in progress whose PR URL no
// provider of the town can ever poll leaves in_progress within one PR poll
// interval (production 60 s) plus 30 s, counted over at least 6 ticks that
// ran. RQ-1 polls an MR that was never polled on the next reconcile, and a
// configuration error — a URL that is neither a GitHub PR nor a GitLab MR,
// a GitLab MR on a host other than gitlab.com and the configured instance,
// a host the town has no token for — never heals, so production fails the
// MR at that first poll (reconciler.md §3.3; PR #3160 stopped retrying
// them as three-strike errors). Whether a URL can be polled is decided
// from the URL and the world's settings (its GitHub token, its GitLab rigs
// and host), not from the port's classification.
type unpollableFailsFastProp struct {
	since  map[string]time.Time // URL → first tick seen in progress
	ticks  map[string]int       // URL → ticks that ran since
	judged int
}

// The URL shapes production's PR poller recognises.
var (
	pollGitHubPR = regexp.MustCompile(`^https://github\.com/[^/]+/[^/]+/pull/\d+`)
	pollGitLabMR = regexp.MustCompile(`^https://[^/]+/.+/-/merge_requests/\d+`)
)

// unpollableFailsFastTicks is the least number of ticks that ran before a
// violation: a tick that fired less often (a slow container) is no poll.
const unpollableFailsFastTicks = 6

// prNeverPollable reports whether the town can never poll url, from the
// world's settings.
func prNeverPollable(s sim.TownSettings, u string) bool {
	switch {
	case pollGitHubPR.MatchString(u):
		return !worldGitHubToken(s)
	case pollGitLabMR.MatchString(u):
		if s.GitLabRigs == 0 {
			return true // no GitLab token
		}
		parsed, err := url.Parse(u)
		if err != nil {
			return true
		}
		h := parsed.Hostname()
		return h != "gitlab.com" && h != gitLabHostOf(s)
	}
	return true
}

func (p *unpollableFailsFastProp) tick(c *checker, t *tickView) {
	urls, err := t.db.Strings(`SELECT r.pr_url FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND b.status = 'in_progress' AND r.pr_url IS NOT NULL AND r.pr_url != ''`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	open := map[string]bool{}
	for _, u := range urls {
		if prNeverPollable(c.cfg.Town, u) {
			open[u] = true
		}
	}
	maps.DeleteFunc(p.since, func(u string, _ time.Time) bool {
		if open[u] {
			return false
		}
		delete(p.ticks, u)
		return true
	})
	ran := t.res != nil && t.res.Ran && !t.rec.Threw
	bound := c.cfg.Knobs.Resolved().PRPollInterval + 30*time.Second
	for _, u := range slices.Sorted(maps.Keys(open)) {
		at, seen := p.since[u]
		if !seen {
			p.since[u] = c.now
			p.judged++
			continue
		}
		if ran {
			p.ticks[u]++
		}
		if c.now.Sub(at) > bound && p.ticks[u] >= unpollableFailsFastTicks {
			c.violation(PropUnpollableFailsFast, u, "merge request with PR URL %s, which the town can never poll, still in progress %s "+
				"after it was first seen there (%d ticks ran; production fails it at its first poll)", u, c.now.Sub(at).Round(time.Second), p.ticks[u])
		}
	}
}

func (p *unpollableFailsFastProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge request with a PR URL the town cannot poll was in progress"
	}
	return ""
}
