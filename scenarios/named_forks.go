package scenarios

import (
	"time"

	"github.com/townsim/townsim/model/reconciler"
)

// prForks: gitlab-rig with three rigs (two on GitHub, the third on the
// self-hosted GitLab), whose users wrote their git URLs in production's
// three forms (`town.rig_git_urls: mixed`: HTTPS with credentials, SSH,
// plain HTTPS; merge_pr's check must read each), where a third of the polecats open the PR for their issue in the
// organisation's fork instead of the rig's repository (`github.fork`):
// same forge, same repository name, another owner. Production polls
// those PRs like any other (it checks only the host), but merge_pr's
// repository check refuses to merge one: auto-merge never happens for
// them and humans decide them as drawn.
func prForks() Scenario {
	s := gitlabRig()
	c := s.Config
	c.GitHub.Fork = 0.35
	c.Rigs = 3
	c.Agents = 5
	c.Town.RigGitURLs = "mixed"
	c.Duration = 75 * time.Minute
	return Scenario{
		Name: "pr-forks",
		Purpose: "polecats open a third of their PRs in the organisation's fork on the rig's forge: the Town polls " +
			"them, and never merges one (merge_pr's repository check)",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.PollPR, reconciler.MergePR},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
