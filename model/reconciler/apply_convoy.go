package reconciler

import (
	"time"

	"github.com/townsim/townsim/model"
)

// applyCreateLandingMR is create_landing_mr: the convoy's landing attempt
// counter and timestamp are bumped first, then a landing MR is submitted
// by 'system' with the convoy as its source and the action's target branch
// as the default branch.
func applyCreateLandingMR(t *model.Town, now time.Time, a Action) error {
	ts := model.ISO(now)
	if _, err := t.DB().Exec(`UPDATE beads SET metadata = json_set(
			COALESCE(metadata, '{}'),
			'$.landing_mr_attempts', COALESCE(json_extract(metadata, '$.landing_mr_attempts'), 0) + 1,
			'$.last_landing_mr_attempt_at', ?
		), updated_at = ?
		WHERE bead_id = ?`, ts, ts, a.ConvoyID); err != nil {
		return err
	}
	_, err := t.SubmitToReviewQueue(now, model.SubmitInput{
		AgentID:       "system",
		SourceBeadID:  a.ConvoyID,
		RigID:         a.RigID,
		Branch:        a.FeatureBranch,
		DefaultBranch: a.TargetBranch,
	})
	return err
}

// applyUpdateConvoyProgress is update_convoy_progress: the rule's count is
// written over the state model's own recount (hazard 14).
func applyUpdateConvoyProgress(t *model.Town, a Action) error {
	_, err := t.DB().Exec(`UPDATE convoy_metadata SET closed_beads = ? WHERE bead_id = ?`, a.ClosedBeads, a.ConvoyID)
	return err
}

// applySetConvoyReadyToLand is set_convoy_ready_to_land.
func applySetConvoyReadyToLand(t *model.Town, now time.Time, a Action) error {
	_, err := t.DB().Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.ready_to_land', 1),
		updated_at = ? WHERE bead_id = ?`, model.ISO(now), a.ConvoyID)
	return err
}

// applyCloseConvoy is close_convoy: updateBeadStatus closed (a missing
// convoy throws here), then landed_at = now even when the status write was
// a no-op.
func applyCloseConvoy(t *model.Town, now time.Time, a Action) error {
	if _, err := t.UpdateBeadStatus(now, a.ConvoyID, model.StatusClosed, "system", nil); err != nil {
		return err
	}
	_, err := t.DB().Exec(`UPDATE convoy_metadata SET landed_at = ? WHERE bead_id = ?`, model.ISO(now), a.ConvoyID)
	return err
}

// applyFailConvoy is fail_convoy: updateBeadStatus failed without a
// failure reason, then the landing failure is recorded in the metadata.
func applyFailConvoy(t *model.Town, now time.Time, a Action) error {
	if _, err := t.UpdateBeadStatus(now, a.ConvoyID, model.StatusFailed, "system", nil); err != nil {
		return err
	}
	_, err := t.DB().Exec(`UPDATE beads SET metadata = json_set(
			COALESCE(metadata, '{}'),
			'$.failureReason', 'landing_mr_exhausted',
			'$.failureMessage', ?
		), updated_at = ?
		WHERE bead_id = ?`, a.Reason, model.ISO(now), a.ConvoyID)
	return err
}
