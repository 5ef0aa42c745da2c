package reconciler

import (
	"time"

	"github.com/townsim/townsim/model"
)

// ---- merge_pr (§3.4) ----

// applyMergePR is merge_pr. Synchronously, an MR whose rig repository
// differs from the PR's repository gets auto_merge_pending cleared and no
// effect. The effect re-checks the feedback, merges, and on success
// inserts pr_status_changed merged; every other outcome clears the
// pending flag and the ready-since timer. It rejects only when the
// clearing in its catch block fails.
func applyMergePR(t *model.Town, now time.Time, a Action) (*Effect, error) {
	mr, err := t.GetBead(a.BeadID)
	if err != nil {
		return nil, err
	}
	if mr != nil && mr.RigID.String != "" {
		rig, err := t.GetRig(mr.RigID.String)
		if err != nil {
			return nil, err
		}
		if rig != nil && rig.GitURL != "" {
			owner, repo, okRig := parseGitURL(rig.GitURL)
			pr, okPR := parsePRURL(a.PRURL)
			if okRig && okPR && owner+"/"+repo != pr.repo {
				return nil, clearAutoMergePending(t, now, a.BeadID)
			}
		}
	}
	beadID, prURL := a.BeadID, a.PRURL
	return &Effect{Action: a, Run: func(env model.Env) error {
		if err := mergePRBody(t, env, beadID, prURL); err != nil {
			return cancelAutoMerge(t, env.Now(), beadID)
		}
		return nil
	}}, nil
}

// mergePRBody is the try block of merge_pr's effect.
func mergePRBody(t *model.Town, env model.Env, beadID, prURL string) error {
	fb, err := checkPRFeedback(t, env, prURL)
	if err != nil {
		return err
	}
	if fb != nil && (fb.HasUnresolvedComments || fb.HasFailingChecks || !fb.AllChecksPass ||
		fb.AwaitingApproval() || fb.ChangesRequested()) {
		return cancelAutoMerge(t, env.Now(), beadID)
	}
	merged, err := mergePR(t, env, prURL)
	if err != nil {
		return err
	}
	if merged {
		_, err := t.InsertEvent(env.Now(), model.EventPRStatusChanged, "", beadID,
			map[string]any{"pr_url": prURL, "pr_state": "merged"})
		return err
	}
	return cancelAutoMerge(t, env.Now(), beadID)
}

// clearAutoMergePending removes metadata.auto_merge_pending (updated_at = now).
func clearAutoMergePending(t *model.Town, now time.Time, beadID string) error {
	_, err := t.DB().Exec(`UPDATE beads SET metadata = json_remove(COALESCE(metadata, '{}'), '$.auto_merge_pending'),
		updated_at = ? WHERE bead_id = ?`, model.ISO(now), beadID)
	return err
}

// cancelAutoMerge clears auto_merge_pending, then the ready-since timer.
func cancelAutoMerge(t *model.Town, now time.Time, beadID string) error {
	if err := clearAutoMergePending(t, now, beadID); err != nil {
		return err
	}
	_, err := t.DB().Exec(`UPDATE review_metadata SET auto_merge_ready_since = NULL WHERE bead_id = ?`, beadID)
	return err
}
