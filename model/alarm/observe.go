package alarm

import (
	"github.com/townsim/townsim/model"
)

// containerStatus maps an agent-status answer as production's
// checkAgentContainerStatus does (reconciler.md §3.9): a thrown call →
// unknown; HTTP 404 → not_found; any other non-2xx → unknown; a 2xx body
// with a string status → that status and its exit reason; any other body
// (Status "") → unknown.
func containerStatus(r model.Result) (status, exitReason string) {
	switch {
	case r.Err != "":
		return "unknown", ""
	case r.StatusCode == 404:
		return "not_found", ""
	case !httpOK(r.StatusCode):
		return "unknown", ""
	case r.Status == "":
		return "unknown", ""
	}
	return r.Status, r.ExitReason
}

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
			status, exit := containerStatus(env.Call(model.Call{Kind: model.CallAgentStatus, AgentID: id}))
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
