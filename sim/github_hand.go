package sim

import (
	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// handMergeAtDelay runs after a feedback answer when
// GitHubConfig.HandMergeAtDelay is on: a PR found green for at least the
// town's auto-merge delay draws, once, whether a human merges it by hand
// right then and closes its merge request and the issue it tracks in the
// Town's UI (tRPC updateBeadStatus closed), before the answer reaches the
// Town. The poll
// that asked then goes on with a green answer for a merge request that is
// closed, and may queue pr_auto_merge for it.
func (g *github) handMergeAtDelay(pr *pullRequest) {
	if g.cfg.HandMergeAtDelay <= 0 || pr.hand || !g.greenForDelay(pr) {
		return
	}
	pr.hand = true
	if !g.w.src.Stream("github/hand-merge-at-delay").Bool(g.cfg.HandMergeAtDelay) {
		return
	}
	pr.handMerged = true
	g.setState(pr, "merged", "merged_by_hand_at_delay")
	w := g.w
	db := w.town.DB()
	mrs, err := db.Strings(`SELECT b.bead_id FROM beads b JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE rm.pr_url = ? AND b.type = 'merge_request' AND b.status NOT IN ('closed', 'failed')
		ORDER BY b.bead_id`, pr.url)
	if err != nil {
		return
	}
	// The merge requests first, then the issues they track: the work is
	// done, so the human closes it too.
	var sources []string
	for _, mr := range mrs {
		if s, err := db.Strings(`SELECT d.depends_on_bead_id FROM bead_dependencies d JOIN beads s ON s.bead_id = d.depends_on_bead_id
			WHERE d.bead_id = ? AND d.dependency_type = 'tracks' AND s.status NOT IN ('closed', 'failed')`, mr); err == nil {
			sources = append(sources, s...)
		}
	}
	for _, id := range append(mrs, sources...) {
		w.rpcEnv("set_bead_status", func() error {
			return w.town.SetBeadStatus(w.env, id, model.StatusClosed, "user")
		}, func() []des.Field {
			return []des.Field{des.F("bead", id), des.F("status", model.StatusClosed), des.F("by", "hand_merge")}
		})
	}
}
