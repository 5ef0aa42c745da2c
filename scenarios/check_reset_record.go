package scenarios

import (
	"fmt"
	"slices"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// PropResetRecord names what AG-3's reset writes.
const PropResetRecord = "safety/attempt-reset-record"

// resetRecordProp: AG-3's reset_agent_dispatch_attempts (reconciler.md
// §2.1 AG-3, §3 reset_agent_dispatch_attempts) gives the agent a fresh
// start and its hooked bead too: the agent's dispatch_attempts is 0; its
// hooked bead (as it was just before) has dispatch_attempts 0 and no
// last_dispatch_attempt_at, keeps its status (a failed one stays failed:
// the terminal guard makes the "reopen" a no-op) and, for a merge request,
// its review row's retry_count is 0. Nothing else moves: no other agent's
// status, hook or counter, no other bead's status or counter. Judged on
// the rows just before and just after that one action's apply.
type resetRecordProp struct{ judged, hooked int }

func (p *resetRecordProp) watchesApply(a reconciler.Action) bool {
	return a.Type == reconciler.ResetAgentDispatchAttempts
}

func (p *resetRecordProp) applied(c *checker, a reconciler.Action, v *pickView) {
	id := a.AgentID
	say := func(entity, format string, args ...any) {
		c.add(Violation{Property: PropResetRecord, At: v.now, Tick: c.ticks + 1, Entity: entity, Rule: a.Rule,
			Detail: "AG-3's reset of agent " + short(id) + ": " + fmt.Sprintf(format, args...)})
	}
	b, ok := v.before.agents[id]
	after, still := v.after.agents[id]
	if !ok || !still {
		return
	}
	p.judged++
	if after["dispatch_attempts"] != "0" {
		say(id, "the agent's dispatch_attempts is %s, want 0", after["dispatch_attempts"])
	}
	hook := b["current_hook_bead_id"]
	for _, other := range slices.Sorted(mapKeys(v.before.agents)) {
		ob, oa := v.before.agents[other], v.after.agents[other]
		if oa == nil {
			continue
		}
		moved := oa["status"] != ob["status"] || oa["current_hook_bead_id"] != ob["current_hook_bead_id"]
		if moved || (other != id && oa["dispatch_attempts"] != ob["dispatch_attempts"]) {
			say(other, "agent %s moved from %s hooked to %q (%s attempts) to %s hooked to %q (%s attempts)", short(other),
				ob["status"], ob["current_hook_bead_id"], ob["dispatch_attempts"], oa["status"], oa["current_hook_bead_id"], oa["dispatch_attempts"])
		}
	}
	for _, bead := range slices.Sorted(mapKeys(v.before.beads)) {
		bb, ba := v.before.beads[bead], v.after.beads[bead]
		if ba == nil {
			continue
		}
		if ba["status"] != bb["status"] {
			say(bead, "bead %s moved from %s to %s", short(bead), bb["status"], ba["status"])
		}
		if bead == hook {
			p.hooked++
			if ba["dispatch_attempts"] != "0" || ba.has("last_dispatch_attempt_at") {
				say(bead, "its hooked %s %s keeps dispatch_attempts %s and last_dispatch_attempt_at %q; want 0 and none",
					bb["type"], short(bead), ba["dispatch_attempts"], ba["last_dispatch_attempt_at"])
			}
			if r, ok := v.after.reviews[bead]; ok && bb["type"] == model.TypeMergeRequest && r["retry_count"] != "0" {
				say(bead, "its hooked merge request %s keeps retry_count %s; want 0", short(bead), r["retry_count"])
			}
			continue
		}
		if ba["dispatch_attempts"] != bb["dispatch_attempts"] || ba["last_dispatch_attempt_at"] != bb["last_dispatch_attempt_at"] {
			say(bead, "bead %s (not its hook) had its dispatch counter moved from %s to %s", short(bead), bb["dispatch_attempts"], ba["dispatch_attempts"])
		}
	}
}

func (p *resetRecordProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "AG-3 reset no agent's dispatch attempts"
	}
	return ""
}
