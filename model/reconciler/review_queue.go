package reconciler

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/townsim/townsim/model"
)

// Review-queue rule constants (§7.2).
const (
	// RQ-1 polls when Knobs.PRPollInterval (PR_POLL_INTERVAL_MS,
	// production 60 s) has passed (≥).
	// rqStuckReview: RQ-2's PR-less in_progress timeout.
	rqStuckReview = 30 * time.Minute
	// rqAbandoned: RQ-3's PR-less in_progress timeout.
	rqAbandoned = 2 * time.Minute
	// rqOrphanedPR: RQ-4's PR-backed in_progress timeout.
	rqOrphanedPR = 30 * time.Minute
)

// rqNotReviewAndMergeChild is the SQL test "the MR's parent is not a
// review-and-merge convoy" of RQ-FT and RQ-OR (MR table alias b).
const rqNotReviewAndMergeChild = `
		  AND NOT EXISTS (
		    SELECT 1
		    FROM beads parent
		    JOIN convoy_metadata cm ON cm.bead_id = parent.bead_id
		    WHERE parent.bead_id = b.parent_bead_id
		      AND cm.merge_mode = 'review-and-merge'
		  )`

// rqRefineryNeeded is RQ-5's extra filter for rigs with code review off:
// review-and-merge children and system-created (landing) MRs only. The
// outer table is the unaliased beads.
const rqRefineryNeeded = `
		  AND (
		    EXISTS (
		      SELECT 1
		      FROM beads outer_parent
		      JOIN convoy_metadata cm ON cm.bead_id = outer_parent.bead_id
		      WHERE outer_parent.bead_id = beads.parent_bead_id
		        AND cm.merge_mode = 'review-and-merge'
		    )
		    OR beads.created_by = 'system'
		  )`

// ruleMR is production's MrBeadRow: an open or in_progress MR joined with
// its review_metadata, metadata parsed.
type ruleMR struct {
	ID        string
	Status    string
	RigID     sql.NullString
	UpdatedAt string
	Metadata  map[string]any
	PRURL     sql.NullString
	Assignee  sql.NullString
}

// reconcileReviewQueue is §2.3: the breaker, then group 1 (RQ-1…RQ-4 per
// MR), group 2 (RQ-FT, RQ-OR per rig with code review off), group 3
// (RQ-5 per rig, then RQ-6 per idle refinery) and group 4 (RQ-7).
func (p *rulePass) reconcileReviewQueue() ([]Action, error) {
	cb, err := p.breaker()
	if err != nil {
		return nil, err
	}
	breakerOpen := len(cb) > 0
	var out []Action

	mrs, err := p.reviewMRs()
	if err != nil {
		return nil, err
	}
	for _, mr := range mrs {
		as, err := p.reviewMR(mr)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}

	as, err := p.codeReviewOff()
	if err != nil {
		return nil, err
	}
	out = append(out, as...)

	if as, err = p.popOldestMRs(breakerOpen); err != nil {
		return nil, err
	}
	out = append(out, as...)

	if as, err = p.redispatchRefineries(breakerOpen); err != nil {
		return nil, err
	}
	out = append(out, as...)

	if as, err = p.stopFinishedRefineries(); err != nil {
		return nil, err
	}
	return append(out, as...), nil
}

