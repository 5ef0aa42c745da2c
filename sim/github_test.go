package sim

import (
	"testing"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// PR outcomes and GitHub API answers, and what the Town makes of them.
func TestGitHubPROutcomes(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *GitHubConfig)
		// flip, when set, is checked every 10 s; once true the GitHub model
		// turns healthy (merge plans, no errors).
		flip  func(p *probe) bool
		check func(t *testing.T, p *probe)
	}{
		{"closed unmerged: the MR fails, the issue is redone", func(c *GitHubConfig) { c.Merge, c.Close = 0, 1 },
			func(p *probe) bool { return p.w.Stats().PRsClosed > 0 },
			func(t *testing.T, p *probe) {
				if s := p.w.Stats(); s.PRsOpened < 2 || s.PRsMerged != 1 {
					t.Errorf("PRs opened %d merged %d; want a second PR merged", s.PRsOpened, s.PRsMerged)
				}
				// The first MR failed ("PR closed without merge"); the second's
				// merge then closes it too: completeReviewWithResult closes every
				// sibling MR, failed ones included (model.md §4.17 5b).
				failed, _ := p.w.town.DB().Int(`SELECT count(*) FROM bead_events WHERE event_type = 'review_completed' AND new_value = 'failed'`)
				closed, _ := p.w.town.DB().Int(`SELECT count(*) FROM beads WHERE type = 'merge_request' AND status = 'closed'`)
				if failed != 1 || closed != 2 {
					t.Errorf("failed reviews %d (want 1), closed MRs %d (want 2)", failed, closed)
				}
			}},
		{"rejected: awaiting approval until a human closes it; the MR fails, the issue is redone",
			func(c *GitHubConfig) { c.Merge, c.Rejected = 0, 1 },
			func(p *probe) bool { return p.w.Stats().PRsClosed > 0 },
			func(t *testing.T, p *probe) {
				if a := p.w.Stats().Analytics; a["pr.awaiting_approval_detected"] == 0 {
					t.Errorf("a rejected PR was never seen awaiting approval: %v", a)
				}
				// The MR failed keeping the flag its last poll wrote (the
				// second PR's merge then closes it as a sibling).
				n, _ := p.w.town.DB().Int(`SELECT count(*) FROM beads b WHERE b.type = 'merge_request'
					AND json_extract(b.metadata, '$.awaiting_approval') = 1 AND EXISTS (SELECT 1 FROM bead_events e
					WHERE e.bead_id = b.bead_id AND e.event_type = 'status_changed' AND e.new_value = 'failed')`)
				if n != 1 {
					t.Errorf("%d failed MRs awaiting approval, want 1", n)
				}
			}},
		{"review comments: a feedback bead fixes them", func(c *GitHubConfig) { c.Merge, c.Comments = 0, 1 }, nil,
			func(t *testing.T, p *probe) {
				if p.beadsLabelled(model.LabelPRFeedback, model.StatusClosed) != 1 {
					t.Errorf("feedback beads closed %d, want 1", p.beadsLabelled(model.LabelPRFeedback, model.StatusClosed))
				}
			}},
		{"failing checks: a feedback bead fixes CI", func(c *GitHubConfig) { c.Merge, c.FailingChecks = 0, 1 }, nil,
			func(t *testing.T, p *probe) {
				if p.beadsLabelled(model.LabelPRFeedback, model.StatusClosed) != 1 {
					t.Errorf("feedback beads closed %d, want 1", p.beadsLabelled(model.LabelPRFeedback, model.StatusClosed))
				}
			}},
		{"conflicts: a conflict bead rebases", func(c *GitHubConfig) { c.Merge, c.Conflict = 0, 1 }, nil,
			func(t *testing.T, p *probe) {
				if p.beadsLabelled(model.LabelPRConflict, model.StatusClosed) != 1 {
					t.Errorf("conflict beads closed %d, want 1", p.beadsLabelled(model.LabelPRConflict, model.StatusClosed))
				}
			}},
		{"waiting for approval is detected and resolved", func(c *GitHubConfig) { c.Merge, c.Approval = 0, 1 }, nil,
			func(t *testing.T, p *probe) {
				a := p.w.Stats().Analytics
				if a["pr.awaiting_approval_detected"] == 0 || a["pr.awaiting_approval_resolved"] == 0 {
					t.Errorf("awaiting approval analytics %v", a)
				}
			}},
		{"auto-merge merges a green PR through merge_pr", func(c *GitHubConfig) { c.MergeDelay = des.Const(5 * time.Hour) }, nil,
			func(t *testing.T, p *probe) {
				if p.countActions("merge_pr") == 0 || p.countCalls(model.CallMergePR, func(r model.Result) bool { return r.OK }) != 1 {
					t.Errorf("merge_pr actions %d", p.countActions("merge_pr"))
				}
			}},
		{"404 fails the MR at once", func(c *GitHubConfig) { c.Errors = APIErrorWeights{NotFound: 1} },
			func(p *probe) bool { return p.w.Stats().Analytics["pr.poll_failed"] > 0 },
			func(t *testing.T, p *probe) {
				if p.w.Stats().Analytics["pr.poll_failed"] != 1 {
					t.Errorf("poll failures %d, want 1", p.w.Stats().Analytics["pr.poll_failed"])
				}
			}},
		{"transient 5xx are retried", func(c *GitHubConfig) { c.Errors = APIErrorWeights{OK: 1, ServerError: 1, RateLimited: 1} }, nil,
			func(t *testing.T, p *probe) {
				n := p.countCalls(model.CallPRStatus, func(r model.Result) bool { return r.PR.HTTPStatus >= 429 })
				if n == 0 || p.w.Stats().Analytics["pr.poll_failed"] != 0 {
					t.Errorf("transient answers %d, poll failures %d", n, p.w.Stats().Analytics["pr.poll_failed"])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smallConfig()
			tt.mutate(&cfg.GitHub)
			p := newProbe(t, cfg)
			if tt.flip != nil {
				p.flipOnce(tt.flip, func() { p.w.github.cfg = smallConfig().GitHub })
			}
			p.run(3 * time.Hour)
			if s := p.onlyIssue(); s != model.StatusClosed {
				t.Errorf("issue ended %s, want closed", s)
			}
			tt.check(t, p)
		})
	}
}

