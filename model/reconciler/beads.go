package reconciler

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/townsim/townsim/model"
)

// Bead-rule constants (§7.2).
const (
	// BD-3 leaves an in_progress issue fresher than Knobs.StaleInProgress
	// (production: 5 min) alone.
	// bdOrphanedInReview: BD-4 leaves an in_review issue this fresh alone.
	bdOrphanedInReview = 5 * time.Minute
	// bdRecentHeartbeat: BD-3's "recent heartbeat" window (SQL clock).
	bdRecentHeartbeat = 90 * time.Second
	// Label patterns as production's SQL tests them (quoted: exact label).
	bdTriageRequestLike = `%"` + model.LabelTriageRequest + `"%`
	bdHeldLike          = `%"` + model.LabelHeld + `"%`
)

// reconcileBeads is §2.2: the breaker, then BD-1, BD-1b, BD-2, BD-3, BD-4
// and the breaker notice BD-CB, in that order.
func (p *rulePass) reconcileBeads() ([]Action, error) {
	cb, err := p.breaker()
	if err != nil {
		return nil, err
	}
	breakerOpen := len(cb) > 0
	var out []Action

	// BD-1: open, unassigned, unblocked, unstaged, non-triage, non-held issues.
	unassigned, err := p.beads(`WHERE b.type = 'issue'
		  AND b.status = 'open'
		  AND b.assignee_agent_bead_id IS NULL
		  AND b.rig_id IS NOT NULL
		  AND b.labels NOT LIKE ?
		  AND b.labels NOT LIKE ?
		  AND NOT EXISTS (
		    SELECT 1 FROM bead_dependencies bd
		    INNER JOIN beads blocker ON blocker.bead_id = bd.depends_on_bead_id
		    WHERE bd.bead_id = b.bead_id
		      AND bd.dependency_type = 'blocks'
		      AND blocker.status NOT IN ('closed', 'failed')
		  )
		  AND NOT EXISTS (
		    SELECT 1 FROM bead_dependencies bd2
		    INNER JOIN convoy_metadata cm ON cm.bead_id = bd2.depends_on_bead_id
		    WHERE bd2.bead_id = b.bead_id
		      AND bd2.dependency_type = 'tracks'
		      AND cm.staged = 1
		  )`, bdTriageRequestLike, bdHeldLike)
	if err != nil {
		return nil, err
	}
	for _, b := range unassigned {
		if b.RigID.String == "" || p.o.Draining {
			continue
		}
		limit, err := p.maxAttempts(b.RigID.String)
		if err != nil {
			return nil, err
		}
		if b.DispatchAttempts >= limit {
			out = append(out, Action{Type: TransitionBead, BeadID: b.ID,
				From: model.StatusOpen, To: model.StatusFailed,
				Reason: fmt.Sprintf("max dispatch attempts exceeded (%d)", b.DispatchAttempts), Actor: ruleActor})
			continue
		}
		if p.cooldownPending(b.DispatchAttempts, b.LastDispatchAttemptAt) || breakerOpen {
			continue
		}
		out = append(out, Action{Type: DispatchAgent, BeadID: b.ID, RigID: b.RigID.String})
	}

	// BD-1b: open issues whose assignee is not hooked to them.
	staleAssigned, err := p.beads(`WHERE b.type = 'issue'
		  AND b.status = 'open'
		  AND b.assignee_agent_bead_id IS NOT NULL
		  AND b.rig_id IS NOT NULL
		  AND NOT EXISTS (
		    SELECT 1 FROM agent_metadata am
		    WHERE am.bead_id = b.assignee_agent_bead_id
		      AND am.current_hook_bead_id = b.bead_id
		  )`)
	if err != nil {
		return nil, err
	}
	for _, b := range staleAssigned {
		if b.Assignee.String == ruleActor || b.hasLabel(model.LabelTriageRequest) {
			continue
		}
		out = append(out, Action{Type: ClearBeadAssignee, BeadID: b.ID})
	}

	// BD-2: idle non-refinery agents with a hook; per row, the hooked bead
	// and (past the cap and cooldown) its blocker count.
	idleHooked, err := p.agents(`WHERE a.status = 'idle'
		  AND a.current_hook_bead_id IS NOT NULL
		  AND a.role != 'refinery'`)
	if err != nil {
		return nil, err
	}
	for _, a := range idleHooked {
		if !a.Hook.Valid || a.Hook.String == "" {
			continue
		}
		hooked, err := p.hookedBeadDispatch(a.Hook.String)
		if err != nil {
			return nil, err
		}
		if hooked == nil || hooked.Status != model.StatusOpen {
			continue
		}
		if hooked.DispatchAttempts >= p.k.MaxDispatchAttempts {
			out = append(out,
				Action{Type: TransitionBead, BeadID: a.Hook.String, FromNull: true, To: model.StatusFailed,
					Reason: fmt.Sprintf("max dispatch attempts exceeded (%d)", hooked.DispatchAttempts), Actor: ruleActor},
				Action{Type: UnhookAgent, AgentID: a.ID, Reason: "max dispatch attempts"})
			continue
		}
		if p.cooldownPending(hooked.DispatchAttempts, hooked.LastDispatchAttemptAt) {
			continue
		}
		blockers, err := p.db.Int(`SELECT count(*) AS cnt
			FROM bead_dependencies bd
			INNER JOIN beads blocker ON blocker.bead_id = bd.depends_on_bead_id
			WHERE bd.bead_id = ?
			  AND bd.dependency_type = 'blocks'
			  AND blocker.status NOT IN ('closed', 'failed')`, a.Hook.String)
		if err != nil {
			return nil, err
		}
		if blockers > 0 || p.o.Draining || breakerOpen {
			continue
		}
		rig := ""
		switch {
		case hooked.RigID.Valid:
			rig = hooked.RigID.String
		case a.RigID.Valid:
			rig = a.RigID.String
		}
		out = append(out, Action{Type: DispatchAgent, AgentID: a.ID, BeadID: a.Hook.String, RigID: rig})
	}

	// BD-3: in_progress issues nobody is working on.
	inProgress, err := p.beads(`WHERE b.type = 'issue'
		  AND b.status = 'in_progress'`)
	if err != nil {
		return nil, err
	}
	for _, b := range inProgress {
		if !p.stale(model.Null(b.UpdatedAt), p.k.StaleInProgress) {
			continue
		}
		alive, err := p.rowCount(`SELECT status, last_activity_at
			FROM agent_metadata
			WHERE current_hook_bead_id = ?
			  AND (
			    status IN ('working', 'stalled')
			    OR last_activity_at > ?
			  )`, b.ID, p.sqlCutoff(bdRecentHeartbeat))
		if err != nil {
			return nil, err
		}
		if alive > 0 {
			continue
		}
		if b.DispatchAttempts >= p.k.MaxDispatchAttempts {
			out = append(out,
				Action{Type: TransitionBead, BeadID: b.ID, From: model.StatusInProgress, To: model.StatusFailed,
					Reason: fmt.Sprintf("agent lost, max dispatch attempts exhausted (%d)", b.DispatchAttempts), Actor: ruleActor},
				Action{Type: ClearBeadAssignee, BeadID: b.ID})
			continue
		}
		out = append(out,
			Action{Type: TransitionBead, BeadID: b.ID, From: model.StatusInProgress, To: model.StatusOpen,
				Reason: "agent lost", Actor: ruleActor},
			Action{Type: ClearBeadAssignee, BeadID: b.ID})
	}

	// BD-4: in_review issues whose MRs are all terminal.
	inReview, err := p.beads(`WHERE b.type = 'issue'
		  AND b.status = 'in_review'`)
	if err != nil {
		return nil, err
	}
	for _, b := range inReview {
		if !p.stale(model.Null(b.UpdatedAt), bdOrphanedInReview) {
			continue
		}
		mrs, err := p.db.Strings(`SELECT mr.status
			FROM bead_dependencies bd
			INNER JOIN beads mr ON mr.bead_id = bd.bead_id
			WHERE bd.depends_on_bead_id = ?
			  AND bd.dependency_type = 'tracks'
			  AND mr.type = 'merge_request'`, b.ID)
		if err != nil {
			return nil, err
		}
		if len(mrs) == 0 {
			continue
		}
		allTerminal, anyMerged := true, false
		for _, st := range mrs {
			allTerminal = allTerminal && model.Terminal(st)
			anyMerged = anyMerged || st == model.StatusClosed
		}
		if !allTerminal {
			continue
		}
		if anyMerged {
			out = append(out, Action{Type: TransitionBead, BeadID: b.ID, From: model.StatusInReview,
				To: model.StatusClosed, Reason: "MR merged (reconciler safety net)", Actor: ruleActor})
			continue
		}
		out = append(out,
			Action{Type: TransitionBead, BeadID: b.ID, From: model.StatusInReview, To: model.StatusOpen,
				Reason: "all reviews failed", Actor: ruleActor},
			Action{Type: ClearBeadAssignee, BeadID: b.ID})
	}

	// BD-CB: the breaker notice, once, after every BD row.
	return append(out, cb...), nil
}

// hookedDispatch is the hooked bead's dispatch state as BD-2 reads it.
type hookedDispatch struct {
	Status                string
	RigID                 sql.NullString
	DispatchAttempts      int
	LastDispatchAttemptAt sql.NullString
}

// hookedBeadDispatch reads BD-2's per-row lookup; nil when the bead is missing.
func (p *rulePass) hookedBeadDispatch(id string) (*hookedDispatch, error) {
	rows, err := p.db.Query(`SELECT status, rig_id, dispatch_attempts, last_dispatch_attempt_at
		FROM beads
		WHERE bead_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var h hookedDispatch
	if err := rows.Scan(&h.Status, &h.RigID, &h.DispatchAttempts, &h.LastDispatchAttemptAt); err != nil {
		return nil, err
	}
	return &h, nil
}
