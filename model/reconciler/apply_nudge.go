package reconciler

import (
	"time"

	"github.com/townsim/townsim/model"
)

// applySendNudge is send_nudge (§3.5). Synchronously a reconciler:<tier>
// nudge row (ISO created_at) is inserted; it stays pending until the
// agent acknowledges it. The effect is the Town's queueNudge (immediate,
// urgent, source reconciler): a second row, pushed to the agent at once
// and marked delivered when the container accepts it — so one send_nudge
// leaves two rows (hazard 4). Effect errors are logged only.
func applySendNudge(t *model.Town, now time.Time, a Action) (*Effect, error) {
	if err := t.InsertReconcilerNudge(now, a.AgentID, a.Message, a.Tier); err != nil {
		return nil, err
	}
	agentID, message, tier := a.AgentID, a.Message, a.Tier
	return &Effect{Action: a, Run: func(env model.Env) error {
		recordCall(env, "queueNudge", map[string]any{"agent_id": agentID, "message": message, "tier": tier}, nil, "")
		_ = queueImmediateNudge(t, env, agentID, message)
		return nil
	}}, nil
}

// queueImmediateNudge is the Town's queueNudge with mode immediate: insert
// the row, push the message, mark the row delivered on success.
func queueImmediateNudge(t *model.Town, env model.Env, agentID, message string) error {
	id, err := t.QueueNudge(env.Now(), model.NudgeInput{
		AgentID:  agentID,
		Message:  message,
		Mode:     "immediate",
		Priority: "urgent",
		Source:   "reconciler",
	})
	if err != nil {
		return err
	}
	r := env.Call(model.Call{Kind: model.CallSendMessage, AgentID: agentID, Message: message})
	if r.Err != "" || !r.OK {
		return nil
	}
	return t.MarkNudgeDelivered(env.Now(), id)
}
