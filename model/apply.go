package model

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// NotFoundGrace is how long after an agent's last activity a not_found
// container status is ignored (cold starts; model.md §5.5).
const NotFoundGrace = 180 * time.Second

// ApplyEvent applies one drained town event to the state (model.md §5.5).
// Payload fields are type-checked one by one; a field of the wrong JSON
// type counts as absent. cfg is the town config of the tick; nil (debug
// paths) makes pr_conflict_detected read only the rig override. Errors are
// returned as production throws them; writes made before an error stay.
func (t *Town) ApplyEvent(now time.Time, ev TownEvent, cfg *TownConfig) error {
	p := ev.Payload
	if p == nil {
		p = map[string]any{}
	}
	switch ev.Type {
	case EventAgentDone:
		if ev.AgentID.String == "" {
			return nil
		}
		in := AgentDoneInput{Branch: payloadString(p, "branch")}
		in.PRURL = payloadString(p, "pr_url")
		in.Summary = payloadString(p, "summary")
		return t.ApplyAgentDone(now, ev.AgentID.String, in)

	case EventAgentCompleted:
		if ev.AgentID.String == "" {
			return nil
		}
		status := "failed"
		if s, _ := p["status"].(string); s == "completed" || s == "failed" {
			status = s
		}
		return t.ApplyAgentCompleted(now, ev.AgentID.String,
			AgentCompletedInput{Status: status, Reason: payloadString(p, "reason")})

	case EventPRStatusChanged:
		if ev.BeadID.String == "" {
			return nil
		}
		switch s, _ := p["pr_state"].(string); s {
		case "merged":
			return t.CompleteReviewWithResult(now, ReviewResult{EntryID: ev.BeadID.String,
				Status: "merged", Message: "PR merged (detected by polling)"})
		case "closed":
			return t.CompleteReviewWithResult(now, ReviewResult{EntryID: ev.BeadID.String,
				Status: "failed", Message: "PR closed without merge"})
		}
		return nil

	case EventBeadCreated, EventContainerEviction, EventNudgeTimeout:
		// No state change: the bead exists already; the drain flag lives in
		// KV (set by the RPC); GUPP handles timeouts in the rules.
		return nil

	case EventBeadCancelled:
		return t.applyBeadCancelled(now, ev, p)

	case EventConvoyStarted:
		convoyID, _ := p["convoy_id"].(string)
		if convoyID == "" {
			return nil
		}
		_, err := t.db.Exec(`UPDATE convoy_metadata SET staged = 0 WHERE bead_id = ?`, convoyID)
		return err

	case EventContainerStatus:
		return t.applyContainerStatus(now, ev, p)

	case EventPRFeedbackDetected:
		return t.applyPRFeedback(now, p)

	case EventPRConflictDetected:
		return t.applyPRConflict(now, p, cfg)

	case EventPRAutoMerge:
		mr, err := t.payloadLiveMR(p)
		if err != nil || mr == nil {
			return err
		}
		_, err = t.db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.auto_merge_pending', 1),
			updated_at = ? WHERE bead_id = ?`, ISO(now), mr.ID)
		return err
	}
	// Unknown types cannot reach here through the strict drain read.
	return nil
}

// payloadString returns payload key k when it is a JSON string, else "".
func payloadString(p map[string]any, k string) string {
	s, _ := p[k].(string)
	return s
}

// payloadLiveMR returns the bead named by the payload's mr_bead_id when it
// exists and is not terminal, else nil (nothing to do).
func (t *Town) payloadLiveMR(p map[string]any) (*Bead, error) {
	mrID := payloadString(p, "mr_bead_id")
	if mrID == "" {
		return nil, nil
	}
	mr, err := t.GetBead(mrID)
	if err != nil || mr == nil || Terminal(mr.Status) {
		return nil, err
	}
	return mr, nil
}

// applyBeadCancelled re-applies the terminal status (normally a no-op: the
// RPC applied it already) and unhooks every agent hooked to the bead. A
// bead deleted since is skipped. The bead's assignee is kept.
func (t *Town) applyBeadCancelled(now time.Time, ev TownEvent, p map[string]any) error {
	id := ev.BeadID.String
	if id == "" {
		return nil
	}
	b, err := t.GetBead(id)
	if err != nil || b == nil {
		return err
	}
	status := StatusFailed
	if s, _ := p["cancel_status"].(string); s == StatusClosed || s == StatusFailed {
		status = s
	}
	if _, err := t.UpdateBeadStatus(now, id, status, "system", nil); err != nil {
		return err
	}
	return t.UnhookAgentsOf(now, id)
}

// applyContainerStatus idles a working or stalled agent whose container
// exited or lost it, after the not_found grace. It never unhooks a
// non-refinery and never touches bead status.
func (t *Town) applyContainerStatus(now time.Time, ev TownEvent, p map[string]any) error {
	id := ev.AgentID.String
	if id == "" {
		return nil
	}
	status, _ := p["status"].(string) // any other JSON type matches nothing below
	a, err := t.GetAgent(id)
	if err != nil || a == nil {
		return err
	}
	if status == "not_found" && a.LastActivityAt.Valid && a.LastActivityAt.String != "" {
		// Production: (Date.now() − Date.parse(last_activity_at)) / 1000 < 180;
		// an unparsable time gives NaN, which never matches.
		if last, ok := ParseTime(a.LastActivityAt.String); ok &&
			now.UnixMilli()-last.UnixMilli() < t.knobs.NotFoundGrace.Milliseconds() {
			return nil
		}
	}
	if (a.Status != AgentWorking && a.Status != AgentStalled) || (status != "exited" && status != "not_found") {
		return nil
	}
	if a.Role == RoleRefinery && a.Hook.Valid {
		mr, err := t.GetBead(a.Hook.String)
		if err != nil {
			return err
		}
		if mr != nil && Terminal(mr.Status) {
			if err := t.UnhookBead(now, id); err != nil {
				return err
			}
			if err := t.UpdateAgentStatus(now, id, AgentIdle); err != nil {
				return err
			}
			return t.WriteCheckpoint(id, nil)
		}
	}
	return t.UpdateAgentStatus(now, id, AgentIdle)
}

// openBlockerWithLabel returns the first non-terminal bead F with an edge
// mr →blocks→ F whose labels match like (production's unquoted LIKE), or "".
func (t *Town) openBlockerWithLabel(mrID, like string) (string, error) {
	var id string
	err := t.db.QueryRow(`SELECT fb.bead_id FROM bead_dependencies bd
		INNER JOIN beads fb ON fb.bead_id = bd.depends_on_bead_id
		WHERE bd.bead_id = ? AND bd.dependency_type = 'blocks'
			AND fb.labels LIKE ? AND fb.status NOT IN ('closed', 'failed')
		LIMIT 1`, []any{mrID, like}, &id)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return id, err
}

// applyPRFeedback creates a gt:pr-feedback issue blocking the MR, or marks
// an open conflict bead of the MR has_feedback instead.
func (t *Town) applyPRFeedback(now time.Time, p map[string]any) error {
	mr, err := t.payloadLiveMR(p)
	if err != nil || mr == nil {
		return err
	}
	mrID := mr.ID
	if fb, err := t.openBlockerWithLabel(mrID, prFeedbackLikeLoose); err != nil || fb != "" {
		return err
	}
	prURL := payloadString(p, "pr_url")
	prNumber, _ := p["pr_number"].(float64)
	repo := payloadString(p, "repo")
	branch := payloadString(p, "branch")
	comments := p["has_unresolved_comments"] == true
	failing := p["has_failing_checks"] == true
	unchecked := p["has_unchecked_runs"] == true

	conflict, err := t.openBlockerWithLabel(mrID, prConflictLikeLoose)
	if err != nil {
		return err
	}
	if conflict != "" {
		_, err := t.db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.has_feedback', 1),
			updated_at = ? WHERE bead_id = ?`, ISO(now), conflict)
		return err
	}
	fbBead, err := t.CreateBead(now, CreateBeadInput{
		Type:     TypeIssue,
		Title:    feedbackTitle(prNumber, repo, comments, failing, unchecked),
		Body:     feedbackBody(prNumber, repo, branch, comments, failing, unchecked),
		RigID:    mr.RigID.String,
		ParentID: mrID,
		Labels:   []string{LabelPRFeedback},
		Metadata: map[string]any{"pr_feedback_for": mrID, "pr_url": prURL, "branch": branch},
	})
	if err != nil {
		return err
	}
	return t.InsertDependency(mrID, fbBead.ID, DepBlocks)
}

