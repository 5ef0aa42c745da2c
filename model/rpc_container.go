package model

import (
	"time"
)

// RecordContainerEviction is the container's SIGTERM report: a
// container_eviction event, then the drain flag with a new nonce and
// start time (reconciler.md §1.5). It returns the nonce and does not arm.
func (t *Town) RecordContainerEviction(now time.Time) (string, error) {
	if _, err := t.InsertEvent(now, EventContainerEviction, "", "", nil); err != nil {
		return "", err
	}
	nonce := t.newID()
	if err := t.Fault(FPKVWrite, "town:draining"); err != nil {
		return "", err
	}
	t.kv.Draining = true
	t.kv.DrainNonce = nonce
	t.kv.DrainStartedAt = now
	return nonce, nil
}

// AcknowledgeContainerReady clears the drain flag when nonce matches: true
// when not draining (no-op) or cleared, false on a mismatch.
func (t *Town) AcknowledgeContainerReady(now time.Time, nonce string) bool {
	if !t.kv.Draining {
		return true
	}
	if nonce != t.kv.DrainNonce {
		return false
	}
	return t.ClearDrain() == nil
}

// ContainerAgentStatus maps a CallAgentStatus answer as production's
// checkAgentContainerStatus does (reconciler.md §3.9): a thrown call →
// unknown; HTTP 404 → not_found; any other non-2xx → unknown; a 2xx body
// with a status → that status and its exit reason; any other body
// (Status "") → unknown.
func ContainerAgentStatus(r Result) (status, exitReason string) {
	switch {
	case r.Err != "":
		return "unknown", ""
	case r.StatusCode == 404:
		return "not_found", ""
	case r.StatusCode < 200 || r.StatusCode > 299 || r.Status == "":
		return "unknown", ""
	}
	return r.Status, r.ExitReason
}
