package sim

import (
	"testing"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// The container posts the drain nonce it learns to /container-ready once
// per instance (notifyContainerReady / acknowledgeContainerReady in
// container/src/heartbeat.ts, called from the /health route in
// container/src/control-server.ts and from heartbeat answers), and the
// Town clears its drain flag when the nonce matches
// (acknowledgeContainerReady in src/dos/Town.do.ts).
func TestContainerReadyAcknowledgement(t *testing.T) {
	p := newProbe(t, smallConfig()).run(2 * time.Minute)
	w, k := p.w, p.w.containers
	if !k.up {
		t.Fatal("container not up")
	}
	// No nonce: nothing is posted.
	k.ready.fromHealth(k, "", 0)
	k.ready.fromHeartbeat(k, k.instance, "")
	p.run(3 * time.Minute)
	if k.ready.acknowledged(k.instance) {
		t.Fatal("acknowledged without a nonce")
	}
	nonce, err := w.town.RecordContainerEviction(w.eng.Now())
	if err != nil {
		t.Fatal(err)
	}
	k.ready.fromHealth(k, nonce, 0)
	p.run(4 * time.Minute)
	if !k.ready.acknowledged(k.instance) || w.town.KV().Draining {
		t.Fatalf("acknowledged %v, draining %v", k.ready.acknowledged(k.instance), w.town.KV().Draining)
	}
	// The same instance never posts again: a later drain stays.
	nonce, err = w.town.RecordContainerEviction(w.eng.Now())
	if err != nil {
		t.Fatal(err)
	}
	k.ready.fromHeartbeat(k, k.instance, nonce)
	p.run(5 * time.Minute)
	if !w.town.KV().Draining {
		t.Fatal("an instance acknowledged twice")
	}
}

// A stop that reaches the container ends the agent's heartbeats: the
// container's stopAgent marks it stopping, then exited, and its heartbeat
// loop reports only running or starting agents (container/src/
// process-manager.ts, container/src/heartbeat.ts). Production's
// reconciler comments say heartbeats keep arriving after a GUPP force
// stop; by the container code that holds only when the stop does not reach
// the process. A process that is not stopped keeps heartbeating.
func TestHeartbeatsEndWithAStop(t *testing.T) {
	cfg := smallConfig()
	cfg.Work.Polecat = des.Const(time.Hour)
	p := newProbe(t, cfg).run(3 * time.Minute)
	w := p.w
	var polecat *process
	for _, pr := range w.containers.sortedLive() {
		if pr.role == "polecat" {
			polecat = pr
		}
	}
	if polecat == nil {
		t.Fatal("no polecat process")
	}
	last := func() string {
		s, err := w.town.DB().Strings(`SELECT last_activity_at FROM agent_metadata WHERE bead_id = ?`, polecat.agentID)
		if err != nil || len(s) != 1 {
			t.Fatalf("last_activity_at: %v %v", s, err)
		}
		return s[0]
	}
	before := last()
	p.run(5 * time.Minute)
	running := last()
	if running == before {
		t.Fatal("a running process sent no heartbeat")
	}
	w.containers.respond(model.Call{Kind: model.CallStopAgent, AgentID: polecat.agentID}, w.eng.Now())
	if polecat.state.live() {
		t.Fatalf("stopped process is %v", polecat.state)
	}
	n := w.stats.Heartbeats
	w.containers.heartbeat(polecat) // its reporter's next beat
	if w.stats.Heartbeats != n {
		t.Fatal("a stopped process sent a heartbeat")
	}
}
