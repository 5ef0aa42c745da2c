package reconciler

import (
	"time"

	"github.com/townsim/townsim/model"
)

// Agent-rule constants (§7.2).
const (
	// AG-1 and AG-4's heartbeat grace is Knobs.HeartbeatStale (production:
	// 90 s, three missed 30-s heartbeats).
	// agStalledAutoIdle: stalled longer than this (strictly) is idled (AG-2, GUPP).
	agStalledAutoIdle = 150 * time.Minute
	// agAttemptResetQuiet: AG-3 resets agents quiet this long.
	agAttemptResetQuiet = 30 * time.Minute
)

// reconcileAgents is §2.1: AG-1 heartbeat check, AG-2 stalled auto-idle,
// AG-3 attempt reset, AG-4 idle-with-hook cleanup, in that order.
func (p *rulePass) reconcileAgents() ([]Action, error) {
	var out []Action

	// AG-1: working agents whose heartbeat never came, went stale, or who
	// have no hook. The query runs even while draining; every row is then
	// skipped.
	working, err := p.agents(`WHERE a.status = 'working'`)
	if err != nil {
		return nil, err
	}
	for _, a := range working {
		if a.Role == model.RoleMayor || p.o.Draining {
			continue
		}
		var reason string
		switch {
		case !a.LastActivityAt.Valid || a.LastActivityAt.String == "":
			reason = "no heartbeat received since dispatch"
		case p.stale(a.LastActivityAt, p.k.HeartbeatStale):
			reason = "heartbeat lost (3 missed cycles)"
		case !a.Hook.Valid || a.Hook.String == "":
			reason = "working agent has no hook (gt_done already completed)"
		default:
			continue
		}
		out = append(out, Action{Type: TransitionAgent, AgentID: a.ID,
			From: model.AgentWorking, To: model.AgentIdle, Reason: reason})
	}

	// AG-2: stalled for more than 2.5 h (measured from stalled_at) → idle,
	// and unhook. An unparsable stalled_at gives NaN, which does not skip.
	if !p.o.Draining {
		stalled, err := p.agents(`WHERE a.status = 'stalled'`)
		if err != nil {
			return nil, err
		}
		for _, a := range stalled {
			if !a.StalledAt.Valid || a.StalledAt.String == "" {
				continue
			}
			if ms, ok := p.msSince(a.StalledAt.String); ok && ms <= float64(agStalledAutoIdle/time.Millisecond) {
				continue
			}
			const reason = "stalled_timeout (exceeded 2h 30min)"
			out = append(out, Action{Type: TransitionAgent, AgentID: a.ID,
				From: model.AgentStalled, To: model.AgentIdle, Reason: reason})
			if a.Hook.Valid && a.Hook.String != "" {
				out = append(out, Action{Type: UnhookAgent, AgentID: a.ID, Reason: reason})
			}
		}
	}

	// AG-3: agents with ≥ 5 dispatch attempts and no activity for 30 min
	// (any status or role; a NULL last_activity_at never matches).
	quiet, err := p.agents(`WHERE a.dispatch_attempts >= ?
		  AND a.last_activity_at < ?`, p.k.MaxDispatchAttempts, p.sqlCutoff(agAttemptResetQuiet))
	if err != nil {
		return nil, err
	}
	for _, a := range quiet {
		out = append(out, Action{Type: ResetAgentDispatchAttempts, AgentID: a.ID})
	}

	// AG-4: idle agents that still hold a hook; one status lookup per row.
	idle, err := p.agents(`WHERE a.status = 'idle'
		  AND a.current_hook_bead_id IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	for _, a := range idle {
		if !a.Hook.Valid || a.Hook.String == "" {
			continue
		}
		statuses, err := p.db.Strings(`SELECT status FROM beads WHERE bead_id = ?`, a.Hook.String)
		if err != nil {
			return nil, err
		}
		if len(statuses) == 0 {
			out = append(out,
				Action{Type: UnhookAgent, AgentID: a.ID, Reason: "hooked bead does not exist"},
				Action{Type: ClearAgentCheckpoint, AgentID: a.ID})
			continue
		}
		switch st := statuses[0]; st {
		case model.StatusClosed, model.StatusFailed:
			out = append(out,
				Action{Type: UnhookAgent, AgentID: a.ID, Reason: "hooked bead is terminal"},
				Action{Type: ClearAgentCheckpoint, AgentID: a.ID})
		case model.StatusInProgress, model.StatusOpen:
			// A fresh heartbeat means the session is alive: keep the hook.
			if !p.stale(a.LastActivityAt, p.k.HeartbeatStale) {
				continue
			}
			out = append(out,
				Action{Type: UnhookAgent, AgentID: a.ID, Reason: "idle agent hooked to live bead (dispatch failed)"},
				Action{Type: TransitionBead, BeadID: a.Hook.String, From: st, To: model.StatusOpen,
					Reason: "agent went idle without completing work — reset for re-dispatch", Actor: ruleActor})
		}
	}
	return out, nil
}
