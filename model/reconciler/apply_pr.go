package reconciler

import (
	"database/sql"
	"time"

	"github.com/townsim/townsim/model"
)

// PR polling thresholds (reconciler.md §7.3).
const (
	// PRPollTransientThreshold fails an MR after this many consecutive
	// transient poll errors (HTTP 5xx or 429).
	PRPollTransientThreshold = 10
	// PRPollNonTransientThreshold fails an MR after this many consecutive
	// invalid responses.
	PRPollNonTransientThreshold = 3
)

// ---- poll_pr (§3.3) ----

// applyPollPR is poll_pr: synchronously updated_at and meta.last_poll_at
// get the same timestamp; the effect polls the PR. The effect never
// rejects: any exception inside it is logged and changes no counter.
func applyPollPR(t *model.Town, now time.Time, a Action) (*Effect, error) {
	ts := model.ISO(now)
	if _, err := t.DB().Exec(`UPDATE beads SET updated_at = ?,
		metadata = json_set(COALESCE(metadata, '{}'), '$.last_poll_at', ?)
		WHERE bead_id = ?`, ts, ts, a.BeadID); err != nil {
		return nil, err
	}
	beadID, prURL := a.BeadID, a.PRURL
	return &Effect{Action: a, Run: func(env model.Env) error {
		_ = pollPR(t, env, beadID, prURL)
		return nil
	}}, nil
}

// pollPR is the body of poll_pr's single try; its error is the exception
// production logs.
func pollPR(t *model.Town, env model.Env, beadID, prURL string) error {
	db := t.DB()
	out, err := checkPRStatus(t, env, prURL)
	if err != nil {
		return err
	}
	if !out.OK {
		return pollError(t, env, beadID, out.Err)
	}
	if _, err := db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
			'$.poll_transient_count', 0,
			'$.poll_non_transient_count', 0,
			'$.poll_error_kind', NULL)
		WHERE bead_id = ?`, beadID); err != nil {
		return err
	}
	if out.State != "open" {
		_, err := t.InsertEvent(env.Now(), model.EventPRStatusChanged, "", beadID,
			map[string]any{"pr_url": prURL, "pr_state": out.State})
		return err
	}

	cfg, err := t.ReadTownConfig()
	if err != nil {
		return err
	}
	ref := cfg.Refinery // town-level only: rig overrides are ignored (hazard 7)
	if ref == nil {
		return nil
	}
	switch out.MergeableState {
	case "unknown":
		return nil
	case "dirty":
		return pollDirty(t, env, beadID, prURL)
	case "clean", "blocked", "has_hooks":
		if _, err := db.Exec(`UPDATE beads SET metadata = json_remove(COALESCE(metadata, '{}'),
				'$.has_conflicts', '$.conflicts_detected_at'),
			updated_at = ?
			WHERE bead_id = ? AND json_extract(metadata, '$.has_conflicts') IS NOT NULL`,
			model.ISO(env.Now()), beadID); err != nil {
			return err
		}
	}

	wantsAutoResolve := ref.AutoResolvePRFeedback
	wantsAutoMerge := ref.AutoMerge && ref.AutoMergeDelayMinutes != nil
	var fb *model.PRFeedback
	if wantsAutoResolve || wantsAutoMerge {
		if fb, err = checkPRFeedback(t, env, prURL); err != nil {
			return err
		}
	}
	if fb != nil {
		if err := trackAwaitingApproval(t, env, beadID, fb); err != nil {
			return err
		}
	}
	if wantsAutoResolve && fb != nil && (fb.HasUnresolvedComments || fb.HasFailingChecks || fb.HasUncheckedRuns) {
		if err := pollAutoResolve(t, env, beadID, prURL, fb); err != nil {
			return err
		}
	}
	if wantsAutoMerge {
		if fb == nil {
			return nil
		}
		return pollAutoMerge(t, env, beadID, prURL, fb, float64(*ref.AutoMergeDelayMinutes))
	}
	return nil
}

// pollDirty handles mergeable_state dirty: the first poll of a conflict
// episode marks the MR and inserts pr_conflict_detected; every dirty poll
// resets the auto-merge timer.
func pollDirty(t *model.Town, env model.Env, beadID, prURL string) error {
	db := t.DB()
	var marked any
	if err := queryOptional(db, `SELECT json_extract(metadata, '$.has_conflicts') AS has_conflicts FROM beads WHERE bead_id = ?`,
		[]any{beadID}, &marked); err != nil {
		return err
	}
	if !jsonIsOne(marked) {
		now := model.ISO(env.Now())
		if _, err := db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
				'$.has_conflicts', 1,
				'$.conflicts_detected_at', ?),
			updated_at = ?
			WHERE bead_id = ?`, now, now, beadID); err != nil {
			return err
		}
		var source, branch sql.NullString
		if err := queryOptional(db, `SELECT json_extract(b.metadata, '$.source_bead_id') AS source_bead_id, rm.branch AS branch
			FROM beads b INNER JOIN review_metadata rm ON rm.bead_id = b.bead_id
			WHERE b.bead_id = ?`, []any{beadID}, &source, &branch); err != nil {
			return err
		}
		var src any
		if source.Valid {
			src = source.String
		}
		if _, err := t.InsertEvent(env.Now(), model.EventPRConflictDetected, "", beadID, map[string]any{
			"mr_bead_id":     beadID,
			"source_bead_id": src,
			"pr_url":         prURL,
			"branch":         branch.String,
		}); err != nil {
			return err
		}
	}
	_, err := db.Exec(`UPDATE review_metadata SET auto_merge_ready_since = NULL
		WHERE bead_id = ? AND auto_merge_ready_since IS NOT NULL`, beadID)
	return err
}

