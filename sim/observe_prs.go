package sim

import (
	"maps"
	"slices"
)

// PRView is what a property checker may see of one pull request on the
// world's GitHub: its fate as GitHub knows it, whatever the Town saw of
// it through its polls.
type PRView struct {
	// URL is the PR's URL, as the Town stores it in review_metadata.
	URL string
	// RigID is the rig whose repository the PR is in.
	RigID string
	// State is open, merged or closed.
	State string
	// Foreign reports a PR opened in another repository than its rig's
	// (GitHubConfig.Fork): the organisation's fork on the same forge.
	Foreign bool
	// HandMerged reports a PR a human merged by hand just as auto-merge
	// was due, closing its merge request in the Town's UI
	// (GitHubConfig.HandMergeAtDelay): the Town has no merge to make.
	HandMerged bool
}

// PRs returns every PR opened on the world's GitHub, in URL order.
func (w *World) PRs() []PRView {
	g := w.github
	out := make([]PRView, 0, len(g.prs))
	for _, url := range slices.Sorted(maps.Keys(g.prs)) {
		pr := g.prs[url]
		out = append(out, PRView{URL: pr.url, RigID: pr.rigID, State: pr.state, Foreign: pr.foreign, HandMerged: pr.handMerged})
	}
	return out
}

// PR returns the PR the world's GitHub opened at url, if any.
func (w *World) PR(url string) (PRView, bool) {
	pr := w.github.prs[url]
	if pr == nil {
		return PRView{}, false
	}
	return PRView{URL: pr.url, RigID: pr.rigID, State: pr.state, Foreign: pr.foreign, HandMerged: pr.handMerged}, true
}
