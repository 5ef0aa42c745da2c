package model

import (
	"database/sql"
	"strings"
	"time"
)

// SubmitInput is submitToReviewQueue's input. PRURL, Summary and
// DefaultBranch "" = absent; an empty RigID is stored as the empty string, not NULL.
type SubmitInput struct {
	AgentID, SourceBeadID, RigID, Branch, PRURL, Summary, DefaultBranch string
}

// SubmitToReviewQueue creates a merge_request bead for the source bead
// [M 4.15]: target branch = the convoy's feature branch in review-then-land
// mode, else DefaultBranch or main; a plain tracks edge MR → source; the
// review_metadata row; a review_submitted event on the source. It returns
// the MR id. No created event.
func (t *Town) SubmitToReviewQueue(now time.Time, in SubmitInput) (string, error) {
	id := t.newID()
	ts := ISO(now)
	meta := jsonObj{{"source_bead_id", in.SourceBeadID}, {"source_agent_id", in.AgentID}}
	if in.PRURL != "" {
		meta = append(meta, kv{"pr_url", in.PRURL})
	}
	convoy, err := t.ConvoyForBead(in.SourceBeadID)
	if err != nil {
		return "", err
	}
	var fb sql.NullString
	mode := ""
	if convoy != "" {
		if fb, err = t.ConvoyFeatureBranch(convoy); err != nil {
			return "", err
		}
		if mode, err = t.ConvoyMergeMode(convoy); err != nil {
			return "", err
		}
	}
	hasFB := fb.Valid && fb.String != ""
	target := in.DefaultBranch
	if mode == MergeModeReviewThenLand && hasFB {
		target = fb.String
	} else if target == "" {
		target = "main"
	}
	if convoy != "" {
		meta = append(meta, kv{"convoy_id", convoy})
		if hasFB {
			meta = append(meta, kv{"convoy_feature_branch", fb.String})
		}
	}
	if _, err := t.db.Exec(insertBeadSQL,
		id, TypeMergeRequest, StatusOpen, "Review: "+in.Branch, NullIfEmpty(in.Summary), in.RigID,
		nil, nil, "medium", MustJSON([]string{LabelMergeRequest}), MustJSON(meta), in.AgentID, ts, ts, nil); err != nil {
		return "", err
	}
	if _, err := t.db.Exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'tracks')`,
		id, in.SourceBeadID); err != nil {
		return "", err
	}
	if _, err := t.db.Exec(`INSERT INTO review_metadata (bead_id, branch, target_branch, merge_commit, pr_url, retry_count)
		VALUES (?, ?, ?, ?, ?, ?)`, id, in.Branch, target, nil, NullIfEmpty(in.PRURL), 0); err != nil {
		return "", err
	}
	if err := t.logEvent(now, in.SourceBeadID, Null(in.AgentID), "review_submitted", sql.NullString{}, Null(in.Branch),
		jsonObj{{"branch", in.Branch}, {"target_branch", target}}); err != nil {
		return "", err
	}
	return id, nil
}

// SetReviewPRURL stores an https:// PR URL on the MR's review_metadata and
// metadata.pr_url (updated_at not bumped) [M 4.16]; any other URL is
// rejected with false and nothing written.
func (t *Town) SetReviewPRURL(now time.Time, mrID, url string) (bool, error) {
	if !strings.HasPrefix(url, "https://") {
		return false, nil
	}
	if _, err := t.db.Exec(`UPDATE review_metadata SET pr_url = ? WHERE bead_id = ?`, url, mrID); err != nil {
		return false, err
	}
	if _, err := t.db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.pr_url', ?) WHERE bead_id = ?`, url, mrID); err != nil {
		return false, err
	}
	return true, nil
}

// MarkReviewInReview sets the MR in_progress directly: no terminal guard,
// no event (it can revive a closed or failed MR) [M 4.16].
func (t *Town) MarkReviewInReview(now time.Time, mrID string) error {
	_, err := t.db.Exec(`UPDATE beads SET status = 'in_progress', updated_at = ? WHERE bead_id = ?`, ISO(now), mrID)
	return err
}

