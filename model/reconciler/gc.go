package reconciler

import "time"

// gcRetention is AGENT_GC_RETENTION_MS: idle or dead workers quiet this
// long are deleted (§2.6).
const gcRetention = 24 * time.Hour

// reconcileGC is §2.6: idle or dead polecats and refineries without a hook
// whose last activity is older than 24 h — or NULL, which deletes them at
// once (hazard 10) — are deleted. Not gated by draining.
func (p *rulePass) reconcileGC() ([]Action, error) {
	agents, err := p.agents(`WHERE a.status IN ('idle', 'dead')
		  AND a.role IN ('polecat', 'refinery')
		  AND a.current_hook_bead_id IS NULL`)
	if err != nil {
		return nil, err
	}
	var out []Action
	for _, a := range agents {
		if p.stale(a.LastActivityAt, gcRetention) {
			out = append(out, Action{Rule: "GC", Type: DeleteAgent, AgentID: a.ID, Reason: "GC: idle > 24h"})
		}
	}
	return out, nil
}
