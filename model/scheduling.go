package model

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// DispatchCooldown is scheduling's DISPATCH_COOLDOWN_MS: the triage-batch
// retry cooldown after a failed batch bead (its only use in the baseline).
const DispatchCooldown = 30 * time.Second

// MaxDispatchAttempts is scheduling's MAX_DISPATCH_ATTEMPTS.
const MaxDispatchAttempts = 5

// DispatchOptions are the options of a dispatch. The system-prompt
// override production passes does not affect state and is not modelled.
type DispatchOptions struct {
	// Lightweight asks for a workspace without a repository clone.
	Lightweight bool
}

// startOutcome is startAgentInContainer's result.
type startOutcome struct {
	started bool
	fetchMs float64
}

// startAgentInContainer performs the container start call and maps its
// answer as production does (reconciler.md §3.9): 2xx, or HTTP 500 whose
// body says "already running", is a start; another status is not, its
// formatted body becomes the last start error; a thrown error is not a
// start and leaves "EXCEPTION: …". Every HTTP answer emits
// container.agent_start_fetch through the raw writer. The last start
// error is the Town-wide variable of hazard 21, reset before each call.
func (t *Town) startAgentInContainer(env Env, c Call) startOutcome {
	t.lastStartError = ""
	c.Kind = CallStartAgent
	before := env.Now()
	res := env.Call(c)
	started, msg := StartAnswer(res)
	if res.Err != "" {
		t.lastStartError = msg
		return startOutcome{}
	}
	ms := float64(env.Now().Sub(before).Milliseconds())
	fetch := AnalyticsEvent{Event: "container.agent_start_fetch", RigID: c.RigID, AgentID: c.AgentID,
		DurationMs: ms, StatusCode: float64(res.StatusCode)}
	if started {
		t.emitRaw(fetch)
		return startOutcome{started: true, fetchMs: ms}
	}
	t.lastStartError = msg
	fetch.Error = msg
	t.emitRaw(fetch)
	return startOutcome{fetchMs: ms}
}