// PR URLs name the rig's repository and number PRs per repository.
func TestGitHubPRURLs(t *testing.T) {
	cfg := smallConfig()
	cfg.Rigs = 2
	w, err := NewWorld(cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	g := w.github
	got := []string{g.open(w.rigs[0].id, "a", false), g.open(w.rigs[1].id, "b", false), g.open(w.rigs[0].id, "c", false)}
	want := []string{"https://github.com/townsim/rig-1/pull/1", "https://github.com/townsim/rig-2/pull/1",
		"https://github.com/townsim/rig-1/pull/2"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("PR %d: %s, want %s", i, got[i], want[i])
		}
	}
	r, _ := g.respond(model.Call{Kind: model.CallPRStatus, URL: "https://github.com/townsim/rig-1/pull/9"})
	if r.PR.OK || r.PR.HTTPStatus != 404 {
		t.Errorf("unknown PR answered %+v, want 404", r.PR)
	}
}

// A GitLab rig's PRs are GitLab merge requests on its host, and the town
// config carries the GitLab token and, for a self-hosted host, its URL.
func TestGitLabRigs(t *testing.T) {
	cfg := smallConfig()
	cfg.Rigs = 2
	cfg.Town.GitLabRigs = 1
	cfg.Town.GitLabHost = "gitlab.example.com"
	w, err := NewWorld(cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	got := []string{w.github.open(w.rigs[0].id, "a", false), w.github.open(w.rigs[1].id, "b", false)}
	want := []string{"https://github.com/townsim/rig-1/pull/1",
		"https://gitlab.example.com/townsim/rig-2/-/merge_requests/1"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("PR %d: %s, want %s", i, got[i], want[i])
		}
	}
	tc, err := w.town.ReadTownConfig()
	if err != nil {
		t.Fatal(err)
	}
	if tc.GitAuth.GitLabToken != SimGitLabToken || tc.GitAuth.GitLabInstanceURL != "https://gitlab.example.com" {
		t.Errorf("git_auth %+v; want the GitLab token and instance URL", tc.GitAuth)
	}
	if tc.GitAuth.GitHubToken == "" {
		t.Errorf("the GitHub token was lost: %+v", tc.GitAuth)
	}
}
