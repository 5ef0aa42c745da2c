package model

import (
	"fmt"
	"regexp"
)

// NotFoundError is production's "Bead <id> not found" / "Agent <id> not
// found" error. The drain recognises it by its text (model.md §5.3).
type NotFoundError struct {
	// Kind is "Bead" or "Agent".
	Kind string
	// ID is the missing id.
	ID string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Kind, e.ID) }

func beadNotFound(id string) error  { return &NotFoundError{Kind: "Bead", ID: id} }
func agentNotFound(id string) error { return &NotFoundError{Kind: "Agent", ID: id} }

// existingBead returns the bead, or "Bead <id> not found" when there is none.
func (t *Town) existingBead(id string) (*Bead, error) {
	b, err := t.GetBead(id)
	if err == nil && b == nil {
		err = beadNotFound(id)
	}
	return b, err
}

// existingAgent returns the agent, or "Agent <id> not found" when there is none.
func (t *Town) existingAgent(id string) (*Agent, error) {
	a, err := t.GetAgent(id)
	if err == nil && a == nil {
		err = agentNotFound(id)
	}
	return a, err
}

// notFoundPattern is the drain's test: a 36-character hex-and-hyphen id,
// with a word boundary before the kind and after "found" (so "SubBead …"
// or "… not founded" do not match, as in production).
var notFoundPattern = regexp.MustCompile(`\b(Bead|Agent) [0-9a-f-]{36} not found\b`)

// isMissingEntity reports whether the drain marks an event that failed
// with err as processed (skipped for good) rather than leaving it pending.
func isMissingEntity(err error) bool {
	return err != nil && notFoundPattern.MatchString(err.Error())
}
