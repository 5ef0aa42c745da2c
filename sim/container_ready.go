package sim

import (
	"time"

	"github.com/townsim/townsim/des"
)

// readyAcks models the container's side of the drain handshake (the
// container's heartbeat module and its /health route): a container
// instance that learns the Town's drain nonce, from the X-Drain-Nonce
// header of a health call or from a heartbeat's answer, posts it to
// /container-ready (the Town's AcknowledgeContainerReady), at most once
// per instance once the post succeeded. The health route does not look at
// whether its own container received SIGTERM, so the dying instance
// acknowledges too when a health call reaches it. The post is
// fire-and-forget and lands after a drawn latency (the Health latency,
// drawn from its own stream so that other draws do not shift).
type readyAcks struct {
	acked map[string]bool // by instance id
	r     *des.Rand
}

// fromHealth handles a health call answered after wait.
func (a *readyAcks) fromHealth(k *containers, nonce string, wait time.Duration) {
	if nonce == "" {
		return
	}
	a.post(k, k.instance, nonce, wait)
}

// fromHeartbeat handles a heartbeat's answer: a non-empty nonce means the
// Town is draining.
func (a *readyAcks) fromHeartbeat(k *containers, instance, nonce string) {
	if nonce == "" {
		return
	}
	a.post(k, instance, nonce, 0)
}

// post sends the acknowledgement of instance unless it already succeeded.
func (a *readyAcks) post(k *containers, instance, nonce string, after time.Duration) {
	if a.acked[instance] {
		return
	}
	if a.r == nil {
		a.acked = map[string]bool{}
		a.r = k.w.src.Stream("container_ready")
	}
	w := k.w
	w.eng.After(after+w.cfg.Latency.Health.Sample(a.r), func() {
		if a.acked[instance] {
			return
		}
		w.rpc("acknowledge_container_ready", func(now time.Time) error {
			w.town.AcknowledgeContainerReady(now, nonce)
			return nil
		}, des.F("instance", instance), des.F("nonce", nonce))
		// The route answers 200 whether or not the nonce matched, so the
		// instance never posts again.
		a.acked[instance] = true
	})
}

// acknowledged reports whether instance has acknowledged readiness.
func (a *readyAcks) acknowledged(instance string) bool { return a.acked[instance] }