// trackAwaitingApproval records the feedback's approval state on the MR
// and emits the approval analytics on a change. The observed-at stamp is
// rewritten on every awaiting poll, so the "resolved" duration measures
// about one poll interval (hazard 22).
func trackAwaitingApproval(t *model.Town, env model.Env, beadID string, fb *model.PRFeedback) error {
	db := t.DB()
	var prev any
	if err := queryOptional(db, `SELECT json_extract(metadata, '$.awaiting_approval') AS awaiting_approval FROM beads WHERE bead_id = ?`,
		[]any{beadID}, &prev); err != nil {
		return err
	}
	was := jsonIsOne(prev)
	awaiting := fb.AwaitingApproval()
	if _, err := db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
			'$.awaiting_approval', ?,
			'$.review_decision', ?,
			'$.merge_state_status', ?),
		updated_at = ?
		WHERE bead_id = ?`, flagInt(awaiting), textOrNull(fb.ReviewDecision), textOrNull(fb.MergeStateStatus),
		model.ISO(env.Now()), beadID); err != nil {
		return err
	}
	switch {
	case awaiting && !was:
		var created sql.NullString
		if err := queryOptional(db, `SELECT created_at FROM beads WHERE bead_id = ?`, []any{beadID}, &created); err != nil {
			return err
		}
		t.Emit(model.AnalyticsEvent{Event: "pr.awaiting_approval_detected", TownID: t.ID(), BeadID: beadID,
			Label: fb.ReviewDecision, Reason: fb.MergeStateStatus, DurationMs: msSinceStamp(created, env.Now())})
	case !awaiting && was:
		var observed sql.NullString
		if err := queryOptional(db, `SELECT json_extract(metadata, '$.awaiting_approval_observed_at') AS awaiting_approval_observed_at
			FROM beads WHERE bead_id = ?`, []any{beadID}, &observed); err != nil {
			return err
		}
		t.Emit(model.AnalyticsEvent{Event: "pr.awaiting_approval_resolved", TownID: t.ID(), BeadID: beadID,
			Label: fb.ReviewDecision, Reason: fb.MergeStateStatus, DurationMs: msSinceStamp(observed, env.Now())})
	}
	var err error
	if awaiting {
		_, err = db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
				'$.awaiting_approval_observed_at', ?)
			WHERE bead_id = ?`, model.ISO(env.Now()), beadID)
	} else {
		_, err = db.Exec(`UPDATE beads SET metadata = json_remove(COALESCE(metadata, '{}'),
				'$.awaiting_approval_observed_at')
			WHERE bead_id = ?`, beadID)
	}
	return err
}

