package reconciler

import (
	"time"

	"github.com/townsim/townsim/model"
)

// applyDispatchAgent is dispatch_agent (§3.2). Synchronously: an empty
// agent id is resolved by get-or-create (refinery for an MR bead, polecat
// otherwise, in the action's rig) and hooked — a failure there is caught
// and yields no effect, though a created agent remains; then the agent is
// set working and the bead in_progress, unguarded (a missing bead throws
// with the agent already working). Dispatch counters are not touched here.
//
// The effect is ctx.dispatchAgent with the action's rig; the start runs
// in the agent's own rig (hazard 20). It never rejects: a failed start
// still counts as a succeeded side effect (hazard 19).
func applyDispatchAgent(t *model.Town, now time.Time, a Action) (*Effect, error) {
	agentID := a.AgentID
	if agentID == "" {
		bead, err := t.GetBead(a.BeadID)
		if err != nil {
			return nil, err
		}
		role := model.RolePolecat
		if bead != nil && bead.Type == model.TypeMergeRequest {
			role = model.RoleRefinery
		}
		agent, err := t.GetOrCreateAgent(now, role, a.RigID)
		if err != nil {
			return nil, nil
		}
		if err := t.HookBead(now, agent.ID, a.BeadID); err != nil {
			return nil, nil
		}
		agentID = agent.ID
	}
	if err := t.UpdateAgentStatus(now, agentID, model.AgentWorking); err != nil {
		return nil, err
	}
	if _, err := t.UpdateBeadStatus(now, a.BeadID, model.StatusInProgress, agentID, nil); err != nil {
		return nil, err
	}
	beadID, rigID := a.BeadID, a.RigID
	return &Effect{Action: a, Run: func(env model.Env) error {
		recordCall(env, "dispatchAgent", map[string]any{"agent_id": agentID, "bead_id": beadID, "rig_id": rigID}, true, "")
		t.DispatchFromAction(env, agentID, beadID, rigID)
		return nil
	}}, nil
}

// applyStopAgent is stop_agent: no synchronous part; the effect asks the
// container to stop the agent and swallows every error.
func applyStopAgent(a Action) *Effect {
	agentID := a.AgentID
	return &Effect{Action: a, Run: func(env model.Env) error {
		recordCall(env, "stopAgent", map[string]any{"agent_id": agentID}, nil, "")
		env.Call(model.Call{Kind: model.CallStopAgent, AgentID: agentID})
		return nil
	}}
}
