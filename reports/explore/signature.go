package explore

import (
	"strings"

	"github.com/townsim/townsim/scenarios"
)

// entityKinds is the kind of entity each property names in a violation's
// Entity (the checker's convention, scenarios/check_*.go).
var entityKinds = map[string]string{
	scenarios.PropOneOwner:         "bead",
	scenarios.PropDrainDispatch:    "bead",
	scenarios.PropTerminalWork:     "agent",
	scenarios.PropRigMatch:         "agent",
	scenarios.PropHookAssignee:     "agent",
	scenarios.PropBeadLost:         "bead",
	scenarios.PropSettle:           "bead",
	scenarios.PropRetryStorm:       "bead",
	scenarios.PropStarvation:       "bead",
	scenarios.PropFalseDeath:       "agent",
	scenarios.PropNudges:           "agent",
	scenarios.PropMerges:           "pr",
	scenarios.PropLandingMRs:       "convoy",
	scenarios.PropTriageLeftAlone:  "bead",
	scenarios.PropPokes:            "hour",
	scenarios.PropDeletedTownTicks: "tick",
	scenarios.PropDifferential:     "tick",
}

// EntityKind is the kind of entity a violation is about: "bead", "agent",
// "pr", "convoy", "town" (no entity), "invariant #N" for a production
// invariant (its number matters more than its entity), the kind the
// flapping property names, or "other".
func EntityKind(v scenarios.Violation) string {
	switch {
	case v.Entity == "":
		return "town"
	case v.Property == scenarios.PropInvariant:
		n, _, _ := strings.Cut(v.Entity, " ")
		return "invariant " + n
	case v.Property == scenarios.PropFlap:
		k, _, _ := strings.Cut(v.Detail, " ")
		return k
	}
	if k, ok := entityKinds[v.Property]; ok {
		return k
	}
	return "other"
}

// Signature is what deduplicates failures: the property, the rule id of
// the action involved ("-" when none is named) and the entity kind.
func Signature(v scenarios.Violation) string {
	rule := v.Rule
	if rule == "" {
		rule = "-"
	}
	return v.Property + " | " + rule + " | " + EntityKind(v)
}
