package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// PropDispatchPick names the promise about which agent a get-or-create
// dispatch takes.
const PropDispatchPick = "safety/dispatch-picks-a-free-agent"

// pickView is one operation that takes an agent by get-or-create (a
// reconcile dispatch_agent with no agent named, or the world's sling of a
// new issue), with the rows just before and just after it.
type pickView struct {
	via           string // "dispatch_agent" or "sling_bead"
	bead, rig     string // the bead to hook and the rig the agent is taken in
	now           time.Time
	before, after *opRows
}

// pickWatcher is a property that judges the world's slings.
type pickWatcher interface {
	pick(c *checker, v *pickView)
}

// dispatchPickProp: a dispatch that names no agent takes one for the
// bead by the spec's get-or-create (model.md §4.8, reconciler.md §3.2;
// the sling RPC the same way for its new issue): a merge request takes
// the rig's refinery whatever its status or hook, any other bead a
// polecat of the rig that was idle with no hook just before; only when
// the rig had no such agent is a new one registered, of that role and in
// that rig. So the agent the bead ends hooked to was, on the rows just
// before the operation, a free agent of the role in the rig (a refinery
// of the rig), or is new while none was; and no agent is registered while
// one was free, even when the hook then fails; a dispatch whose hook
// fails (nobody ends hooked to the bead) has no effect: the bead and
// every agent keep their status. Judged on the rows just
// before and just after the one action's apply (or the RPC's synchronous
// part), read unmetered; an operation that hooks no agent to the bead is
// judged only for the registration; a bead with no rig is not judged.
// The patrol's triage batch (T15) takes its polecat the same way but is
// not observed here.
type dispatchPickProp struct{ judged int }

func (p *dispatchPickProp) pick(c *checker, v *pickView) {
	if v.rig == "" || v.bead == "" {
		return
	}
	role := model.RolePolecat
	if b, ok := v.before.beads[v.bead]; ok && b["type"] == model.TypeMergeRequest {
		role = model.RoleRefinery
	}
	var free []string
	for _, id := range slices.Sorted(mapKeys(v.before.agents)) {
		a := v.before.agents[id]
		if a["role"] != role || v.before.beads[id]["rig_id"] != v.rig {
			continue
		}
		if role == model.RoleRefinery || (a["status"] == model.AgentIdle && !a.has("current_hook_bead_id")) {
			free = append(free, id)
		}
	}
	var fresh, took []string
	for _, id := range slices.Sorted(mapKeys(v.after.agents)) {
		a := v.after.agents[id]
		old, existed := v.before.agents[id]
		if !existed {
			fresh = append(fresh, id)
		}
		if a["current_hook_bead_id"] == v.bead && (!existed || old["current_hook_bead_id"] != v.bead) {
			took = append(took, id)
		}
	}
	p.judged++
	say := func(entity, format string, args ...any) {
		c.add(Violation{Property: PropDispatchPick, At: v.now, Tick: c.ticks + 1, Entity: entity,
			Detail: v.via + " of " + short(v.bead) + ": " + fmt.Sprintf(format, args...)})
	}
	if v.via == reconciler.DispatchAgent && !slices.ContainsFunc(slices.Collect(mapKeys(v.after.agents)), func(id string) bool {
		return v.after.agents[id]["current_hook_bead_id"] == v.bead
	}) {
		// The hook failed: the dispatch has no effect (reconciler.md §3.2).
		if b, a := v.before.beads[v.bead], v.after.beads[v.bead]; b != nil && a != nil && a["status"] != b["status"] {
			say(v.bead, "no agent ended hooked to it, yet it moved from %s to %s; a dispatch whose hook fails has no effect", b["status"], a["status"])
		}
		for _, id := range slices.Sorted(mapKeys(v.before.agents)) {
			if a := v.after.agents[id]; a != nil && a["status"] != v.before.agents[id]["status"] {
				say(id, "no agent ended hooked to it, yet agent %s moved from %s to %s; a dispatch whose hook fails has no effect",
					short(id), v.before.agents[id]["status"], a["status"])
			}
		}
	}
	if len(fresh) > 0 && len(free) > 0 {
		say(fresh[0], "registered new agent %s while %s %s of rig %s was free", short(fresh[0]), role, short(free[0]), short(v.rig))
		return
	}
	for _, id := range took {
		if slices.Contains(fresh, id) {
			a, b := v.after.agents[id], v.after.beads[id]
			if a["role"] != role || b["rig_id"] != v.rig {
				say(id, "the new agent %s is a %s of rig %q, want a %s of rig %s", short(id), a["role"], b["rig_id"], role, short(v.rig))
			}
			continue
		}
		if !slices.Contains(free, id) {
			a := v.before.agents[id]
			say(id, "took agent %s (%s of rig %q, status %s, hook %q just before), want a %s of rig %s%s",
				short(id), a["role"], v.before.beads[id]["rig_id"], a["status"], a["current_hook_bead_id"], role, short(v.rig),
				map[bool]string{true: "", false: " that was idle with no hook"}[role == model.RoleRefinery])
		}
	}
}

