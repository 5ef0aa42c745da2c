package model

import (
	"fmt"
	"time"
)

// SlingInput creates one issue bead in a rig.
type SlingInput struct {
	RigID, Title, Body, Priority string
	Labels                       []string
	Metadata                     map[string]any
}

// validPriority reports a bead priority production's enum accepts.
func validPriority(p string) bool {
	switch p {
	case "low", "medium", "high", "critical":
		return true
	}
	return false
}

// SlingBead creates an issue (an invalid priority becomes medium), queues
// bead_created, hooks a polecat of the rig (reused if idle, else new),
// starts the dispatch without awaiting it (env.Go) and pulls the alarm to
// the active cadence.
func (t *Town) SlingBead(env Env, in SlingInput) (beadID, agentID string, err error) {
	now := env.Now()
	prio := in.Priority
	if !validPriority(prio) {
		prio = "medium"
	}
	b, err := t.CreateBead(now, CreateBeadInput{Type: TypeIssue, Title: in.Title, Body: in.Body,
		Priority: prio, RigID: in.RigID, Metadata: in.Metadata, Labels: in.Labels})
	if err != nil {
		return "", "", err
	}
	if _, err := t.InsertEvent(now, EventBeadCreated, "", b.ID,
		map[string]any{"bead_type": TypeIssue, "rig_id": in.RigID, "has_blockers": false}); err != nil {
		return b.ID, "", err
	}
	a, err := t.GetOrCreateAgent(now, RolePolecat, in.RigID)
	if err != nil {
		return b.ID, "", err
	}
	if err := t.HookBead(now, a.ID, b.ID); err != nil {
		return b.ID, a.ID, err
	}
	aid, bid := a.ID, b.ID
	env.Go(func() { t.DispatchAgent(env, aid, bid, DispatchOptions{}) })
	t.escalateToActiveCadence(now)
	return b.ID, a.ID, nil
}

// CreateHeldBead creates an issue with the caller's labels (normally
// including gt:held) and queues bead_created; it does not arm the alarm.
func (t *Town) CreateHeldBead(now time.Time, in SlingInput) (string, error) {
	b, err := t.CreateBead(now, CreateBeadInput{Type: TypeIssue, Title: in.Title, Body: in.Body,
		RigID: in.RigID, Labels: in.Labels, Metadata: in.Metadata})
	if err != nil {
		return "", err
	}
	_, err = t.InsertEvent(now, EventBeadCreated, "", b.ID,
		map[string]any{"bead_type": TypeIssue, "rig_id": strOrNull(in.RigID), "has_blockers": false})
	return b.ID, err
}

// StartHeldBead removes gt:held from a bead of rigID (through the field
// update, actor system) and pulls the alarm to the active cadence.
func (t *Town) StartHeldBead(now time.Time, beadID, rigID string) error {
	b, err := t.existingBead(beadID)
	if err != nil {
		return err
	}
	if !b.RigID.Valid || b.RigID.String != rigID {
		return fmt.Errorf("Bead %s does not belong to rig %s", beadID, rigID)
	}
	labels := make([]string, 0, len(b.Labels))
	for _, l := range b.Labels {
		if l != LabelHeld {
			labels = append(labels, l)
		}
	}
	if _, err := t.UpdateBeadFields(now, beadID, BeadFields{Labels: &labels}, "system"); err != nil {
		return err
	}
	t.escalateToActiveCadence(now)
	return nil
}

// SetBeadStatus is the updateBeadStatus/closeBead RPC: a terminal status
// first queues bead_cancelled ({cancel_status}), then the guarded status
// change (model.md §4.2) runs, then a terminal status dispatches the beads
// it unblocked. It does not arm the alarm.
func (t *Town) SetBeadStatus(env Env, id, status, actor string) error {
	now := env.Now()
	terminal := Terminal(status)
	if terminal {
		if _, err := t.InsertEvent(now, EventBeadCancelled, "", id, map[string]any{"cancel_status": status}); err != nil {
			return err
		}
	}
	b, err := t.UpdateBeadStatus(now, id, status, actor, nil)
	if err != nil {
		return err
	}
	e := AnalyticsEvent{RigID: b.RigID.String, BeadID: id, BeadType: b.Type}
	switch status {
	case StatusClosed:
		e.Event = "bead.closed"
		if created, ok := ParseTime(b.CreatedAt); ok {
			e.DurationMs = float64(now.UnixMilli() - created.UnixMilli())
		}
	case StatusFailed:
		e.Event = "bead.failed"
	default:
		e.Event, e.Label = "bead.status_changed", status
	}
	t.emit(e)
	if terminal {
		return t.DispatchUnblockedBeads(env, id)
	}
	return nil
}

// UpdateBead is the updateBead RPC: bead_cancelled first for a terminal
// status, the field update (model.md §4.5), setDependencies when dependsOn
// is non-nil (an empty non-nil slice clears the blocks edges), then the
// unblocked dispatch for a terminal status. It does not arm the alarm.
func (t *Town) UpdateBead(env Env, id string, f BeadFields, dependsOn []string, actor string) error {
	now := env.Now()
	terminal := f.Status != nil && Terminal(*f.Status)
	if terminal {
		if _, err := t.InsertEvent(now, EventBeadCancelled, "", id, map[string]any{"cancel_status": *f.Status}); err != nil {
			return err
		}
	}
	if _, err := t.UpdateBeadFields(now, id, f, actor); err != nil {
		return err
	}
	if dependsOn != nil {
		if err := t.SetDependencies(id, dependsOn); err != nil {
			return err
		}
	}
	if terminal {
		return t.DispatchUnblockedBeads(env, id)
	}
	return nil
}
