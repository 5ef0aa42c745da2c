package alarm

import (
	"github.com/townsim/townsim/model"
)

// observeContainerStatus is T4: ask the container about every working or
// stalled agent (all roles, the mayor included) in parallel and record each
// answer other than "running" as a container_status event, which Phase 0
// of the same tick applies. Failures are logged, never returned.
func observeContainerStatus(t *model.Town, env model.Env, rec recorder) {
	ids, err := t.DB().Strings(`SELECT bead_id FROM agent_metadata WHERE status IN ('working', 'stalled')`)
	if err != nil {
		rec.log("T4 container observation failed: %v", err)
		return
	}
	if len(ids) == 0 {
		return
	}
	tasks := make([]func(), len(ids))
	for i, id := range ids {
		tasks[i] = func() {
			if err := t.Fault(model.FPObserve, id); err != nil {
				rec.log("T4 container status check failed for %s: %v", id, err)
				return
			}
			status, exit := model.ContainerAgentStatus(env.Call(model.Call{Kind: model.CallAgentStatus, AgentID: id}))
			if status == "running" {
				return
			}
			if err := t.UpsertContainerStatus(env.Now(), id, status, exit); err != nil {
				rec.log("T4 container status check failed for %s: %v", id, err)
			}
		}
	}
	env.All(tasks)
}