// reviewMRs reads group 1's rows. An MR without review_metadata is not
// among them (inner join); metadata that is not a JSON object fails the read.
func (p *rulePass) reviewMRs() ([]*ruleMR, error) {
	rows, err := p.db.Query(`SELECT b.bead_id, b.status, b.rig_id, b.updated_at, b.metadata,
		       rm.pr_url, b.assignee_agent_bead_id
		FROM beads b
		INNER JOIN review_metadata rm ON rm.bead_id = b.bead_id
		WHERE b.type = 'merge_request'
		  AND b.status IN ('open', 'in_progress')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ruleMR
	for rows.Next() {
		var mr ruleMR
		var meta sql.NullString
		if err := rows.Scan(&mr.ID, &mr.Status, &mr.RigID, &mr.UpdatedAt, &meta, &mr.PRURL, &mr.Assignee); err != nil {
			return nil, err
		}
		if err := model.CheckBeadEnums(mr.ID, model.TypeMergeRequest, mr.Status); err != nil {
			return nil, err
		}
		if mr.Metadata, err = parseRecord(mr.ID, meta); err != nil {
			return nil, err
		}
		out = append(out, &mr)
	}
	return out, rows.Err()
}

// reviewMR runs RQ-1…RQ-4 on one MR; a rule that "continues" ends the
// MR's turn.
func (p *rulePass) reviewMR(mr *ruleMR) ([]Action, error) {
	var out []Action
	inProgress := mr.Status == model.StatusInProgress
	hasPR := mr.PRURL.String != ""

	// RQ-1: poll a PR-backed MR at most once a minute; merge when pending.
	if inProgress && hasPR {
		due := true
		if last, ok := mr.Metadata["last_poll_at"].(string); ok {
			ms, parsed := p.msSince(last)
			due = parsed && ms >= float64(p.k.PRPollInterval/time.Millisecond)
		}
		if due {
			out = append(out, Action{Type: PollPR, BeadID: mr.ID, PRURL: mr.PRURL.String})
		}
		if model.JSTruthy(mr.Metadata["auto_merge_pending"]) {
			out = append(out, Action{Type: MergePR, BeadID: mr.ID, PRURL: mr.PRURL.String})
		}
	}

	// RQ-2: a PR-less review stuck for 30 min with nobody working on it.
	if inProgress && !hasPR && p.stale(model.Null(mr.UpdatedAt), rqStuckReview) {
		blocked, err := p.hasUnresolvedReworkBlockers(mr.ID)
		if err != nil || blocked {
			return out, err
		}
		working, err := p.hasWorkingAgentHooked(mr.ID)
		if err != nil {
			return nil, err
		}
		if !working {
			out = append(out, Action{Type: TransitionBead, BeadID: mr.ID, From: model.StatusInProgress,
				To: model.StatusOpen, Reason: "stuck review, no working agent", Actor: ruleActor})
			idle, err := p.idleAgentHookedTo(mr.ID)
			if err != nil {
				return nil, err
			}
			if idle != "" {
				out = append(out, Action{Type: UnhookAgent, AgentID: idle, Reason: "stuck review cleanup"})
			}
		}
	}

	// RQ-3: a PR-less review abandoned for 2 min with nobody hooked.
	if inProgress && !hasPR && p.stale(model.Null(mr.UpdatedAt), rqAbandoned) {
		blocked, err := p.hasUnresolvedReworkBlockers(mr.ID)
		if err != nil || blocked {
			return out, err
		}
		anyAgent, err := p.exists(`SELECT 1 FROM agent_metadata
			WHERE current_hook_bead_id = ?
			LIMIT 1`, mr.ID)
		if err != nil {
			return nil, err
		}
		if !anyAgent {
			out = append(out, Action{Type: TransitionBead, BeadID: mr.ID, From: model.StatusInProgress,
				To: model.StatusOpen, Reason: "abandoned, no agent hooked", Actor: ruleActor})
		}
	}

	// RQ-4: a PR-backed review whose refinery died 30 min ago. The rig's
	// code_review is read first, for every MR with a rig.
	if mr.RigID.String == "" {
		return out, nil
	}
	review, err := p.codeReview(mr.RigID.String)
	if err != nil {
		return nil, err
	}
	if review && inProgress && hasPR && p.stale(model.Null(mr.UpdatedAt), rqOrphanedPR) {
		if awaitingApproval(mr.Metadata) {
			return out, nil
		}
		working, err := p.hasWorkingAgentHooked(mr.ID)
		if err != nil {
			return nil, err
		}
		if !working {
			out = append(out, Action{Type: TransitionBead, BeadID: mr.ID, From: mr.Status,
				To: model.StatusFailed, Reason: "PR review orphaned", Actor: ruleActor})
		}
	}
	return out, nil
}

// openMRRigs is the DISTINCT rig_id of open MRs with a rig (group 2 and
// RQ-5 each run it).
func (p *rulePass) openMRRigs() ([]string, error) {
	return p.db.Strings(`SELECT DISTINCT b.rig_id
		FROM beads b
		WHERE b.type = 'merge_request'
		  AND b.status = 'open'
		  AND b.rig_id IS NOT NULL`)
}

// codeReviewOff is group 2: for every rig with open MRs and code review
// disabled, RQ-FT fast-tracks PR-backed MRs and RQ-OR fails PR-less ones
// (one failure per tracks edge) and reopens their sources.
func (p *rulePass) codeReviewOff() ([]Action, error) {
	rigs, err := p.openMRRigs()
	if err != nil {
		return nil, err
	}
	var out []Action
	for _, rig := range rigs {
		review, err := p.codeReview(rig)
		if err != nil {
			return nil, err
		}
		if review {
			continue
		}
		fast, err := p.db.Strings(`SELECT b.bead_id
			FROM beads b
			JOIN review_metadata rm ON rm.bead_id = b.bead_id
			WHERE b.type = 'merge_request'
			  AND b.status = 'open'
			  AND b.rig_id = ?
			  AND rm.pr_url IS NOT NULL`+rqNotReviewAndMergeChild, rig)
		if err != nil {
			return nil, err
		}
		for _, id := range fast {
			out = append(out, Action{Type: TransitionBead, BeadID: id, From: model.StatusOpen,
				To: model.StatusInProgress, Reason: "refinery code review disabled — skip to poll_pr", Actor: ruleActor})
		}

		rows, err := p.db.Query(`SELECT b.bead_id, bd.depends_on_bead_id AS source_bead_id
			FROM beads b
			JOIN review_metadata rm ON rm.bead_id = b.bead_id
			LEFT JOIN bead_dependencies bd
			  ON bd.bead_id = b.bead_id
			  AND bd.dependency_type = 'tracks'
			WHERE b.type = 'merge_request'
			  AND b.status = 'open'
			  AND b.rig_id = ?
			  AND rm.pr_url IS NULL
			  AND b.created_by != 'system'`+rqNotReviewAndMergeChild, rig)
		if err != nil {
			return nil, err
		}
		type orphan struct {
			id     string
			source sql.NullString
		}
		var orphans []orphan
		for rows.Next() {
			var o orphan
			if err := rows.Scan(&o.id, &o.source); err != nil {
				rows.Close()
				return nil, err
			}
			orphans = append(orphans, o)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
		for _, o := range orphans {
			out = append(out, Action{Type: TransitionBead, BeadID: o.id, From: model.StatusOpen, To: model.StatusFailed,
				Reason: "MR bead has no pr_url and code review is disabled — polecat failed to create PR", Actor: ruleActor})
			if o.source.String != "" {
				out = append(out, Action{Type: TransitionBead, BeadID: o.source.String, From: model.StatusInReview,
					To: model.StatusOpen, Reason: "MR failed (no PR created) — reopening for retry", Actor: ruleActor})
			}
		}
	}
	return out, nil
}

// popOldestMRs is RQ-5: per rig with open MRs, pop the oldest open MR for
// the rig's idle, unhooked refinery (or for a refinery to be created).
func (p *rulePass) popOldestMRs(breakerOpen bool) ([]Action, error) {
	rigs, err := p.openMRRigs()
	if err != nil {
		return nil, err
	}
	var out []Action
	for _, rig := range rigs {
		review, err := p.codeReview(rig)
		if err != nil {
			return nil, err
		}
		filter := ""
		if !review {
			filter = rqRefineryNeeded
		}
		busy, err := p.db.Int(`SELECT count(*) AS cnt FROM beads b
			INNER JOIN review_metadata rm ON rm.bead_id = b.bead_id
			WHERE b.type = 'merge_request'
			  AND b.status = 'in_progress'
			  AND b.rig_id = ?
			  AND rm.pr_url IS NULL`, rig)
		if err != nil {
			return nil, err
		}
		if busy > 0 {
			continue
		}
		refs, err := p.agents(`WHERE a.role = 'refinery'
		  AND b.rig_id = ?
		LIMIT 1`, rig)
		if err != nil {
			return nil, err
		}
		oldest, err := p.db.Strings(`SELECT beads.bead_id
			FROM beads
			WHERE beads.type = 'merge_request'
			  AND beads.status = 'open'
			  AND beads.rig_id = ?`+filter+`
			ORDER BY beads.created_at ASC
			LIMIT 1`, rig)
		if err != nil {
			return nil, err
		}
		if len(oldest) == 0 || p.o.Draining || breakerOpen {
			continue
		}
		mr := oldest[0]
		if len(refs) == 0 {
			out = append(out,
				Action{Type: TransitionBead, BeadID: mr, From: model.StatusOpen, To: model.StatusInProgress,
					Reason: "popped for review (creating refinery)", Actor: ruleActor},
				Action{Type: DispatchAgent, BeadID: mr, RigID: rig})
			continue
		}
		ref := refs[0]
		if ref.Status != model.AgentIdle || ref.Hook.String != "" {
			continue
		}
		out = append(out,
			Action{Type: TransitionBead, BeadID: mr, From: model.StatusOpen, To: model.StatusInProgress,
				Reason: "popped for review", Actor: ruleActor},
			Action{Type: HookAgent, AgentID: ref.ID, BeadID: mr},
			Action{Type: DispatchAgent, AgentID: ref.ID, BeadID: mr, RigID: rig})
	}
	return out, nil
}

// redispatchRefineries is RQ-6: an idle refinery still hooked to its
// in_progress MR is dispatched again, or the MR is failed at its cap.
func (p *rulePass) redispatchRefineries(breakerOpen bool) ([]Action, error) {
	refs, err := p.agents(`WHERE a.role = 'refinery'
		  AND a.status = 'idle'
		  AND a.current_hook_bead_id IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	var out []Action
	for _, ref := range refs {
		if ref.Hook.String == "" {
			continue
		}
		var mr struct {
			status, typ           string
			rig                   sql.NullString
			attempts              int
			lastAttempt, metadata sql.NullString
		}
		err := p.db.QueryRow(`SELECT status, type, rig_id, dispatch_attempts, last_dispatch_attempt_at, metadata
			FROM beads
			WHERE bead_id = ?`, []any{ref.Hook.String},
			&mr.status, &mr.typ, &mr.rig, &mr.attempts, &mr.lastAttempt, &mr.metadata)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !mr.metadata.Valid {
			return nil, fmt.Errorf("bead %s: metadata is null", ref.Hook.String)
		}
		if mr.typ != model.TypeMergeRequest || mr.status != model.StatusInProgress {
			continue
		}
		meta, err := jsObject(mr.metadata.String)
		if err != nil {
			return nil, err
		}
		if awaitingApproval(meta) || p.o.Draining {
			continue
		}
		rigID := mr.rig
		if !rigID.Valid {
			rigID = ref.RigID
		}
		limit, err := p.maxAttempts(rigID.String)
		if err != nil {
			return nil, err
		}
		if mr.attempts >= limit {
			out = append(out,
				Action{Type: TransitionBead, BeadID: ref.Hook.String, FromNull: true, To: model.StatusFailed,
					Reason: fmt.Sprintf("refinery max dispatch attempts exceeded (%d)", mr.attempts), Actor: ruleActor},
				Action{Type: UnhookAgent, AgentID: ref.ID, Reason: "max dispatch attempts"})
			continue
		}
		if p.cooldownPending(mr.attempts, mr.lastAttempt) || breakerOpen {
			continue
		}
		out = append(out, Action{Type: DispatchAgent, AgentID: ref.ID, BeadID: ref.Hook.String, RigID: rigID.String})
	}
	return out, nil
}

// stopFinishedRefineries is RQ-7: a working or stalled refinery whose
// hooked MR is closed or failed is stopped, unhooked and idled.
func (p *rulePass) stopFinishedRefineries() ([]Action, error) {
	refs, err := p.agents(`WHERE a.role = 'refinery'
		  AND a.status IN ('working', 'stalled')
		  AND a.current_hook_bead_id IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	var out []Action
	for _, ref := range refs {
		if ref.Hook.String == "" {
			continue
		}
		mr, err := p.t.GetBead(ref.Hook.String)
		if err != nil {
			return nil, err
		}
		if mr == nil || !model.Terminal(mr.Status) {
			continue
		}
		out = append(out,
			Action{Type: StopAgent, AgentID: ref.ID, Reason: fmt.Sprintf("MR bead %s is %s", ref.Hook.String, mr.Status)},
			Action{Type: UnhookAgent, AgentID: ref.ID, Reason: fmt.Sprintf("MR bead %s — cleanup", mr.Status)},
			Action{Type: TransitionAgent, AgentID: ref.ID, From: ref.Status, To: model.AgentIdle,
				Reason: fmt.Sprintf("MR bead %s — cleanup", mr.Status)})
	}
	return out, nil
}

// hasUnresolvedReworkBlockers: the MR has a non-terminal `blocks` target.
func (p *rulePass) hasUnresolvedReworkBlockers(mrID string) (bool, error) {
	return p.exists(`SELECT 1 FROM bead_dependencies bd
		INNER JOIN beads rework ON rework.bead_id = bd.depends_on_bead_id
		WHERE bd.bead_id = ?
		  AND bd.dependency_type = 'blocks'
		  AND rework.status NOT IN ('closed', 'failed')
		LIMIT 1`, mrID)
}

// hasWorkingAgentHooked: some working or stalled agent is hooked to the bead.
func (p *rulePass) hasWorkingAgentHooked(beadID string) (bool, error) {
	return p.exists(`SELECT 1 FROM agent_metadata
		WHERE current_hook_bead_id = ?
		  AND status IN ('working', 'stalled')
		LIMIT 1`, beadID)
}

// idleAgentHookedTo returns the first idle agent hooked to the bead, or "".
func (p *rulePass) idleAgentHookedTo(beadID string) (string, error) {
	ids, err := p.db.Strings(`SELECT bead_id
		FROM agent_metadata
		WHERE current_hook_bead_id = ?
		  AND status = 'idle'
		LIMIT 1`, beadID)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}