// ReviewResult is completeReviewWithResult's input; Status is merged,
// failed or conflict; Message and CommitSHA "" = absent.
type ReviewResult struct {
	EntryID, Status, Message, CommitSHA string
}

// CompleteReviewWithResult finishes a review [M 4.17]: the MR goes closed
// (merged) or failed through the guarded path; then, when it has
// review_metadata, a review_completed event on the source and: merged →
// close the source, close every other non-closed MR of the source
// (failed ones too) directly, recount the source's convoys, stamp
// landed_at when the source is a convoy; conflict → an escalation bead,
// then as failed; failed → a non-terminal source goes back to open with
// no assignee.
func (t *Town) CompleteReviewWithResult(now time.Time, r ReviewResult) error {
	mrStatus := StatusFailed
	if r.Status == "merged" {
		mrStatus = StatusClosed
	}
	if _, err := t.updateBeadStatus(now, r.EntryID, mrStatus, Null("system"), nil); err != nil {
		return err
	}
	var branch string
	rows, err := t.db.Query(`SELECT `+BeadColumns+`, rm.branch FROM beads b
		INNER JOIN review_metadata rm ON b.bead_id = rm.bead_id WHERE b.bead_id = ?`, r.EntryID)
	if err != nil {
		return err
	}
	var mr *Bead
	if rows.Next() {
		mr, err = ScanBead(extraScanner{rows, []any{&branch}})
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil || mr == nil {
		return err
	}
	source := mr.ID
	if s, ok := mr.MetaString("source_bead_id"); ok {
		source = s
	}
	srcAgent := ""
	if s, ok := mr.MetaString("source_agent_id"); ok {
		srcAgent = s
	} else if mr.CreatedBy.Valid {
		srcAgent = mr.CreatedBy.String
	}
	meta := jsonObj{}
	if r.Message != "" {
		meta = append(meta, kv{"message", r.Message})
	}
	if r.CommitSHA != "" {
		meta = append(meta, kv{"commit_sha", r.CommitSHA})
	}
	if err := t.logEvent(now, source, Null(srcAgent), "review_completed", sql.NullString{}, Null(r.Status), meta); err != nil {
		return err
	}
	switch r.Status {
	case "merged":
		ts := ISO(now)
		if _, err := t.updateBeadStatus(now, source, StatusClosed, Null(srcAgent), nil); err != nil {
			return err
		}
		if _, err := t.db.Exec(`UPDATE beads SET status = 'closed', updated_at = ?, closed_at = ?
			WHERE type = 'merge_request' AND bead_id != ? AND status NOT IN ('closed')
			  AND bead_id IN (SELECT dep.bead_id FROM bead_dependencies AS dep
			                  WHERE dep.depends_on_bead_id = ? AND dep.dependency_type = 'tracks')`,
			ts, ts, r.EntryID, source); err != nil {
			return err
		}
		if err := t.updateConvoyProgress(source, ts); err != nil {
			return err
		}
		sb, err := t.GetBead(source)
		if err != nil {
			return err
		}
		if sb != nil && sb.Type == TypeConvoy {
			return t.convoyLandedAt(source, Null(ISO(now)))
		}
	case "conflict":
		title := r.Message
		if title == "" {
			title = branch
		}
		if _, err := t.createBead(now, CreateBeadInput{
			Type: TypeEscalation, Title: "Merge conflict: " + title, Body: r.Message, Priority: "high",
		}, jsonObj{{"source_bead_id", source}, {"source_agent_id", srcAgent}, {"branch", branch}, {"conflict", true}}); err != nil {
			return err
		}
		return t.reopenSource(now, source, srcAgent)
	case "failed":
		return t.reopenSource(now, source, srcAgent)
	}
	return nil
}

// reopenSource returns a non-terminal source bead to open (guarded) and
// clears its assignee (no updated_at bump).
func (t *Town) reopenSource(now time.Time, source, srcAgent string) error {
	sb, err := t.GetBead(source)
	if err != nil || sb == nil || Terminal(sb.Status) {
		return err
	}
	if _, err := t.updateBeadStatus(now, source, StatusOpen, Null(srcAgent), nil); err != nil {
		return err
	}
	_, err = t.db.Exec(`UPDATE beads SET assignee_agent_bead_id = NULL WHERE bead_id = ?`, source)
	return err
}

// extraScanner scans extra trailing columns after the ones its caller asks for.
type extraScanner struct {
	s     Scanner
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.s.Scan(append(dest, e.extra...)...) }

// AgentDoneInput is gt_done's payload; PRURL and Summary "" = absent.
type AgentDoneInput struct{ Branch, PRURL, Summary string }

// ApplyAgentDone is the agentDone core operation [M 4.18].
//
// Without a hook only a refinery does anything: its most recently updated
// non-terminal MR gets the PR URL (or fails, invalid URL), or without a URL
// fails with an escalation bead. With hook H, in order: a patrol triage
// batch, a rework, a PR-fixup/conflict or a PR-feedback bead is closed and
// unhooked; a refinery stores the PR URL (pr_created / pr_creation_failed)
// or merges, then unhooks and idles; a polecat submits H for review,
// unhooks, and moves H to in_review.
func (t *Town) ApplyAgentDone(now time.Time, agentID string, in AgentDoneInput) error {
	a, err := t.existingAgent(agentID)
	if err != nil {
		return err
	}
	if !a.Hook.Valid || a.Hook.String == "" {
		if a.Role != RoleRefinery {
			return nil
		}
		mrs, err := t.db.Strings(`SELECT bead_id FROM beads WHERE type = 'merge_request' AND assignee_agent_bead_id = ?
			AND status NOT IN ('closed', 'failed') ORDER BY updated_at DESC LIMIT 1`, agentID)
		if err != nil || len(mrs) == 0 {
			return err
		}
		mr := mrs[0]
		if in.PRURL != "" {
			ok, err := t.SetReviewPRURL(now, mr, in.PRURL)
			if err != nil {
				return err
			}
			if ok {
				return t.MarkReviewInReview(now, mr)
			}
			return t.CompleteReviewWithResult(now, ReviewResult{EntryID: mr, Status: "failed",
				Message: "Refinery provided invalid pr_url: " + in.PRURL})
		}
		msg := in.Summary
		if msg == "" {
			msg = "Refinery called gt_done without a pr_url after losing its hook — cannot confirm merge"
		}
		if err := t.CompleteReviewWithResult(now, ReviewResult{EntryID: mr, Status: "failed", Message: msg}); err != nil {
			return err
		}
		summary := in.Summary
		if summary == "" {
			summary = "(none)"
		}
		_, err = t.createBead(now, CreateBeadInput{
			Type:  TypeEscalation,
			Title: "Refinery gt_done without pr_url after hook loss",
			Body: "Refinery " + agentID + " called gt_done with no pr_url while unhooked from MR " + mr +
				". Its hook was probably cleared by a recovery rule while its session was still running. " +
				"The MR was failed rather than merged; a human should check whether the refinery meant to " +
				"approve and merge or to request changes. Refinery summary: " + summary,
			Priority: "high",
		}, jsonObj{{"source_bead_id", mr}, {"source_agent_id", agentID}, {"kind", "refinery_unhooked_done"}})
		return err
	}

	hook := a.Hook.String
	hb, err := t.GetBead(hook)
	if err != nil {
		return err
	}
	// A patrol triage batch, a rework, a PR-fixup/conflict or a PR-feedback
	// bead is closed and unhooked.
	if hb != nil && (hb.HasLabel(LabelTriage) && hb.CreatedBy.Valid && hb.CreatedBy.String == "patrol" ||
		hb.HasLabel(LabelRework) || hb.HasLabel(LabelPRFixup) || hb.HasLabel(LabelPRConflict) ||
		hb.HasLabel(LabelPRFeedback)) {
		if _, err := t.updateBeadStatus(now, hook, StatusClosed, Null(agentID), nil); err != nil {
			return err
		}
		return t.UnhookBead(now, agentID)
	}

	if a.Role == RoleRefinery {
		if in.PRURL != "" {
			ok, err := t.SetReviewPRURL(now, hook, in.PRURL)
			if err != nil {
				return err
			}
			if ok {
				if err := t.MarkReviewInReview(now, hook); err != nil {
					return err
				}
				if err := t.logEvent(now, hook, Null(agentID), "pr_created", sql.NullString{}, Null(in.PRURL),
					jsonObj{{"pr_url", in.PRURL}, {"created_by", "refinery"}}); err != nil {
					return err
				}
			} else {
				if err := t.CompleteReviewWithResult(now, ReviewResult{EntryID: hook, Status: "failed",
					Message: "Refinery provided invalid pr_url: " + in.PRURL}); err != nil {
					return err
				}
				if err := t.logEvent(now, hook, Null(agentID), "pr_creation_failed", sql.NullString{}, sql.NullString{},
					jsonObj{{"pr_url", in.PRURL}, {"reason", "invalid_url"}}); err != nil {
					return err
				}
			}
		} else {
			msg := in.Summary
			if msg == "" {
				msg = "Merged by refinery agent"
			}
			if err := t.CompleteReviewWithResult(now, ReviewResult{EntryID: hook, Status: "merged", Message: msg}); err != nil {
				return err
			}
		}
		if err := t.UnhookBead(now, agentID); err != nil {
			return err
		}
		return t.UpdateAgentStatus(now, agentID, AgentIdle)
	}

	rigID := ""
	if a.RigID.Valid {
		rigID = a.RigID.String
	}
	defaultBranch := ""
	if rigID != "" {
		rig, err := t.GetRig(rigID)
		if err != nil {
			return err
		}
		if rig != nil {
			defaultBranch = rig.DefaultBranch
		}
	}
	if _, err := t.SubmitToReviewQueue(now, SubmitInput{
		AgentID: agentID, SourceBeadID: hook, RigID: rigID, Branch: in.Branch,
		PRURL: in.PRURL, Summary: in.Summary, DefaultBranch: defaultBranch,
	}); err != nil {
		return err
	}
	if err := t.UnhookBead(now, agentID); err != nil {
		return err
	}
	_, err = t.updateBeadStatus(now, hook, StatusInReview, Null(agentID), nil)
	return err
}

// AgentCompletedInput is the container's completion callback; Status is
// completed or failed, Reason "" = absent.
type AgentCompletedInput struct{ Status, Reason string }

// ApplyAgentCompleted is the agentCompleted core operation [M 4.19]. A
// missing agent is a no-op. A hooked refinery keeps its hook and bead. A
// hooked other agent: failed fails the bead (reason agent_failed); an
// in_progress bead with reason "container eviction" goes back to open
// without assignee; then the agent is unhooked. Finally, unless the agent
// is working and still hooked, it becomes idle and (non-refineries) its
// dispatch_attempts is reset.
func (t *Town) ApplyAgentCompleted(now time.Time, agentID string, in AgentCompletedInput) error {
	a, err := t.GetAgent(agentID)
	if err != nil || a == nil {
		return err
	}
	if a.Hook.Valid && a.Hook.String != "" && a.Role != RoleRefinery {
		hook := a.Hook.String
		hb, err := t.GetBead(hook)
		if err != nil {
			return err
		}
		if in.Status == StatusFailed {
			if _, err := t.updateBeadStatus(now, hook, StatusFailed, Null(agentID), &FailureReason{
				Code: "agent_failed", Message: "Agent exited with failed status", Source: "container",
			}); err != nil {
				return err
			}
		} else if hb != nil && hb.Status == StatusInProgress && in.Reason == "container eviction" {
			if _, err := t.updateBeadStatus(now, hook, StatusOpen, Null(agentID), nil); err != nil {
				return err
			}
			if _, err := t.db.Exec(`UPDATE beads SET assignee_agent_bead_id = NULL WHERE bead_id = ?`, hook); err != nil {
				return err
			}
		}
		if err := t.UnhookBead(now, agentID); err != nil {
			return err
		}
	}
	_, err = t.db.Exec(`UPDATE agent_metadata SET status = 'idle',
		dispatch_attempts = CASE WHEN role = 'refinery' THEN dispatch_attempts ELSE 0 END
		WHERE bead_id = ? AND NOT (status = 'working' AND current_hook_bead_id IS NOT NULL)`, agentID)
	return err
}
