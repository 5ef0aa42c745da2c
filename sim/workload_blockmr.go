package sim

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// blockMRs is the users looking at new merge requests once a minute: each
// open merge request is seen once, and a fraction of them (BlockMR) is
// made to wait for another issue under review — tRPC updateBead with
// depends_on, a blocks edge from the merge request to that issue.
func (u *workload) blockMRs() {
	w := u.w
	w.eng.After(time.Minute, u.blockMRs)
	if w.closed || !w.destroyedAt.IsZero() {
		return
	}
	mrs, err := w.town.DB().Strings(`SELECT m.bead_id || char(9) || COALESCE(json_extract(m.metadata, '$.source_bead_id'), '')
		FROM beads m WHERE m.type = 'merge_request' AND m.status = 'open' ORDER BY m.bead_id`)
	if err != nil {
		return
	}
	if u.blockSeen == nil {
		u.blockSeen = map[string]bool{}
	}
	r := w.src.Stream("workload/block-mr")
	for _, row := range mrs {
		mr, source, _ := cut(row)
		if u.blockSeen[mr] {
			continue
		}
		u.blockSeen[mr] = true
		if !r.Bool(u.cfg.BlockMR) {
			continue
		}
		others, err := w.town.DB().Strings(`SELECT bead_id FROM beads WHERE type = 'issue' AND status = 'in_review'
			AND bead_id != ? ORDER BY bead_id`, source)
		if err != nil || len(others) == 0 {
			continue
		}
		blocker := others[r.IntN(len(others))]
		w.rpcEnv("update_bead", func() error {
			return w.town.UpdateBead(w.env, mr, model.BeadFields{}, []string{blocker}, "user")
		}, func() []des.Field { return []des.Field{des.F("bead", mr), des.F("depends_on", blocker)} })
	}
}
