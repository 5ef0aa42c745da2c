package reconciler

import (
	"time"

	"github.com/townsim/townsim/model"
)

// applyTransitionBead is transition_bead: updateBeadStatus with a
// reconciler failure reason iff the target is failed. `from` is ignored;
// errors (a missing bead, …) are caught.
func applyTransitionBead(t *model.Town, now time.Time, a Action) error {
	var reason *model.FailureReason
	if a.To == model.StatusFailed {
		reason = &model.FailureReason{Code: "reconciler", Message: a.Reason, Source: "scheduler"}
	}
	_, _ = t.UpdateBeadStatus(now, a.BeadID, a.To, a.Actor, reason)
	return nil
}

// applyAssignBead is assign_bead: a direct assignee write (no rule emits it).
func applyAssignBead(t *model.Town, now time.Time, a Action) error {
	_, err := t.DB().Exec(`UPDATE beads SET assignee_agent_bead_id = ?, updated_at = ? WHERE bead_id = ?`,
		a.AgentID, model.ISO(now), a.BeadID)
	return err
}

// applyClearBeadAssignee is clear_bead_assignee: assignee = NULL, then every
// agent still hooked to the bead is unhooked.
func applyClearBeadAssignee(t *model.Town, now time.Time, a Action) error {
	if _, err := t.DB().Exec(`UPDATE beads SET assignee_agent_bead_id = NULL, updated_at = ? WHERE bead_id = ?`,
		model.ISO(now), a.BeadID); err != nil {
		return err
	}
	return t.UnhookAgentsOf(now, a.BeadID)
}

// applyCreateMRBead is create_mr_bead: submitToReviewQueue without the
// action's target branch, which production does not pass (hazard 24).
func applyCreateMRBead(t *model.Town, now time.Time, a Action) error {
	_, err := t.SubmitToReviewQueue(now, model.SubmitInput{
		AgentID:      a.AgentID,
		SourceBeadID: a.SourceBeadID,
		RigID:        a.RigID,
		Branch:       a.Branch,
		PRURL:        a.PRURL,
		Summary:      a.Summary,
	})
	return err
}

// applyCloseSiblingMRs is close_sibling_mrs: every other non-terminal MR
// tracking the source is closed through updateBeadStatus.
func applyCloseSiblingMRs(t *model.Town, now time.Time, a Action) error {
	ids, err := t.DB().Strings(`SELECT bead_id FROM beads
		WHERE type = 'merge_request'
		  AND bead_id != ?
		  AND status NOT IN ('closed', 'failed')
		  AND bead_id IN (
		    SELECT dep.bead_id FROM bead_dependencies AS dep
		    WHERE dep.depends_on_bead_id = ? AND dep.dependency_type = 'tracks'
		  )`, a.ExcludeMRID, a.SourceBeadID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := t.UpdateBeadStatus(now, id, model.StatusClosed, "system", nil); err != nil {
			return err
		}
	}
	return nil
}

// applySetReviewPRURL is set_review_pr_url: setReviewPrUrl (a non-https
// URL is refused without error).
func applySetReviewPRURL(t *model.Town, now time.Time, a Action) error {
	_, err := t.SetReviewPRURL(now, a.BeadID, a.PRURL)
	return err
}
