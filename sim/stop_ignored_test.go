package sim

import (
	"testing"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// stop_ignored: a stop of a frozen session leaves the process stopping —
// not live, silent (no heartbeat reaches the Town after it), status
// "stopping" — and the stop call fails after stopHang; a second stop
// returns at once, and a start replaces the process. A running process
// that is not frozen stops as usual; with the kind off, a frozen one too.
func TestStopIgnored(t *testing.T) {
	for _, on := range []bool{false, true} {
		cfg := smallConfig()
		cfg.Containers.Healthy = 0
		cfg.Containers.Stuck = Stage{Weight: 1, After: des.Const(time.Minute)}
		if on {
			cfg.Faults.Rates = map[string]float64{FaultStopIgnored: 1}
		}
		p := newProbe(t, cfg).run(5 * time.Minute)
		k := p.w.containers
		var frozen *process
		for _, q := range k.sortedLive() {
			if q.role != model.RoleMayor && !q.stuckAt.IsZero() && q.state == procRunning {
				frozen = q
			}
		}
		if frozen == nil {
			t.Fatalf("on %v: no frozen process", on)
		}
		now := p.w.eng.Now()
		r, wait := k.respond(model.Call{Kind: model.CallStopAgent, AgentID: frozen.agentID}, now)
		if !on {
			if frozen.state != procExited || r.StatusCode != 200 {
				t.Errorf("off: stop left %s, answered %+v; want exited, 200", frozen.state, r)
			}
			continue
		}
		if frozen.state != procStopping || frozen.state.live() || r.Err == "" || wait != stopHang {
			t.Fatalf("on: stop left %s (live %v), answered %+v after %v; want stopping, not live, an error after %v",
				frozen.state, frozen.state.live(), r, wait, stopHang)
		}
		if r, _ := k.respond(model.Call{Kind: model.CallAgentStatus, AgentID: frozen.agentID}, now); r.Status != "stopping" {
			t.Errorf("status of a stopping process: %+v", r)
		}
		if r, wait := k.respond(model.Call{Kind: model.CallStopAgent, AgentID: frozen.agentID}, now); r.StatusCode != 200 || wait != 0 {
			t.Errorf("second stop: %+v after %v; want 200 at once", r, wait)
		}
		beat := frozen.lastBeat
		p.run(5*time.Minute + 2*cfg.Containers.HeartbeatEvery)
		if frozen.lastBeat != beat {
			t.Errorf("a stopping process heartbeated at %v", frozen.lastBeat)
		}
		now = p.w.eng.Now()
		if q := k.procs[frozen.agentID]; q != frozen {
			if q.n <= frozen.n {
				t.Errorf("the agent's process record went back to %d", q.n)
			}
			continue // the Town already started the agent again (AG-1 idled it, silent): replaced
		}
		r, _ = k.respond(model.Call{Kind: model.CallStartAgent, AgentID: frozen.agentID, BeadID: frozen.beadID, Role: frozen.role}, now)
		if r.StatusCode != 200 || k.procs[frozen.agentID] == frozen {
			t.Errorf("start after stopping: %+v; want a new process", r)
		}
	}
}

// stop_lost: the stop call throws at once and the process runs on and
// keeps heartbeating; with the kind off the same stop ends it.
func TestStopLost(t *testing.T) {
	for _, on := range []bool{false, true} {
		cfg := smallConfig()
		if on {
			cfg.Faults.Rates = map[string]float64{FaultStopLost: 1}
		}
		p := newProbe(t, cfg).run(3 * time.Minute)
		k := p.w.containers
		var q *process
		for _, x := range k.sortedLive() {
			if x.role != model.RoleMayor && x.state == procRunning {
				q = x
			}
		}
		if q == nil {
			t.Fatalf("on %v: no running polecat", on)
		}
		r, _ := k.respond(model.Call{Kind: model.CallStopAgent, AgentID: q.agentID}, p.w.eng.Now())
		if !on {
			if q.state != procExited || r.StatusCode != 200 {
				t.Errorf("off: stop left %s, answered %+v", q.state, r)
			}
			continue
		}
		beat := q.lastBeat
		p.run(5 * time.Minute)
		if r.Err == "" || q.state != procRunning || !q.lastBeat.After(beat) {
			t.Errorf("on: stop answered %+v, process %s, last heartbeat %v (before %v); want an error and a running, heartbeating process",
				r, q.state, q.lastBeat, beat)
		}
	}
}