// JSNumber formats f as JavaScript's String(number) does (Go's JSON
// encoding of a float64 follows the same ECMAScript rules).
func JSNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// feedbackTitle is the PR-feedback bead title (model.md §5.5).
func feedbackTitle(prNumber float64, repo string, comments, failing, unchecked bool) string {
	var parts []string
	if comments {
		parts = append(parts, "review comments")
	}
	if failing {
		parts = append(parts, "failing CI")
	}
	if unchecked && !failing {
		parts = append(parts, "unchecked CI runs")
	}
	short := repo
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		short = repo[i+1:]
	}
	title := "Address " + strings.Join(parts, " & ") + " on PR #" + JSNumber(prNumber)
	if short != "" {
		title += " (" + short + ")"
	}
	return title
}

// feedbackBody is the polecat's instruction text for a PR-feedback bead.
// Its wording is townsim's own; only its presence matters to the state.
func feedbackBody(prNumber float64, repo, branch string, comments, failing, unchecked bool) string {
	var what []string
	if comments {
		what = append(what, "unresolved review comments")
	}
	if failing {
		what = append(what, "failing CI checks")
	} else if unchecked {
		what = append(what, "CI check runs that could not all be inspected")
	}
	n := JSNumber(prNumber)
	return fmt.Sprintf("Pull request #%s in %s (branch %s) needs attention: %s.\n\n"+
		"Inspect the review threads and check results of PR #%s, fix what is relevant, reply to and "+
		"resolve each thread, push the fixes to %s, then finish with gt_done.",
		n, repo, branch, strings.Join(what, "; "), n, branch)
}

