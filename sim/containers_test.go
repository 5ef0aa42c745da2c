package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// afterFirst runs fn once, after the first answer to a call of kind.
func (p *probe) afterFirst(kind model.CallKind, fn func()) {
	onCall := p.w.env.OnCall
	done := false
	p.w.env.OnCall = func(c model.Call, sent time.Time, r model.Result) {
		onCall(c, sent, r)
		if c.Kind == kind && !done {
			done = true
			fn()
		}
	}
}

// every runs fn every d of simulated time (tests flip world settings
// once something has happened).
func (p *probe) every(d time.Duration, fn func()) {
	var tick func()
	tick = func() { fn(); p.w.eng.After(d, tick) }
	p.w.eng.After(d, tick)
}

// flipOnce checks cond every 10 s of simulated time and runs then the
// first time it holds (tests restore world settings once a fault showed).
func (p *probe) flipOnce(cond func(*probe) bool, then func()) {
	flipped := false
	p.every(10*time.Second, func() {
		if !flipped && cond(p) {
			flipped = true
			then()
		}
	})
}

// onlyIssue returns the status of the single slung issue.
func (p *probe) onlyIssue() string {
	p.t.Helper()
	st := p.issueStatuses()
	if len(st) != 1 {
		p.t.Fatalf("%d issues, want 1", len(st))
	}
	return st[0]
}

func isCode(code int) func(model.Result) bool {
	return func(r model.Result) bool { return r.Err == "" && r.StatusCode == code }
}

// A cold start is seen by the Town as a working agent without heartbeats.
// Within AG-1's 90 s nothing happens. A longer one is idled by AG-1
// ("heartbeat lost") and AG-4 reopens the bead — the 180 s not_found grace
// of container_status never gets the chance, AG-1 comes first. What
// follows depends on the town (production hazards both):
//   - alone in an idle town (the mayor, idled by its own not_found answer
//     because EnsureMayor leaves its last_activity_at NULL, does not keep
//     the town active), T16 stops the idle container, killing the process
//     still starting; every retry ends the same way until BD-1's attempt
//     cap fails the bead;
//   - when the mayor stays working (status "starting" during cold starts),
//     the re-dispatch finds the process still starting, the container
//     answers 500 "already running", production counts that as started,
//     and the process, once up, finishes the bead.
func TestContainerColdStart(t *testing.T) {
	tests := []struct {
		cold         time.Duration
		answer       string
		idled        bool
		idleStop     bool
		startRefused bool
		end          string
	}{
		{60 * time.Second, "not_found", false, false, false, model.StatusClosed},
		{120 * time.Second, "not_found", true, true, false, model.StatusFailed},
		{240 * time.Second, "starting", true, false, true, model.StatusClosed},
	}
	for _, tt := range tests {
		t.Run(tt.cold.String()+"_"+tt.answer, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Containers.ColdStart = des.Const(tt.cold)
			cfg.Containers.ColdStartAnswer = tt.answer
			p := newProbe(t, cfg).run(2 * time.Hour)
			idled := p.countActions("transition_agent", "to=idle", "heartbeat") > 0
			idleStop := p.countCalls(model.CallContainerStop, nil) > 0
			refused := p.countCalls(model.CallStartAgent, isCode(500)) > 0
			if idled != tt.idled || idleStop != tt.idleStop || refused != tt.startRefused {
				t.Errorf("idled by AG-1 %v (want %v), idle stop %v (want %v), start answered 500 %v (want %v); agent went %s",
					idled, tt.idled, idleStop, tt.idleStop, refused, tt.startRefused, p.polecatStatuses())
			}
			if s := p.onlyIssue(); s != tt.end {
				t.Errorf("issue ended %s, want %s", s, tt.end)
			}
		})
	}
}

