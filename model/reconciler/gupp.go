package reconciler

import (
	"encoding/json"
	"time"
	"unicode/utf16"

	"github.com/townsim/townsim/model"
)

// GUPP tiers and the nudge dedupe window (§2.5, §7.2); all strict `>`.
const (
	guppWarnAfter      = 15 * time.Minute
	guppEscalateAfter  = time.Hour
	guppForceStopAfter = 2 * time.Hour
	guppNudgeDedupe    = 60 * time.Minute
)

// GUPP nudge texts (persisted: agent_nudges and the message the agent gets).
const (
	guppEscalateMessage = "You have been working for over 1 hour without completing your task. Please wrap up or report if you are stuck."
	guppWarnMessage     = "You have been idle for 15 minutes with no tool activity. Please check your progress."
)

// reconcileGUPP is §2.5, stuck-agent escalation: per working or stalled
// non-mayor agent, the first matching tier of force stop (> 2 h, every
// tick), escalate (> 1 h, deduped) and warn (> 15 min, no active tools,
// deduped). Nothing while draining.
func (p *rulePass) reconcileGUPP() ([]Action, error) {
	if p.o.Draining {
		return nil, nil
	}
	agents, err := p.agents(`WHERE a.status IN ('working', 'stalled')
		  AND a.role != 'mayor'`)
	if err != nil {
		return nil, err
	}
	ms := func(d time.Duration) float64 { return float64(d / time.Millisecond) }
	var out []Action
	for _, a := range agents {
		ts := a.LastEventAt
		if !ts.Valid {
			ts = a.LastActivityAt
		}
		if ts.String == "" {
			continue
		}
		elapsed, ok := p.msSince(ts.String)
		if !ok || elapsed < 0 {
			continue
		}
		// A stalled agent past the auto-idle threshold belongs to AG-2.
		if a.Status == model.AgentStalled {
			since := a.StalledAt
			if !since.Valid {
				since = a.LastActivityAt
			}
			if since.String != "" {
				if s, ok := p.msSince(since.String); ok && s > ms(agStalledAutoIdle) {
					continue
				}
			}
		}
		switch {
		case elapsed > ms(guppForceStopAfter):
			out = append(out,
				Action{Rule: "GUPP-force-stop", Type: TransitionAgent, AgentID: a.ID, From: a.Status, To: model.AgentStalled,
					Reason: "GUPP force stop — no SDK activity for 2h"},
				Action{Rule: "GUPP-force-stop", Type: StopAgent, AgentID: a.ID, Reason: "exceeded 2h GUPP limit"},
				Action{Rule: "GUPP-force-stop", Type: CreateTriageRequest, AgentID: a.ID, TriageType: "stuck_agent", Reason: "GUPP force stop"})
		case elapsed > ms(guppEscalateAfter):
			recent, err := p.hasRecentNudge(a.ID, "escalate")
			if err != nil {
				return nil, err
			}
			if !recent {
				out = append(out,
					Action{Rule: "GUPP-escalate", Type: SendNudge, AgentID: a.ID, Message: guppEscalateMessage, Tier: "escalate"},
					Action{Rule: "GUPP-escalate", Type: CreateTriageRequest, AgentID: a.ID, TriageType: "stuck_agent", Reason: "GUPP escalation"})
			}
		case elapsed > ms(guppWarnAfter):
			n, err := activeToolCount(a.ActiveTools.String, a.ActiveTools.Valid)
			if err != nil {
				return nil, err
			}
			if n != 0 {
				continue
			}
			recent, err := p.hasRecentNudge(a.ID, "warn")
			if err != nil {
				return nil, err
			}
			if !recent {
				out = append(out, Action{Rule: "GUPP-warn", Type: SendNudge, AgentID: a.ID, Message: guppWarnMessage, Tier: "warn"})
			}
		}
	}
	return out, nil
}

// activeToolCount is `JSON.parse(active_tools ?? '[]').length` inside a
// try (parse error ⇒ []): an array gives its length, a string its UTF-16
// length, other values no length (−1, never 0), and null throws.
func activeToolCount(raw string, valid bool) (int, error) {
	if !valid {
		return 0, nil
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return 0, nil
	}
	switch x := v.(type) {
	case nil:
		return 0, errNullProperty
	case []any:
		return len(x), nil
	case string:
		return len(utf16.Encode([]rune(x))), nil
	}
	return -1, nil
}

// hasRecentNudge: a `reconciler:<tier>` nudge row for the agent created
// within the dedupe window. datetime() normalises both stored formats; the
// cutoff is the virtual clock in SQLite's datetime form.
func (p *rulePass) hasRecentNudge(agentID, tier string) (bool, error) {
	return p.exists(`SELECT 1 FROM agent_nudges
		WHERE agent_bead_id = ?
		  AND source = ?
		  AND datetime(created_at) > ?
		LIMIT 1`, agentID, "reconciler:"+tier, model.SQLiteTime(p.now.Add(-guppNudgeDedupe)))
}
