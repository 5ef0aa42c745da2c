package sim

import (
	"time"

	"github.com/townsim/townsim/des"
)

// maybeHookRefineryMidWork draws whether an admin hooks the rig's
// refinery to the issue a polecat process has begun to work on for d
// (workload.hook_refinery_mid_work), and when: at a uniform point of the
// work, through production's hookBead (the admin tool that hooks an agent
// to a bead, tRPC hookBead), which takes any workable bead and any agent
// without a hook. It happens only when the issue is still in progress and
// the rig has an idle refinery with no hook; hookBead then unhooks the
// polecat (a bead has one hook) and leaves the refinery idle, hooked to
// an issue, which is no work of a refinery's. The polecat's process is
// not told and works on. Nothing is drawn while the fraction is 0.
func (u *workload) maybeHookRefineryMidWork(p *process, d time.Duration) {
	if u.cfg.HookRefineryMidWork == 0 {
		return
	}
	r := u.w.src.Stream("workload/hook-refinery-mid-work")
	if !r.Bool(u.cfg.HookRefineryMidWork) {
		return
	}
	u.w.eng.After(r.Uniform(0, d), func() {
		w := u.w
		if p.state != procRunning || w.status(p.beadID) != "in_progress" {
			return
		}
		refs, err := w.town.DB().Strings(`SELECT a.bead_id
			FROM agent_metadata a
			JOIN beads ab ON ab.bead_id = a.bead_id
			JOIN beads b ON b.bead_id = ?
			WHERE a.role = 'refinery' AND a.status = 'idle' AND a.current_hook_bead_id IS NULL
			  AND ab.rig_id = b.rig_id
			ORDER BY a.bead_id
			LIMIT 1`, p.beadID)
		if err != nil || len(refs) == 0 {
			return
		}
		_ = w.rpc("hook_bead", func(now time.Time) error {
			return w.town.HookBeadRPC(now, refs[0], p.beadID)
		}, des.F("agent", refs[0]), des.F("bead", p.beadID), des.F("by", "admin"))
	})
}
