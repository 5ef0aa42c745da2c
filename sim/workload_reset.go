package sim

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// RefineryReset is an admin's force reset of a refinery in the middle of
// a review (workload.reset_refinery_mid_review).
type RefineryReset struct {
	// Agent is the refinery's id; Bead the merge request it was hooked
	// to just before ("" = none) and BeadStatus that bead's status then.
	Agent, Bead, BeadStatus string
	// At is when the reset was sent; Err its error ("" = none).
	At  time.Time
	Err string
}

// RefineryResets returns the admins' force resets of reviewing
// refineries, in order.
func (w *World) RefineryResets() []*RefineryReset { return w.refineryResets }

// maybeResetRefineryMidReview draws whether an admin force-resets the
// agent of a refinery process that has begun a review lasting d, and
// when: at a uniform point of the review (the process is not told and
// works on).
func (u *workload) maybeResetRefineryMidReview(p *process, d time.Duration) {
	if u.cfg.ResetRefineryMidReview == 0 {
		return
	}
	r := u.w.src.Stream("workload/reset-refinery-mid-review")
	if !r.Bool(u.cfg.ResetRefineryMidReview) {
		return
	}
	u.w.eng.After(r.Uniform(0, d), func() {
		if p.state != procRunning || !p.stuckAt.IsZero() {
			return
		}
		w := u.w
		rr := &RefineryReset{Agent: p.agentID, At: w.eng.Now()}
		if a, err := w.town.GetAgent(p.agentID); err == nil && a != nil && a.Hook.Valid {
			rr.Bead = a.Hook.String
			rr.BeadStatus = w.status(rr.Bead)
		}
		err := w.rpc("admin_force_reset_agent", func(now time.Time) error {
			if err := w.town.UnhookBead(now, p.agentID); err != nil {
				return err
			}
			return w.town.UpdateAgentStatus(now, p.agentID, model.AgentIdle)
		}, des.F("agent", p.agentID), des.F("mid_review", true))
		rr.Err = errText(err)
		w.refineryResets = append(w.refineryResets, rr)
	})
}