func (p *dispatchPickProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no dispatch or sling took an agent by get-or-create"
	}
	return ""
}

// applyWatcher is a property that judges the apply of some actions on
// the rows just before and just after that one action's apply.
type applyWatcher interface {
	watchesApply(a reconciler.Action) bool
	applied(c *checker, a reconciler.Action, v *pickView)
}

// watchApply wraps the tick's action apply (next; nil is the port's) so
// that every applyWatcher sees each action it watches with the rows
// just before and just after its apply, read unmetered
// (readLightOpRows). The apply's result is returned unchanged.
func (c *checker) watchApply(next alarm.ApplyFunc) alarm.ApplyFunc {
	if next == nil {
		next = reconciler.Apply
	}
	var ws []applyWatcher
	for _, p := range c.props {
		if h, ok := p.(applyWatcher); ok {
			ws = append(ws, h)
		}
	}
	if len(ws) == 0 {
		return next
	}
	return func(t *model.Town, env model.Env, a reconciler.Action) (*reconciler.Effect, error) {
		var mine []applyWatcher
		for _, w := range ws {
			if w.watchesApply(a) {
				mine = append(mine, w)
			}
		}
		if len(mine) == 0 {
			return next(t, env, a)
		}
		before, berr := readLightOpRows(t.DB())
		eff, err := next(t, env, a)
		if berr == nil && err == nil {
			if after, aerr := readLightOpRows(t.DB()); aerr == nil {
				v := &pickView{via: a.Type, bead: a.BeadID, rig: a.RigID, now: env.Now(), before: before, after: after}
				for _, w := range mine {
					w.applied(c, a, v)
				}
			}
		}
		return eff, err
	}
}

func (p *dispatchPickProp) watchesApply(a reconciler.Action) bool {
	return a.Type == reconciler.DispatchAgent && a.AgentID == ""
}

func (p *dispatchPickProp) applied(c *checker, _ reconciler.Action, v *pickView) { p.pick(c, v) }

func (c *checker) notifyPick(v *pickView) {
	for _, p := range c.props {
		if h, ok := p.(pickWatcher); ok {
			h.pick(c, v)
		}
	}
}

// rpcObserver is the checker's observer of the world's RPCs
// (sim.RPCObserver): around each sling it reads the rows and hands the
// new issue's pick to the pickWatchers. next is the run's own observer,
// called first before and last after.
type rpcObserver struct {
	c      *checker
	next   sim.RPCObserver
	before *opRows
}

func (o *rpcObserver) BeforeRPC(t *model.Town, op string) {
	if o.next != nil {
		o.next.BeforeRPC(t, op)
	}
	o.before = nil
	if op != "sling_bead" {
		return
	}
	if rows, err := readLightOpRows(t.DB()); err == nil {
		o.before = rows
	}
}

func (o *rpcObserver) AfterRPC(t *model.Town, op string, err error) {
	if o.next != nil {
		defer o.next.AfterRPC(t, op, err)
	}
	before := o.before
	o.before = nil
	if before == nil {
		return
	}
	after, aerr := readLightOpRows(t.DB())
	if aerr != nil {
		return
	}
	v := &pickView{via: op, before: before, after: after}
	if o.c.world != nil {
		v.now = o.c.world.Now()
	}
	for _, id := range slices.Sorted(mapKeys(after.beads)) {
		if b := after.beads[id]; b["type"] == model.TypeIssue {
			if _, old := before.beads[id]; !old {
				v.bead, v.rig = id, b["rig_id"]
			}
		}
	}
	o.c.notifyPick(v)
}
