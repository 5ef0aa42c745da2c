package scenarios

import (
	"regexp"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// Dispatch accounting (issue 16: dispatches of one bead are bounded over
// its whole life, and spaced by the cooldown), judged from the Town's
// start calls, never from the bead's dispatch_attempts column.
//
// What production's bead counter counts (docs/properties.md, "What a
// bead's dispatch counter counts"): every scheduling dispatchAgent that
// reaches its writes increments the bead's counter and stamps
// last_dispatch_attempt_at just before it sends the start call, whatever
// the container then answers (started, refused, "already running") or
// whether the call throws or times out. The triage batch's lightweight
// start and the mayor's start do not go through dispatchAgent and count
// nothing. Only three writes zero a bead's counter: AG-3's reset (of the
// bead the quiet agent is hooked to), the mayor's resetAgent and the
// resetAgentDispatchAttempts RPC (the world calls neither). A hook, an
// unhook, a successful start, a heartbeat or an agent's completion lower
// only the agent's counter. A triage RESTART_WITH_BACKOFF stamps the
// bead's last attempt without counting one (it can only delay the next).
const (
	// PropDispatchCap: a bead is dispatched again by BD-1, BD-2, RQ-5 or
	// RQ-6 only while fewer than max_dispatch_attempts starts happened
	// since its counter's last reset, and failed for exhausted attempts
	// only once that many did.
	PropDispatchCap = "safety/dispatches-within-attempt-cap"
	// PropDispatchCooldown: a bead is dispatched again by BD-1, BD-2 or
	// RQ-6 no sooner than the cooldown of its attempt count after its
	// previous start.
	PropDispatchCooldown = "safety/redispatch-waits-cooldown"
)

// attemptsFailRe matches the reasons of the rules that fail a bead for
// exhausted dispatch attempts (BD-1, BD-2, BD-3, RQ-6).
var attemptsFailRe = regexp.MustCompile(`max dispatch attempts (exceeded|exhausted)`)

// dispatchLedger is the state both dispatch properties share: for each
// bead, the send times of the Town's start calls since its counter's last
// reset, and each agent's hook as last seen (a start call names it; the
// rows at each tick's end confirm it).
type dispatchLedger struct {
	starts map[string][]time.Time // bead → start calls sent since its counter's last reset
	hook   map[string]string      // agent → hooked bead, before the tick being judged
}

func newDispatchLedger() dispatchLedger {
	return dispatchLedger{starts: map[string][]time.Time{}, hook: map[string]string{}}
}

// counted reports whether a start call went through scheduling's
// dispatchAgent, which counts it on the bead.
func counted(call model.Call) bool {
	return call.Kind == model.CallStartAgent && !call.Lightweight && call.BeadID != "" && call.Role != model.RoleMayor
}

func (l *dispatchLedger) call(c *checker, call model.Call, _ model.Result, now time.Time) {
	if !counted(call) {
		return
	}
	sent := now
	if c.world != nil && !c.world.CallSent().IsZero() {
		sent = c.world.CallSent()
	}
	l.starts[call.BeadID] = append(l.starts[call.BeadID], sent)
	l.hook[call.AgentID] = call.BeadID
}

// before is the bead's start calls sent before the tick being judged fired
// (what its reconcile could have seen).
func (l *dispatchLedger) before(c *checker, bead string) []time.Time {
	s := l.starts[bead]
	i := len(s)
	for i > 0 && !s[i-1].Before(c.tickStart) {
		i--
	}
	return s[:i]
}

// reset forgets the starts a reset_agent_dispatch_attempts action zeroed:
// those of the agent's hooked bead sent before the tick (its apply runs
// before the tick's start calls).
func (l *dispatchLedger) reset(c *checker, a reconciler.Action) {
	if a.Type != reconciler.ResetAgentDispatchAttempts {
		return
	}
	if b := l.hook[a.AgentID]; b != "" {
		s := l.starts[b]
		l.starts[b] = s[len(l.before(c, b)):]
	}
}

func (l *dispatchLedger) refreshHooks(t *tickView) {
	rows, err := t.db.Query(`SELECT bead_id, COALESCE(current_hook_bead_id, '') FROM agent_metadata ORDER BY bead_id`)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var a, h string
		if rows.Scan(&a, &h) == nil {
			l.hook[a] = h
		}
	}
}

// dispatchCapProp: see PropDispatchCap. A fault of the Town's code or a
// Town restart (a write cut between the count and the call) excuses it.
type dispatchCapProp struct {
	dispatchLedger
	judged int
}

func (p *dispatchCapProp) action(c *checker, a reconciler.Action, t *tickView) {
	defer p.reset(c, a)
	limit := t.w.Town().Knobs().MaxDispatchAttempts
	switch {
	case a.Type == reconciler.DispatchAgent && redispatchRule(a.Rule):
		p.judged++
		if n := len(p.before(c, a.BeadID)); n >= limit && !c.causeExcuses()(c.now) {
			c.violation(PropDispatchCap, a.BeadID, "%s dispatched bead %s after %d start calls since its attempts were last "+
				"reset (the cap is %d)", a.Rule, short(a.BeadID), n, limit)
		}
	case a.Type == reconciler.TransitionBead && a.To == model.StatusFailed && attemptsFailRe.MatchString(a.Reason):
		p.judged++
		if n := len(p.before(c, a.BeadID)); n < limit && !c.causeExcuses()(c.now) {
			c.violation(PropDispatchCap, a.BeadID, "%s failed bead %s (%q) after %d start calls since its attempts were last "+
				"reset (the cap is %d)", a.Rule, short(a.BeadID), a.Reason, n, limit)
		}
	}
}

func (p *dispatchCapProp) tick(_ *checker, t *tickView) { p.refreshHooks(t) }

func (p *dispatchCapProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no bead was re-dispatched or failed for its attempts"
	}
	return ""
}

// redispatchRule: the rules that dispatch a bead only under its attempt
// cap and past its cooldown (reconciler.md §2.2, §2.3): BD-1, BD-2 and
// RQ-6. RQ-5 pops an open merge request whatever its count.
func redispatchRule(rule string) bool {
	switch rule {
	case "BD-1", "BD-2", "RQ-6":
		return true
	}
	return false
}

// dispatchCooldownProp: see PropDispatchCooldown. The reconcile read the
// clock no later than the tick's end, and the previous start's stamp is
// its send time, so a gap from that send to the tick's end shorter than
// the cooldown is a dispatch inside it.
type dispatchCooldownProp struct {
	dispatchLedger
	judged int
}

func (p *dispatchCooldownProp) action(c *checker, a reconciler.Action, t *tickView) {
	defer p.reset(c, a)
	if a.Type != reconciler.DispatchAgent || !redispatchRule(a.Rule) {
		return
	}
	s := p.before(c, a.BeadID)
	if len(s) == 0 {
		return
	}
	p.judged++
	k := t.w.Town().Knobs()
	wait := k.Cooldown(len(s))
	if gap := c.now.Sub(s[len(s)-1]); gap < wait && !c.causeExcuses()(c.now) {
		c.violation(PropDispatchCooldown, a.BeadID, "%s dispatched bead %s %s after its previous start (attempt %d: "+
			"the cooldown is %s)", a.Rule, short(a.BeadID), gap, len(s), wait)
	}
}

func (p *dispatchCooldownProp) tick(_ *checker, t *tickView) { p.refreshHooks(t) }

func (p *dispatchCooldownProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no bead was dispatched again"
	}
	return ""
}