// pollAutoResolve re-checks that the PR is still open, then inserts
// pr_feedback_detected unless a live feedback bead already blocks the MR,
// and stamps last_feedback_check_at.
func pollAutoResolve(t *model.Town, env model.Env, beadID, prURL string, fb *model.PRFeedback) error {
	fresh, err := checkPRStatus(t, env, prURL)
	if err != nil {
		return err
	}
	if !fresh.OK || fresh.State != "open" {
		return nil
	}
	db := t.DB()
	existing, err := db.Int(`SELECT 1 FROM bead_dependencies bd
		INNER JOIN beads fb ON fb.bead_id = bd.depends_on_bead_id
		WHERE bd.bead_id = ?
		  AND bd.dependency_type = 'blocks'
		  AND fb.labels LIKE '%gt:pr-feedback%'
		  AND fb.status NOT IN ('closed', 'failed')
		LIMIT 1`, beadID)
	if err != nil {
		return err
	}
	if existing == 0 {
		number, repo := 0, ""
		if pr, ok := parsePRURL(prURL); ok {
			number, repo = pr.number, pr.repo
		}
		var branch sql.NullString
		if err := queryOptional(db, `SELECT branch FROM review_metadata WHERE bead_id = ?`, []any{beadID}, &branch); err != nil {
			return err
		}
		if _, err := t.InsertEvent(env.Now(), model.EventPRFeedbackDetected, "", beadID, map[string]any{
			"mr_bead_id":              beadID,
			"pr_url":                  prURL,
			"pr_number":               number,
			"repo":                    repo,
			"branch":                  branch.String,
			"has_unresolved_comments": fb.HasUnresolvedComments,
			"has_failing_checks":      fb.HasFailingChecks,
			"has_unchecked_runs":      fb.HasUncheckedRuns,
		}); err != nil {
			return err
		}
	}
	_, err = db.Exec(`UPDATE review_metadata SET last_feedback_check_at = ? WHERE bead_id = ?`, model.ISO(env.Now()), beadID)
	return err
}

// pollAutoMerge runs the ready-since timer: an all-green PR starts it and,
// once the delay has passed, inserts pr_auto_merge on every poll; anything
// else resets it.
func pollAutoMerge(t *model.Town, env model.Env, beadID, prURL string, fb *model.PRFeedback, delayMinutes float64) error {
	db := t.DB()
	green := !fb.HasUnresolvedComments && !fb.HasFailingChecks && fb.AllChecksPass &&
		!fb.AwaitingApproval() && !fb.ChangesRequested()
	if !green {
		_, err := db.Exec(`UPDATE review_metadata SET auto_merge_ready_since = NULL WHERE bead_id = ?`, beadID)
		return err
	}
	var since sql.NullString
	if err := queryOptional(db, `SELECT auto_merge_ready_since FROM review_metadata WHERE bead_id = ?`, []any{beadID}, &since); err != nil {
		return err
	}
	if since.String == "" {
		_, err := db.Exec(`UPDATE review_metadata SET auto_merge_ready_since = ? WHERE bead_id = ?`, model.ISO(env.Now()), beadID)
		return err
	}
	ready, ok := model.ParseTime(since.String)
	if !ok {
		return nil // NaN elapsed never reaches the delay
	}
	elapsedMs := float64(env.Now().Sub(ready).Milliseconds())
	if elapsedMs >= delayMinutes*60000 {
		_, err := t.InsertEvent(env.Now(), model.EventPRAutoMerge, "", beadID,
			map[string]any{"mr_bead_id": beadID, "pr_url": prURL})
		return err
	}
	return nil
}

