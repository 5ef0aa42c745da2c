package scenarios

import (
	"maps"
	"slices"
	"strings"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// Coverage is what runs exercised, Antithesis-style "sometimes"
// assertions: which action types, fault kinds and failpoints fired at
// least once, and how often. A suite merges its runs' coverage and lists
// what never fired, so a green suite also says what it did not test.
type Coverage struct {
	// Runs is the number of runs merged.
	Runs int
	// Actions counts emitted actions by type.
	Actions map[string]int
	// Rules counts emitted actions by the rule id that emitted them.
	Rules map[string]int
	// Faults counts the faults that fired by kind (failpoints included).
	Faults map[string]int
	// Calls counts the Town's external calls by kind.
	Calls map[string]int
	// Sometimes counts the rare branches of SometimesBranches that ran.
	Sometimes map[string]int
}

// The rare branches a suite must see at least once ("sometimes"
// assertions), besides every rule id and action type.
const (
	// SometimesRedispatch: BD-1 or BD-2 dispatched a bead that had been
	// dispatched before, which both rules do only once its cooldown has
	// passed.
	SometimesRedispatch = "bead-redispatched-after-cooldown"
	// SometimesPollFailed: PR polling failed a merge request (no token, a
	// 404, or too many poll errors in a row: pr.poll_failed).
	SometimesPollFailed = "mr-failed-by-poll-errors"
	// SometimesDispatchFailed: a container start failed and the agent was
	// left working for the heartbeat rules to judge (agent.dispatch_failed).
	SometimesDispatchFailed = "dispatch-failed"
	// SometimesConvoyFailed: a convoy failed (fail_convoy, CV-7).
	SometimesConvoyFailed = "convoy-failed"
	// SometimesLostDispatch: BD-2 dispatched a bead that had never been
	// dispatched: a hook whose own dispatch never ran (a Town evicted
	// between slingBead's hook and its un-awaited dispatch).
	SometimesLostDispatch = "lost-dispatch-recovered"
	// SometimesGitLabPolled: a GitLab merge request's status was polled
	// and answered (checkPRStatus's GitLab path: token and host).
	SometimesGitLabPolled = "gitlab-mr-polled"
)

// SometimesBranches lists the rare branches, in a fixed order.
var SometimesBranches = []string{SometimesRedispatch, SometimesPollFailed, SometimesDispatchFailed, SometimesConvoyFailed,
	SometimesLostDispatch, SometimesGitLabPolled}

func newCoverage() Coverage {
	return Coverage{Actions: map[string]int{}, Rules: map[string]int{}, Faults: map[string]int{}, Calls: map[string]int{},
		Sometimes: map[string]int{}}
}

// addActions counts a tick's actions; db is the Town's database after the
// tick, read only for the few actions a rare branch needs.
func (c *Coverage) addActions(as []reconciler.Action, db *model.DB) {
	for _, a := range as {
		c.Actions[a.Type]++
		c.Rules[a.Rule]++
		switch {
		case a.Type == reconciler.DispatchAgent && (a.Rule == "BD-1" || a.Rule == "BD-2") && db != nil:
			// The tick's own dispatch counted once: two or more mean an
			// earlier dispatch of the same bead.
			if n, _ := db.Int(`SELECT count(*) FROM beads WHERE bead_id = ? AND dispatch_attempts >= 2`, a.BeadID); n > 0 {
				c.Sometimes[SometimesRedispatch]++
			} else if a.Rule == "BD-2" {
				c.Sometimes[SometimesLostDispatch]++
			}
		case a.Type == reconciler.FailConvoy:
			c.Sometimes[SometimesConvoyFailed]++
		}
	}
}

// addCall counts one of the Town's external calls and its answer.
func (c *Coverage) addCall(call model.Call, r model.Result) {
	c.Calls[string(call.Kind)]++
	if call.Kind == model.CallPRStatus && r.PR.OK && strings.Contains(call.URL, "/-/merge_requests/") {
		c.Sometimes[SometimesGitLabPolled]++
	}
}

func (c *Coverage) addRun(res *sim.Result) {
	c.Runs++
	for k, n := range res.Faults.Fired {
		c.Faults[k] += n
	}
	c.Sometimes[SometimesPollFailed] += res.World.Analytics["pr.poll_failed"]
	c.Sometimes[SometimesDispatchFailed] += res.World.Analytics["agent.dispatch_failed"]
}

// Merge adds o's counts to c.
func (c *Coverage) Merge(o Coverage) {
	if c.Actions == nil {
		*c = newCoverage()
	}
	c.Runs += o.Runs
	for _, m := range [][2]map[string]int{{c.Actions, o.Actions}, {c.Rules, o.Rules}, {c.Faults, o.Faults}, {c.Calls, o.Calls},
		{c.Sometimes, o.Sometimes}} {
		for k, n := range m[1] {
			m[0][k] += n
		}
	}
}

// NeverActions are the action types that never fired, in the union's order.
func (c Coverage) NeverActions() []string {
	var out []string
	for _, t := range reconciler.ActionTypes {
		if c.Actions[t] == 0 {
			out = append(out, t)
		}
	}
	return out
}

// NeverRules are the rule ids that never emitted an action, in the
// specification's order.
func (c Coverage) NeverRules() []string {
	var out []string
	for _, r := range reconciler.RuleIDs {
		if c.Rules[r] == 0 {
			out = append(out, r)
		}
	}
	return out
}

// NeverSometimes are the rare branches of SometimesBranches that never ran.
func (c Coverage) NeverSometimes() []string {
	var out []string
	for _, b := range SometimesBranches {
		if c.Sometimes[b] == 0 {
			out = append(out, b)
		}
	}
	return out
}

// NeverFaults are the fault kinds (failpoints included) that never fired,
// sorted.
func (c Coverage) NeverFaults() []string {
	var out []string
	for _, k := range sim.FaultKinds() {
		if c.Faults[k.Name] == 0 {
			out = append(out, k.Name)
		}
	}
	return out
}

// FailpointsFired are the failpoints that fired at least once, sorted.
func (c Coverage) FailpointsFired() []string {
	var out []string
	for _, fp := range model.Failpoints() {
		if c.Faults[fp] > 0 {
			out = append(out, fp)
		}
	}
	return out
}

// ActionsFired are the action types that fired, sorted.
func (c Coverage) ActionsFired() []string {
	return slices.Sorted(maps.Keys(c.Actions))
}
