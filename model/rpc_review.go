package model

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RequestChanges is a refinery's request for rework on its hooked MR: a
// gt:rework issue (parent = the MR) that blocks the MR, a bead_created
// event, a rework_requested bead event on the MR, and the active cadence.
// It returns the rework bead id.
func (t *Town) RequestChanges(now time.Time, refineryID, feedback string, files []string) (string, error) {
	a, err := t.existingAgent(refineryID)
	if err != nil {
		return "", err
	}
	if a.Role != RoleRefinery {
		return "", errors.New("Only refineries can request changes")
	}
	if !a.Hook.Valid || a.Hook.String == "" {
		return "", fmt.Errorf("Agent %s is not hooked to a bead", refineryID)
	}
	mr, err := t.GetBead(a.Hook.String)
	if err != nil {
		return "", err
	}
	if mr == nil || mr.Type != TypeMergeRequest {
		return "", fmt.Errorf("Agent %s is not hooked to a merge_request bead", refineryID)
	}
	var sourceID any
	var source *Bead
	if s, ok := mr.MetaString("source_bead_id"); ok {
		sourceID = s
		if source, err = t.GetBead(s); err != nil {
			return "", err
		}
	}
	var branch, target any
	var br, tb string
	switch err := t.db.QueryRow(`SELECT branch, target_branch FROM review_metadata WHERE bead_id = ?`,
		[]any{mr.ID}, &br, &tb); err {
	case nil:
		branch, target = br, tb
	case sql.ErrNoRows:
	default:
		return "", err
	}
	title, prio := mr.Title, "medium"
	if source != nil {
		title = source.Title
		if source.Priority.Valid {
			prio = source.Priority.String
		}
	}
	fl := files
	if fl == nil {
		fl = []string{}
	}
	rework, err := t.CreateBead(now, CreateBeadInput{
		Type: TypeIssue, Title: "Rework: " + title, Body: feedback, Priority: prio,
		RigID: mr.RigID.String, ParentID: mr.ID, Labels: []string{LabelRework},
		Metadata: map[string]any{"rework_for": sourceID, "mr_bead_id": mr.ID, "branch": branch,
			"target_branch": target, "files": fl},
	})
	if err != nil {
		return "", err
	}
	if err := t.InsertDependency(mr.ID, rework.ID, DepBlocks); err != nil {
		return rework.ID, err
	}
	if _, err := t.InsertEvent(now, EventBeadCreated, "", rework.ID,
		map[string]any{"bead_type": TypeIssue, "rig_id": nullJSON(mr.RigID)}); err != nil {
		return rework.ID, err
	}
	meta := map[string]any{"feedback": truncateUTF16(feedback, 500)}
	if files != nil {
		meta["files"] = files
	}
	if err := t.LogBeadEvent(now, BeadEvent{BeadID: mr.ID, AgentID: refineryID, Type: "rework_requested",
		NewValue: Null(rework.ID), Metadata: meta}); err != nil {
		return rework.ID, err
	}
	t.escalateToActiveCadence(now)
	return rework.ID, nil
}

// truncateUTF16 is JavaScript's s.slice(0, n) for text whose characters
// are in the Basic Multilingual Plane; it never splits a rune.
func truncateUTF16(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// CompleteReview is the completeReviewWithResult RPC: the review
// completion (model.md §4.17) applied directly, then, when merged, the
// dispatch of beads the source bead was blocking. It does not arm.
func (t *Town) CompleteReview(env Env, r ReviewResult) error {
	now := env.Now()
	mr, err := t.GetBead(r.EntryID)
	if err != nil {
		return err
	}
	var source string
	if mr != nil {
		source, _ = mr.MetaString("source_bead_id")
	}
	if err := t.CompleteReviewWithResult(now, r); err != nil {
		return err
	}
	switch r.Status {
	case "merged":
		t.emit(AnalyticsEvent{Event: "review.completed", BeadID: r.EntryID})
		if source != "" {
			return t.DispatchUnblockedBeads(env, source)
		}
	case "failed", "conflict":
		t.emit(AnalyticsEvent{Event: "review.failed", BeadID: r.EntryID})
	}
	return nil
}