// pollError handles an error outcome: it records the kind and either fails
// the MR at once (no token, unrecognised URL, refused host, non-transient
// HTTP status) or counts it toward the transient (10) or non-transient (3)
// threshold, each count resetting the other.
func pollError(t *model.Town, env model.Env, beadID string, e prError) error {
	db := t.DB()
	if _, err := db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.poll_error_kind', ?)
		WHERE bead_id = ?`, e.Kind, beadID); err != nil {
		return err
	}
	var rig sql.NullString
	if err := queryOptional(db, `SELECT rig_id FROM beads WHERE bead_id = ?`, []any{beadID}, &rig); err != nil {
		return err
	}
	if e.failsImmediately() {
		return failPolledMR(t, env, beadID, rig.String, e)
	}
	bump, read, limit := pollNonTransientBump, pollNonTransientRead, PRPollNonTransientThreshold
	if e.transient() {
		bump, read, limit = pollTransientBump, pollTransientRead, PRPollTransientThreshold
	}
	if _, err := db.Exec(bump, beadID); err != nil {
		return err
	}
	n, err := metaCount(db, read, beadID)
	if err != nil {
		return err
	}
	if n >= float64(limit) {
		return failPolledMR(t, env, beadID, rig.String, e)
	}
	return nil
}

// The poll error counters: each bump increments one count and resets the
// other; each read returns the bumped count.
const (
	pollTransientBump = `UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
				'$.poll_transient_count',
				COALESCE(json_extract(metadata, '$.poll_transient_count'), json_extract(metadata, '$.poll_null_count'), 0) + 1,
				'$.poll_non_transient_count', 0)
			WHERE bead_id = ?`
	pollTransientRead    = `SELECT json_extract(metadata, '$.poll_transient_count') AS transient_count FROM beads WHERE bead_id = ?`
	pollNonTransientBump = `UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
				'$.poll_non_transient_count',
				COALESCE(json_extract(metadata, '$.poll_non_transient_count'), 0) + 1,
				'$.poll_transient_count', 0)
			WHERE bead_id = ?`
	pollNonTransientRead = `SELECT json_extract(metadata, '$.poll_non_transient_count') AS non_transient_count FROM beads WHERE bead_id = ?`
)

// failPolledMR fails the MR (no failure reason object), records why in its
// metadata and emits pr.poll_failed. The MR's source stays in_review until
// BD-4 reopens it.
func failPolledMR(t *model.Town, env model.Env, beadID, rigID string, e prError) error {
	if _, err := t.UpdateBeadStatus(env.Now(), beadID, model.StatusFailed, "system", nil); err != nil {
		return err
	}
	if _, err := t.DB().Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
			'$.failureReason', 'pr_poll_failed',
			'$.failureKind', ?,
			'$.failureMessage', ?)
		WHERE bead_id = ?`, e.Kind, e.message(), beadID); err != nil {
		return err
	}
	ev := model.AnalyticsEvent{Event: "pr.poll_failed", TownID: t.ID(), BeadID: beadID, RigID: rigID,
		Reason: e.Kind, Label: e.Provider}
	if e.Kind == "http_error" {
		ev.StatusCode = float64(e.Status)
	}
	t.Emit(ev)
	return nil
}

// metaCount reads one numeric JSON value (NULL or no row reads as 0).
func metaCount(db *model.DB, q, beadID string) (float64, error) {
	var n sql.NullFloat64
	if err := queryOptional(db, q, []any{beadID}, &n); err != nil {
		return 0, err
	}
	return n.Float64, nil
}