// conflictBody is the rebase instruction text for a PR-conflict bead
// (townsim's own wording).
func conflictBody(prURL, branch, target string) string {
	return fmt.Sprintf("The pull request %s on branch %s conflicts with %s.\n\n"+
		"Fetch origin, rebase %s onto origin/%s, resolve every conflict, push with "+
		"--force-with-lease, then call gt_done with pr_url %s and branch %s.",
		prURL, branch, target, branch, target, prURL, branch)
}

// autoResolveConflicts is the effective auto_resolve_merge_conflicts: the
// rig override, else the town refinery value, else true; with no town
// config only the rig override counts. Only an explicit false disables.
func autoResolveConflicts(rig *Rig, cfg *TownConfig) bool {
	var override *bool
	if rig != nil {
		override = rig.Config.AutoResolveMergeConflicts
	}
	if override != nil {
		return *override
	}
	if cfg != nil && cfg.Refinery != nil && cfg.Refinery.AutoResolveMergeConflicts != nil {
		return *cfg.Refinery.AutoResolveMergeConflicts
	}
	return true
}

// applyPRConflict creates a gt:pr-conflict issue blocking the MR (or marks
// an open feedback bead has_conflicts) when conflicts are auto-resolved,
// else an escalation with escalation_metadata and a triage request.
func (t *Town) applyPRConflict(now time.Time, p map[string]any, cfg *TownConfig) error {
	mr, err := t.payloadLiveMR(p)
	if err != nil || mr == nil {
		return err
	}
	mrID := mr.ID
	if c, err := t.openBlockerWithLabel(mrID, prConflictLikeLoose); err != nil || c != "" {
		return err
	}
	prURL := payloadString(p, "pr_url")
	branch := payloadString(p, "branch")
	var source any
	if s, ok := p["source_bead_id"].(string); ok {
		source = s
	}
	var target string
	err = t.db.QueryRow(`SELECT target_branch FROM review_metadata WHERE bead_id = ?`, []any{mrID}, &target)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	var rig *Rig
	if mr.RigID.String != "" {
		if rig, err = t.GetRig(mr.RigID.String); err != nil {
			return err
		}
	}
	if autoResolveConflicts(rig, cfg) {
		fb, err := t.openBlockerWithLabel(mrID, prFeedbackLikeLoose)
		if err != nil {
			return err
		}
		if fb != "" {
			_, err := t.db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.has_conflicts', 1,
				'$.conflict_target_branch', ?), updated_at = ? WHERE bead_id = ?`, target, ISO(now), fb)
			return err
		}
		cb, err := t.CreateBead(now, CreateBeadInput{
			Type:     TypeIssue,
			Title:    "Resolve merge conflicts on PR: " + branch,
			Body:     conflictBody(prURL, branch, target),
			RigID:    mr.RigID.String,
			ParentID: mrID,
			Labels:   []string{LabelPRConflict},
			Metadata: map[string]any{"pr_url": prURL, "branch": branch, "target_branch": target,
				"mr_bead_id": mrID, "source_bead_id": source},
		})
		if err != nil {
			return err
		}
		return t.InsertDependency(mrID, cb.ID, DepBlocks)
	}
	esc, err := t.CreateBead(now, CreateBeadInput{
		Type:     TypeEscalation,
		Title:    "Merge conflict detected: " + branch,
		Body:     fmt.Sprintf("PR %s (branch %s) has merge conflicts that need a human to resolve them.", prURL, branch),
		Priority: "high",
		RigID:    mr.RigID.String,
		Labels:   []string{LabelEscalation, "severity:high"},
		Metadata: map[string]any{"pr_url": prURL, "branch": branch, "target_branch": target,
			"mr_bead_id": mrID, "source_bead_id": source, "conflict": true},
	})
	if err != nil {
		return err
	}
	if _, err := t.db.Exec(`INSERT INTO escalation_metadata (bead_id, severity, category, acknowledged, re_escalation_count, acknowledged_at)
		VALUES (?, ?, ?, ?, ?, ?)`, esc.ID, "high", "merge_conflict", 0, 0, nil); err != nil {
		return err
	}
	return t.CreateTriageRequest(now, TriageRequestInput{
		TriageType: "escalation",
		Title:      "Escalation (high): Merge conflict on " + branch,
		RigID:      mr.RigID.String,
		Context: map[string]any{"escalation_bead_id": esc.ID, "severity": "high", "rig_id": nullJSON(mr.RigID),
			"category": "merge_conflict", "pr_url": prURL, "branch": branch, "mr_bead_id": mrID},
		Options: []string{"ESCALATE_TO_MAYOR", "RESTART", "CLOSE_BEAD", "REASSIGN_BEAD"},
	})
}
