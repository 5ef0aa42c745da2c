package sim

import (
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
)

// ProcessView is what a property checker may see of one agent process in
// the container: the world's truth, which the Town cannot see.
type ProcessView struct {
	// AgentID and BeadID are the agent and the bead it was started on.
	AgentID, BeadID string
	// Role is the agent's role.
	Role string
	// State is the process stage: cold_start, running, unresponsive,
	// exited or gone.
	State string
	// Live reports a process the container still runs (cold start,
	// running or hung).
	Live bool
	// Draining reports that the container told it to stop (SIGTERM).
	Draining bool
	// Stuck reports that its session stopped making progress.
	Stuck bool
	// Finished reports that its agent sent gt_done: the work is over and
	// only the process's exit remains.
	Finished bool
	// LastHeartbeat is when its last heartbeat reached the Town (zero =
	// never).
	LastHeartbeat time.Time
	// StuckAt is when its session froze (zero = it did not).
	StuckAt time.Time
	// LastTools are the active tools its last heartbeat that reached the
	// Town reported (nil = that heartbeat sent no tool list).
	LastTools []string
	// Started is when the start call that created it reached the
	// container.
	Started time.Time
}

// Processes returns every process the container knows, live or not, in
// agent id order (one per agent: a new start replaces the old record).
func (w *World) Processes() []ProcessView {
	k := w.containers
	out := make([]ProcessView, 0, len(k.procs))
	for _, id := range slices.Sorted(maps.Keys(k.procs)) {
		p := k.procs[id]
		out = append(out, ProcessView{AgentID: p.agentID, BeadID: p.beadID, Role: p.role, State: p.state.String(),
			Live: p.state.live(), Draining: p.draining, Stuck: !p.stuckAt.IsZero(), Finished: p.finished, LastHeartbeat: p.lastBeat, LastTools: p.beatTools, StuckAt: p.stuckAt,
			Started: p.startedAt})
	}
	return out
}

// IssueView is one issue a user created.
type IssueView struct {
	// ID is the bead id.
	ID string
	// CreatedAt is when the user created it.
	CreatedAt time.Time
	// Kind is how it was created (sling, unassigned, convoy task, held, ...).
	Kind string
	// Cancelled is the status the user set by cancelling it ("" = none).
	Cancelled string
	// Deleted reports that the user deleted it.
	Deleted bool
}

// Issues returns the issues the Town accepted, in creation order.
func (w *World) Issues() []IssueView {
	out := make([]IssueView, 0, len(w.issues))
	for _, r := range w.issues {
		if r.created {
			out = append(out, IssueView{ID: r.id, CreatedAt: r.at, Kind: r.kind, Cancelled: r.cancel, Deleted: r.deleted})
		}
	}
	return out
}

// PRClosed reports that the PR at url was closed without a merge (by a
// human, in the GitHub model).
func (w *World) PRClosed(url string) bool {
	pr := w.github.prs[url]
	return pr != nil && pr.state == "closed"
}

// Now is the simulation's virtual time.
func (w *World) Now() time.Time { return w.eng.Now() }

// Config is the configuration the world runs (faults resolved).
func (w *World) Config() Config { return w.cfg }

// HealAt is the time faults stop (zero: never).
func (w *World) HealAt() time.Time { return w.faults.healAt }

// observeCall passes an answered call to RunOptions.OnCall.
func (w *World) observeCall(c model.Call, sent time.Time, r model.Result) {
	if w.opts.OnCall != nil {
		w.callSent = sent
		w.opts.OnCall(c, r, w)
	}
}

// CallSent is when the Town sent the call RunOptions.OnCall is observing
// (the observer runs when the answer arrives, at Now); zero outside OnCall's
// first call.
func (w *World) CallSent() time.Time { return w.callSent }
