package scenarios

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// prPolledTicks is how many reconciling ticks an in-progress merge
// request with a PR may go without a status call for that PR. RQ-1 polls
// each such merge request once its last poll is a minute old (production's
// PR_POLL_INTERVAL); an active town ticks every 5 s, so a poll is due
// every ~12 ticks, and 60 ticks leave room for about five polls whose
// side effect a fault cut before the call.
const prPolledTicks = 60

// prPolledProp: an in-progress merge request with a PR URL gets a status
// call for that PR (to GitHub or GitLab, answered or not) within
// prPolledTicks ticks that ran to their end. It reads the rows (the
// merge requests and their PR URLs), the Town's calls and the tick
// records, and judges only PRs on a host the world gave the town a
// token for (a stored or CLI GitHub token; GitLab rigs always get one):
// without a token production checks nothing and calls nobody.
type prPolledProp struct {
	waiting map[string]int // PR URL → reconciling ticks since its last status call
	judged  int
}

func (p *prPolledProp) call(_ *checker, call model.Call, _ model.Result, _ time.Time) {
	if call.Kind != model.CallPRStatus {
		return
	}
	if n, ok := p.waiting[call.URL]; ok {
		if n > 0 {
			p.judged++
		}
		p.waiting[call.URL] = 0
	}
}

func (p *prPolledProp) tick(c *checker, t *tickView) {
	urls, err := t.db.Strings(`SELECT r.pr_url FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND b.status = 'in_progress' AND r.pr_url IS NOT NULL AND r.pr_url != ''`)
	if err != nil {
		return
	}
	open := map[string]bool{}
	for _, u := range urls {
		if prPolledJudged(c.cfg.Town, u) {
			open[u] = true
		}
	}
	maps.DeleteFunc(p.waiting, func(u string, _ int) bool { return !open[u] })
	ran := t.res != nil && t.res.Ran && !t.rec.Threw
	for _, u := range slices.Sorted(maps.Keys(open)) {
		n, seen := p.waiting[u]
		if !seen {
			p.waiting[u] = 0
			continue
		}
		if ran {
			n++
			p.waiting[u] = n
		}
		if n > prPolledTicks {
			c.violation(PropPRPolled, u, "merge request with PR %s in progress for %d reconciling ticks without a status call for it (bound %d)",
				u, n, prPolledTicks)
		}
	}
}

func (p *prPolledProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no in-progress merge request with a PR was polled twice"
	}
	return ""
}

// prPolledJudged reports whether the world gave the town a token for the
// host of url.
func prPolledJudged(s sim.TownSettings, url string) bool {
	if strings.HasPrefix(url, "https://github.com/") {
		return s.GitHubToken == sim.TokenStored || s.GitHubToken == sim.TokenCLIPAT
	}
	return s.GitLabRigs > 0
}
