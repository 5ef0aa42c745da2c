package sim

import (
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/des"
)

// StatusMessage is an agent's gt_status call (production's container
// plugin tool that posts a plain-language status to the dashboard,
// updateAgentStatusMessage), with what the dashboard showed around it.
type StatusMessage struct {
	// Agent is the agent that sent it; Message its text, unique in the run.
	Agent, Message string
	// At is when it reached the Town.
	At time.Time
	// HookBefore is the bead the agent was hooked to just before the call
	// ("" = none), as the dashboard listed it.
	HookBefore string
	// ShownMessage and ShownAt are the agent's status message and its
	// time as the dashboard listed them just after the call.
	ShownMessage, ShownAt string
}

// StatusMessages returns the agents' status messages, in order.
func (w *World) StatusMessages() []StatusMessage { return w.statuses }

// maybeStatus draws (from its own stream, so that other draws do not
// move) whether p's agent posts a status message while it works, and
// schedules it a few seconds to a few minutes into the work. Nothing is
// drawn while Work.StatusMessages is 0.
func (w *World) maybeStatus(p *process) {
	if w.cfg.Work.StatusMessages == 0 {
		return
	}
	r := w.src.Stream("work/status")
	if !r.Bool(w.cfg.Work.StatusMessages) {
		return
	}
	w.eng.After(r.Uniform(5*time.Second, 3*time.Minute), func() {
		if p.state == procRunning && !p.finished {
			w.sendStatus(p, "Working on the task")
		}
	})
}

// maybeStatusAfterDone draws whether p's agent posts one more status
// message as it wraps up after its gt_done; the request reaches the Town
// half a minute to three minutes later (a slow request), by when the Town
// has usually unhooked the agent or hooked it to other work. Nothing is
// drawn while Work.StatusMessages is 0.
func (w *World) maybeStatusAfterDone(p *process) {
	if w.cfg.Work.StatusMessages == 0 {
		return
	}
	r := w.src.Stream("work/status-done")
	if !r.Bool(w.cfg.Work.StatusMessages) || p.state != procRunning {
		return
	}
	w.eng.After(r.Uniform(30*time.Second, 3*time.Minute), func() { w.sendStatus(p, "Wrapping up") })
}

// sendStatus is one gt_status call of p's agent.
func (w *World) sendStatus(p *process, text string) {
	w.statusSeq++
	msg := text + " (" + strconv.Itoa(w.statusSeq) + ")"
	db := w.town.DB()
	sm := StatusMessage{Agent: p.agentID, Message: msg, At: w.eng.Now()}
	if hs, err := db.Strings(`SELECT COALESCE(current_hook_bead_id, '') FROM agent_metadata WHERE bead_id = ?`, p.agentID); err == nil && len(hs) == 1 {
		sm.HookBefore = hs[0]
	}
	w.rpc("agent_status_message", func(now time.Time) error {
		return w.town.UpdateAgentStatusMessage(now, p.agentID, msg)
	}, des.F("agent", p.agentID), des.F("message", msg))
	if ss, err := db.Strings(`SELECT COALESCE(agent_status_message, '') || char(9) || COALESCE(agent_status_updated_at, '')
		FROM agent_metadata WHERE bead_id = ?`, p.agentID); err == nil && len(ss) == 1 {
		sm.ShownMessage, sm.ShownAt, _ = strings.Cut(ss[0], "\t")
	}
	w.statuses = append(w.statuses, sm)
}
