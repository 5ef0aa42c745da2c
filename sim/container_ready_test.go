package sim

import (
	"testing"
	"time"
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