// Each fault stage strikes the first process 3 min into its 10 min of
// work; the Town notices it as production would and the issue is redone.
func TestContainerFaultStages(t *testing.T) {
	tests := []struct {
		stage string
		set   func(c *ContainerConfig, s Stage)
		check func(t *testing.T, p *probe)
	}{
		{faultStuck, func(c *ContainerConfig, s Stage) { c.Stuck = s }, func(t *testing.T, p *probe) {
			// Heartbeats go on with a frozen watermark: GUPP warns after
			// 15 min, escalates after 1 h with a triage request; the triage
			// agent resolves it with RESTART (the stuck agent is stopped
			// and idled) before GUPP's 2 h force stop, and the bead is
			// then redone.
			for _, want := range [][]string{
				{"send_nudge", "tier=warn"}, {"send_nudge", "tier=escalate"}, {"create_triage_request"},
			} {
				if p.countActions(want...) == 0 {
					t.Errorf("no %v action", want)
				}
			}
			if p.countActions("transition_agent", "to=stalled") != 0 || p.countActions("stop_agent") != 0 {
				t.Errorf("GUPP force-stopped the agent although triage restarted it")
			}
			if p.beadsLabelled(model.LabelTriageRequest, model.StatusClosed) != 1 || p.countCalls(model.CallStopAgent, isCode(200)) != 1 {
				t.Errorf("triage requests closed %d, stop calls answered 200 %d; want 1 and 1",
					p.beadsLabelled(model.LabelTriageRequest, model.StatusClosed), p.countCalls(model.CallStopAgent, isCode(200)))
			}
			if p.countActions("heartbeat") != 0 {
				t.Errorf("AG-1 idled a heartbeating agent")
			}
		}},
		{faultExited, func(c *ContainerConfig, s Stage) { c.Exited = s }, func(t *testing.T, p *probe) {
			// The container reports completed without gt_done: the agent is
			// unhooked, the bead stays in_progress until BD-3 finds it lost.
			if p.countActions("transition_bead", "to=open", "agent lost") == 0 {
				t.Errorf("BD-3 never reset the abandoned bead")
			}
		}},
		{faultCrashed, func(c *ContainerConfig, s Stage) { c.Crashed = s }, func(t *testing.T, p *probe) {
			// No report; T4 sees "exited": container_status idles the agent
			// (hook kept) and AG-4 reopens the bead.
			exited := p.countCalls(model.CallAgentStatus, func(r model.Result) bool {
				return r.Status == "exited" && strings.HasPrefix(r.ExitReason, "crashed")
			})
			if exited == 0 || p.countActions("transition_bead", "to=open", "went idle without completing") == 0 {
				t.Errorf("status exited answers %d; AG-4 reopen missing in %v", exited, p.actions)
			}
			if p.countActions("heartbeat") != 0 {
				t.Errorf("AG-1 idled the agent: container_status should have first")
			}
		}},
		{faultOOMKilled, func(c *ContainerConfig, s Stage) { c.OOMKilled = s }, func(t *testing.T, p *probe) {
			// 404 within the 180 s grace is ignored; AG-1 idles the agent.
			if p.countActions("transition_agent", "to=idle", "heartbeat lost") == 0 {
				t.Errorf("AG-1 never idled the killed agent")
			}
		}},
		{faultUnresponsive, func(c *ContainerConfig, s Stage) { c.Unresponsive = s }, func(t *testing.T, p *probe) {
			// Status calls time out (unknown: ignored); AG-1 idles the agent;
			// the re-dispatch meets the hung process ("already running").
			timeouts := p.countCalls(model.CallAgentStatus, func(r model.Result) bool { return r.Err == "timeout" })
			if timeouts == 0 || p.countActions("heartbeat lost") == 0 || p.countCalls(model.CallStartAgent, isCode(500)) == 0 {
				t.Errorf("timeouts %d, AG-1 %d, refused starts %d", timeouts, p.countActions("heartbeat lost"),
					p.countCalls(model.CallStartAgent, isCode(500)))
			}
		}},
		{faultEvicted, func(c *ContainerConfig, s Stage) { c.Evicted = s }, func(t *testing.T, p *probe) {
			// SIGTERM: the Town drains; the evicted polecat reports
			// completed/"container eviction", which reopens its bead; a new
			// container instance serves the re-dispatch.
			drained := false
			for _, kv := range p.kv {
				drained = drained || kv.Draining
			}
			if !drained || p.w.containers.instances < 2 || p.w.Stats().Evictions != 1 {
				t.Errorf("draining seen %v, instances %d, evictions %d", drained, p.w.containers.instances, p.w.Stats().Evictions)
			}
			if p.w.town.KV().ContainerInstanceID != p.w.containers.instance {
				t.Errorf("the Town's container instance %q is not the new one %q", p.w.town.KV().ContainerInstanceID, p.w.containers.instance)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Containers.Healthy = 0
			cfg.Containers.UnresponsiveFor = des.Const(10 * time.Minute)
			tt.set(&cfg.Containers, Stage{Weight: 1, After: des.Const(3 * time.Minute)})
			p := newProbe(t, cfg)
			// Only the first processes (polecat and mayor) draw the fault.
			p.w.eng.After(time.Minute, func() {
				p.w.containers.cfg.Healthy = 1
				tt.set(&p.w.containers.cfg, Stage{})
			})
			p.run(3 * time.Hour)
			if got := p.w.Stats().Faults[tt.stage]; got != 1 {
				t.Errorf("fault %s struck %d times, want 1", tt.stage, got)
			}
			tt.check(t, p)
			if s := p.onlyIssue(); s != model.StatusClosed {
				t.Errorf("issue ended %s, want closed after recovery; actions:\n%s", s, strings.Join(p.actions, "\n"))
			}
		})
	}
}

// Start answers other than 200, as production maps them (§3.9).
func TestContainerStartAnswers(t *testing.T) {
	tests := []struct {
		name    string
		weights StartWeights
		check   func(t *testing.T, p *probe)
	}{
		{"503 is a failed start", StartWeights{Error: 1}, func(t *testing.T, p *probe) {
			if p.w.Stats().Analytics["agent.dispatch_failed"] == 0 || p.countActions("heartbeat lost") == 0 {
				t.Errorf("dispatch_failed %d, AG-1 %d", p.w.Stats().Analytics["agent.dispatch_failed"], p.countActions("heartbeat lost"))
			}
		}},
		{"500 already running counts as started", StartWeights{AlreadyRunning: 1}, func(t *testing.T, p *probe) {
			if p.w.Stats().Analytics["agent.dispatch_failed"] != 0 || p.countActions("heartbeat") != 0 {
				t.Errorf("dispatch_failed %d, AG-1 %d", p.w.Stats().Analytics["agent.dispatch_failed"], p.countActions("heartbeat"))
			}
		}},
		{"a timed-out start fails but the process runs", StartWeights{Timeout: 1}, func(t *testing.T, p *probe) {
			if p.w.Stats().Analytics["agent.dispatch_failed"] == 0 || p.w.Stats().Heartbeats == 0 {
				t.Errorf("dispatch_failed %d, heartbeats %d", p.w.Stats().Analytics["agent.dispatch_failed"], p.w.Stats().Heartbeats)
			}
			for _, c := range p.calls {
				if c.c.Kind == model.CallStartAgent && c.r.Err == "timeout" && c.at < 60*time.Second {
					t.Errorf("start timed out after %v, before the 60 s timeout", c.at)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Containers.Start = tt.weights
			p := newProbe(t, cfg)
			p.afterFirst(model.CallStartAgent, func() { p.w.containers.cfg.Start = StartWeights{OK: 1} })
			p.run(90 * time.Minute)
			tt.check(t, p)
			if s := p.onlyIssue(); s != model.StatusClosed {
				t.Errorf("issue ended %s, want closed", s)
			}
		})
	}
}

// A container stop (GUPP, RQ-7) ends the process: later status calls say
// "exited"/"stopped" and no heartbeat follows.
func TestContainerStopAgent(t *testing.T) {
	cfg := smallConfig()
	p := newProbe(t, cfg)
	p.run(2 * time.Minute)
	k := p.w.containers
	live := k.sortedLive()
	if len(live) != 2 {
		t.Fatalf("%d live processes, want the polecat and the mayor", len(live))
	}
	var polecat *process
	for _, pr := range live {
		if pr.role == model.RolePolecat {
			polecat = pr
		}
	}
	r, _ := k.respond(model.Call{Kind: model.CallStopAgent, AgentID: polecat.agentID}, p.w.eng.Now())
	st, _ := k.respond(model.Call{Kind: model.CallAgentStatus, AgentID: polecat.agentID}, p.w.eng.Now())
	again, _ := k.respond(model.Call{Kind: model.CallStopAgent, AgentID: polecat.agentID}, p.w.eng.Now())
	if r.StatusCode != 200 || st.Status != "exited" || st.ExitReason != "stopped" || again.StatusCode != 404 {
		t.Errorf("stop %d, status %q/%q, second stop %d", r.StatusCode, st.Status, st.ExitReason, again.StatusCode)
	}
	hb := p.w.Stats().Heartbeats
	k.heartbeat(polecat)
	if p.w.Stats().Heartbeats != hb || polecat.state != procExited {
		t.Errorf("a stopped process heartbeats (state %s)", polecat.state)
	}
}
