package alarm

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// ReplayCaveat is returned with every replay: what the output is and is not.
const ReplayCaveat = "Approximate: the selected events are applied again on top of the " +
	"current state, not on the state as it was before the window; events already " +
	"processed run a second time and handlers that are not idempotent may touch " +
	"other beads. Use it to follow the flow of events, not to reconstruct history."

// ReplayResult is the answer of the event replay (reconciler.md §6.2).
type ReplayResult struct {
	// Caveat explains that the replay is approximate.
	Caveat string
	// EventsReplayed is the number of events selected in the window.
	EventsReplayed int
	// Actions are the actions a reconcile over the replayed state emits.
	Actions []reconciler.Action
	// Agents and NonTerminalBeads are the state snapshot taken before the
	// rollback.
	Agents           []AgentSnapshot
	NonTerminalBeads []BeadSnapshot
}

// AgentSnapshot is one agent_metadata row of the replay snapshot.
type AgentSnapshot struct {
	BeadID           string
	Role             string
	Status           string
	Hook             sql.NullString // current_hook_bead_id
	DispatchAttempts int
	LastActivityAt   sql.NullString
}

// BeadSnapshot is one non-terminal, non-agent bead of the replay snapshot.
type BeadSnapshot struct {
	BeadID    string
	Type      string
	Status    string
	Title     string
	Assignee  sql.NullString // assignee_agent_bead_id
	UpdatedAt string
}

// ValidateReplayWindow checks the replay input as production's route does
// before it calls the Town: both bounds present, both dates, from not
// later than to. The error names the bad field.
func ValidateReplayWindow(from, to string) error {
	if from == "" {
		return fmt.Errorf("replay: missing required field \"from\" (an ISO 8601 timestamp)")
	}
	if to == "" {
		return fmt.Errorf("replay: missing required field \"to\" (an ISO 8601 timestamp)")
	}
	f, ok := model.ParseTime(from)
	if !ok {
		return fmt.Errorf("replay: \"from\" is not an ISO 8601 timestamp: %q", from)
	}
	u, ok := model.ParseTime(to)
	if !ok {
		return fmt.Errorf("replay: \"to\" is not an ISO 8601 timestamp: %q", to)
	}
	if f.After(u) {
		return fmt.Errorf("replay: \"from\" (%s) is later than \"to\" (%s)", from, to)
	}
	return nil
}

// ReplayEvents is production's debugReplayEvents (reconciler.md §6.2):
// inside a savepoint that is always rolled back, apply every town event
// whose created_at lies in [from, to] — compared as text with the stored
// ISO strings, processed or not, in created_at order (ties in insertion
// order) — without the town config and without marking it processed (the
// first throw aborts), reconcile with draining false and the town config,
// and snapshot the agents and the non-terminal beads.
//
// As for DryRun: production's runtime refuses SAVEPOINT (Addendum C), so
// its endpoint fails there; townsim offers what the endpoint intended.
func ReplayEvents(t *model.Town, now time.Time, from, to string) (*ReplayResult, error) {
	if err := ValidateReplayWindow(from, to); err != nil {
		return nil, err
	}
	var res *ReplayResult
	err := withSavepoint(t, "debug_replay_events", func() error {
		evs, err := eventsInWindow(t, from, to)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if err := applyDebugEvent(t, now, ev); err != nil {
				return err
			}
		}
		actions, err := reconcileDebug(t, now)
		if err != nil {
			return err
		}
		res = &ReplayResult{Caveat: ReplayCaveat, EventsReplayed: len(evs), Actions: actions}
		if res.Agents, err = agentSnapshot(t); err != nil {
			return err
		}
		res.NonTerminalBeads, err = beadSnapshot(t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return res, nil
}

// eventsInWindow selects the events of the window, parsed as strictly as
// the drain reads them (model.Town.QueryTownEvents).
func eventsInWindow(t *model.Town, from, to string) ([]model.TownEvent, error) {
	return t.QueryTownEvents(`SELECT event_id, event_type, agent_id, bead_id, payload, created_at, processed_at
		FROM town_events WHERE created_at >= ? AND created_at <= ?
		ORDER BY created_at ASC, rowid ASC`, from, to)
}

// agentSnapshot reads every agent_metadata row (no order, as production).
func agentSnapshot(t *model.Town) ([]AgentSnapshot, error) {
	rows, err := t.DB().Query(`SELECT bead_id, role, status, current_hook_bead_id, dispatch_attempts, last_activity_at
		FROM agent_metadata`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AgentSnapshot
	for rows.Next() {
		var a AgentSnapshot
		if err := rows.Scan(&a.BeadID, &a.Role, &a.Status, &a.Hook, &a.DispatchAttempts, &a.LastActivityAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// beadSnapshot reads every non-terminal bead that is not an agent bead,
// ordered by type and status.
func beadSnapshot(t *model.Town) ([]BeadSnapshot, error) {
	rows, err := t.DB().Query(`SELECT bead_id, type, status, title, assignee_agent_bead_id, updated_at
		FROM beads WHERE status NOT IN ('closed', 'failed') AND type != 'agent'
		ORDER BY type, status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BeadSnapshot
	for rows.Next() {
		var b BeadSnapshot
		if err := rows.Scan(&b.BeadID, &b.Type, &b.Status, &b.Title, &b.Assignee, &b.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