// StartAnswer reads the container's answer to a start call as
// startAgentInContainer does: whether the agent started (2xx, or HTTP 500
// whose body says "already running") and, when it did not, the last start
// error it leaves ("EXCEPTION: …" for a thrown call, else the formatted
// answer). Differential mode answers the original's start with it.
func StartAnswer(res Result) (started bool, startError string) {
	if res.Err != "" {
		return false, "EXCEPTION: " + truncate(res.Err, 300)
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 ||
		res.StatusCode == 500 && strings.Contains(res.Body, "already running") {
		return true, ""
	}
	return false, formatContainerStartError(res.StatusCode, res.Body)
}

// truncate cuts s to at most n bytes (JavaScript's s.slice(0, n) on the
// ASCII text it is used for: ids, error bodies).
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// formatContainerStartError renders a failed start answer: a structured
// JSON error body ({error, phase?, status?, error_type?, action?}) becomes
// "(<code>) <phase> failed: <type>: upstream <s>: <error> Action: <a>"
// (at most 500 bytes); any other body "(<code>) <first 300 bytes>".
func formatContainerStartError(status int, body string) string {
	plain := fmt.Sprintf("(%d) %s", status, truncate(body, 300))
	var f struct {
		Error     *string  `json:"error"`
		Phase     *string  `json:"phase"`
		Status    *float64 `json:"status"`
		ErrorType *string  `json:"error_type"`
		Action    *string  `json:"action"`
	}
	if json.Unmarshal([]byte(body), &f) != nil || f.Error == nil {
		return plain
	}
	details := []string{"container start failed"}
	if f.Phase != nil && *f.Phase != "" {
		details[0] = *f.Phase + " failed"
	}
	if f.ErrorType != nil {
		details = append(details, *f.ErrorType)
	}
	if f.Status != nil && *f.Status != 0 {
		details = append(details, "upstream "+JSNumber(*f.Status))
	}
	action := ""
	if f.Action != nil && *f.Action != "" {
		action = " Action: " + *f.Action
	}
	return truncate(fmt.Sprintf("(%d) %s: %s%s", status, strings.Join(details, ": "), *f.Error, action), 500)
}

// DispatchAgent is scheduling.dispatchAgent (model.md §4.20, reconciler.md
// §3.2): with the rig config of the agent's own rig (else the first rig's),
// it moves the bead to in_progress (guarded, unless in_progress or
// terminal), marks the agent working with both dispatch counters
// incremented, then awaits the container start. A started non-refinery
// gets its counter reset. A failed start changes nothing more. It returns
// whether the container accepted the agent; without a rig config, or
// when the town config cannot be read, it returns false with no change.
func (t *Town) DispatchAgent(env Env, agentID, beadID string, opts DispatchOptions) bool {
	agent, err := t.GetAgent(agentID)
	if err != nil || agent == nil {
		return false
	}
	started, err := t.dispatchAgent(env, agent, beadID, opts)
	if err != nil {
		t.report(ErrorReport{Level: "error", Message: err.Error(),
			Extra: [][2]string{{"agentId", agent.ID}, {"beadId", beadID}}})
		t.emit(AnalyticsEvent{Event: "agent.dispatch_failed", AgentID: agent.ID, BeadID: beadID,
			Role: agent.Role, Reason: err.Error()})
		return false
	}
	return started
}

// dispatchAgent is the body of DispatchAgent inside production's try; an
// error is what production catches.
func (t *Town) dispatchAgent(env Env, agent *Agent, beadID string, opts DispatchOptions) (bool, error) {
	var rigID string
	if agent.RigID.Valid {
		rigID = agent.RigID.String
	} else {
		rigs, err := t.ListRigs()
		if err != nil {
			return false, err
		}
		if len(rigs) > 0 {
			rigID = rigs[0].ID
		}
	}
	if rigID == "" {
		return false, nil
	}
	rc, ok := t.kv.RigConfigs[rigID]
	if !ok {
		return false, nil
	}
	if _, err := t.townConfig(); err != nil {
		return false, err
	}
	now := env.Now()
	var featureBranch string
	if convoyID, err := t.ConvoyForBead(beadID); err != nil {
		return false, err
	} else if convoyID != "" {
		fb, err := t.ConvoyFeatureBranch(convoyID)
		if err != nil {
			return false, err
		}
		featureBranch = fb.String
	}
	cur, err := t.GetBead(beadID)
	if err != nil {
		return false, err
	}
	if cur != nil && cur.Status != StatusInProgress && !Terminal(cur.Status) {
		if _, err := t.UpdateBeadStatus(now, beadID, StatusInProgress, agent.ID, nil); err != nil {
			return false, err
		}
	}
	ts := ISO(now)
	if _, err := t.db.Exec(`UPDATE agent_metadata SET status = 'working', dispatch_attempts = dispatch_attempts + 1,
		last_activity_at = ?, last_event_at = NULL, last_event_type = NULL WHERE bead_id = ?`, ts, agent.ID); err != nil {
		return false, err
	}
	if _, err := t.db.Exec(`UPDATE beads SET dispatch_attempts = dispatch_attempts + 1, last_dispatch_attempt_at = ?
		WHERE bead_id = ?`, ts, beadID); err != nil {
		return false, err
	}
	if _, err := t.GetRig(rigID); err != nil {
		return false, err
	}
	c := startCall(agent.Name, beadID, featureBranch, rc)
	c.AgentID, c.BeadID, c.RigID, c.Role, c.Lightweight = agent.ID, beadID, rigID, agent.Role, opts.Lightweight
	out := t.startAgentInContainer(env, c)
	if out.started && t.Mutant(MutantDoubleDispatch) && agent.Role == RolePolecat {
		twin := c
		twin.Kind, twin.AgentID = CallStartAgent, agent.ID+"-twin"
		env.Call(twin)
	}
	if out.started {
		if agent.Role != RoleRefinery {
			if _, err := t.db.Exec(`UPDATE agent_metadata SET dispatch_attempts = 0 WHERE bead_id = ?`, agent.ID); err != nil {
				return false, err
			}
		}
		t.emit(AnalyticsEvent{Event: "agent.spawned", RigID: rigID, AgentID: agent.ID, BeadID: beadID,
			Role: agent.Role, DurationMs: out.fetchMs})
		return true, nil
	}
	reason := t.lastStartError
	if reason == "" {
		reason = "container returned false"
	}
	t.emit(AnalyticsEvent{Event: "agent.dispatch_failed", RigID: rigID, AgentID: agent.ID, BeadID: beadID,
		Role: agent.Role, Reason: reason})
	return false, nil
}

// DispatchFromAction is the action context's dispatchAgent (reconciler.md
// §3.2): both the agent and the bead must exist, the town config must be
// readable, then the prompt is chosen from the action's rig (reads only:
// the prompt does not affect state) and DispatchAgent runs with the
// agent's own rig (hazard 20).
func (t *Town) DispatchFromAction(env Env, agentID, beadID, actionRigID string) bool {
	agent, err := t.GetAgent(agentID)
	if err != nil || agent == nil {
		return false
	}
	bead, err := t.GetBead(beadID)
	if err != nil || bead == nil {
		return false
	}
	cfg, err := t.townConfig()
	if err != nil {
		return false
	}
	if err := t.readPromptInputs(agent, bead, actionRigID, cfg); err != nil {
		return false
	}
	return t.DispatchAgent(env, agentID, beadID, DispatchOptions{})
}

// readPromptInputs performs the reads production makes to build the
// system-prompt override, so that the cost of a dispatch matches.
func (t *Town) readPromptInputs(agent *Agent, bead *Bead, rigID string, cfg *TownConfig) error {
	rig, err := t.GetRig(rigID)
	if err != nil {
		return err
	}
	strategy := cfg.MergeStrategy
	if rig != nil && rig.Config.MergeStrategy != "" {
		strategy = rig.Config.MergeStrategy
	}
	if strategy == "" {
		strategy = "direct"
	}
	if agent.Role == RoleRefinery && bead.Type == TypeMergeRequest {
		if _, err := t.db.Strings(`SELECT branch FROM review_metadata WHERE bead_id = ?`, bead.ID); err != nil {
			return err
		}
	}
	if agent.Role == RolePolecat && strategy == "pr" {
		convoyID, err := t.ConvoyForBead(bead.ID)
		if err != nil {
			return err
		}
		if convoyID != "" {
			if _, err := t.ConvoyFeatureBranch(convoyID); err != nil {
				return err
			}
			if _, err := t.ConvoyMergeMode(convoyID); err != nil {
				return err
			}
		}
	}
	if bead.HasLabel(LabelTriage) && bead.CreatedBy.String == "patrol" {
		if _, err := t.pendingTriageRequestIDs(); err != nil {
			return err
		}
	}
	return nil
}

// pendingTriageRequestIDs is patrol's listPendingTriageRequests (oldest 20
// open triage requests), read for the triage prompt.
func (t *Town) pendingTriageRequestIDs() ([]string, error) {
	return t.db.Strings(`SELECT bead_id FROM beads WHERE type = 'issue' AND labels LIKE ? AND status = 'open'
		ORDER BY created_at ASC LIMIT 20`, triageRequestLike)
}

// DispatchUnblockedBeads dispatches, fire-and-forget, the idle assignee of
// every non-terminal bead that closedBeadID was the last blocker of
// (model.md §4.20). With lazy assignment this is usually a no-op.
func (t *Town) DispatchUnblockedBeads(env Env, closedBeadID string) error {
	ids, err := t.NewlyUnblockedBeads(closedBeadID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		b, err := t.GetBead(id)
		if err != nil {
			return err
		}
		if b == nil || Terminal(b.Status) || !b.Assignee.Valid || b.Assignee.String == "" {
			continue
		}
		a, err := t.GetAgent(b.Assignee.String)
		if err != nil {
			return err
		}
		if a == nil || a.Status != AgentIdle {
			continue
		}
		agentID, beadID := a.ID, b.ID
		env.Go(func() { t.DispatchAgent(env, agentID, beadID, DispatchOptions{}) })
	}
	return nil
}
