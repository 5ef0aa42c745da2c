package differential

import (
	"encoding/json"
	"strings"

	"github.com/townsim/townsim/model/reconciler"
)

// Entry is one action that only one side emitted, with the rule that
// emitted it ("" until attributed, "?" when no single rule did).
type Entry struct {
	Rule   string          `json:"rule"`
	Type   string          `json:"type"`
	Action json.RawMessage `json:"action"`
}

// Comparison is the verdict on one state: the port's actions against the
// original's.
type Comparison struct {
	// Same reports that both emitted the same actions in the same order,
	// or both threw.
	Same bool `json:"same"`
	// PortError and OriginalError are what a side threw ("" = it did not).
	PortError     string `json:"port_error,omitempty"`
	OriginalError string `json:"original_error,omitempty"`
	// Port is the port's actions in production's shape; Original the
	// original's, as it wrote them.
	Port     []json.RawMessage `json:"port"`
	Original []json.RawMessage `json:"original"`
	// OnlyPort and OnlyOriginal are the actions one side emitted more
	// often than the other, in its order.
	OnlyPort     []Entry `json:"only_port,omitempty"`
	OnlyOriginal []Entry `json:"only_original,omitempty"`
	// OrderOnly reports the same actions in another order.
	OrderOnly bool `json:"order_only,omitempty"`
	// Unparsed are the original's actions the port cannot read (a type or
	// key it does not know); they count in OnlyOriginal.
	Unparsed []string `json:"unparsed,omitempty"`
	// ThrowRule is the rule that threw when exactly one side threw.
	ThrowRule string `json:"throw_rule,omitempty"`
}

// Threw reports whether exactly one side threw.
func (c *Comparison) Threw() bool { return (c.PortError == "") != (c.OriginalError == "") }

// Compare compares the port's outcome (actions or error) with the
// original's on the same state.
func Compare(port []reconciler.Action, portErr error, orig Outcome) *Comparison {
	c := &Comparison{Original: orig.Actions}
	if portErr != nil {
		c.PortError = portErr.Error()
	}
	if orig.Threw {
		c.OriginalError = orig.Error
		if c.OriginalError == "" {
			c.OriginalError = "(threw without a message)"
		}
	}
	if portErr != nil || orig.Threw {
		c.Same = portErr != nil && orig.Threw
		if !c.Same && portErr != nil {
			c.ThrowRule = ruleOfPortError(c.PortError)
		}
		if portErr == nil {
			c.Port = encodeAll(port)
		}
		return c
	}
	c.Port = encodeAll(port)
	origKeys := make([]json.RawMessage, len(orig.Actions))
	for i, raw := range orig.Actions {
		a, err := ParseAction(raw)
		if err != nil {
			c.Unparsed = append(c.Unparsed, err.Error())
			origKeys[i] = raw
			continue
		}
		origKeys[i], _ = EncodeAction(a)
	}
	c.Same = equalLists(c.Port, origKeys)
	if c.Same {
		return c
	}
	c.OnlyPort = without(c.Port, origKeys)
	c.OnlyOriginal = without(origKeys, c.Port)
	c.OrderOnly = len(c.OnlyPort) == 0 && len(c.OnlyOriginal) == 0
	return c
}

func encodeAll(as []reconciler.Action) []json.RawMessage {
	out := make([]json.RawMessage, len(as))
	for i, a := range as {
		enc, err := EncodeAction(a)
		if err != nil {
			enc, _ = json.Marshal(map[string]string{"type": a.Type, "unencodable": err.Error()})
		}
		out[i] = enc
	}
	return out
}

func equalLists(a, b []json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if string(a[i]) != string(b[i]) {
			return false
		}
	}
	return true
}

// without returns the members of a left after taking away b's (a multiset
// difference), in a's order.
func without(a, b []json.RawMessage) []Entry {
	left := map[string]int{}
	for _, x := range b {
		left[string(x)]++
	}
	var out []Entry
	for _, x := range a {
		if left[string(x)] > 0 {
			left[string(x)]--
			continue
		}
		out = append(out, Entry{Type: actionType(x), Action: x})
	}
	return out
}

func actionType(raw json.RawMessage) string {
	var v struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &v) != nil || v.Type == "" {
		return "?"
	}
	return v.Type
}

// ruleOfPortError reads the rule name the port's Reconcile puts before
// its error.
func ruleOfPortError(msg string) string {
	for _, r := range reconciler.Rules {
		if strings.HasPrefix(msg, r+":") {
			return r
		}
	}
	return "?"
}

// Attribute names the rule of each action only one side emitted, from each
// side's per-rule actions on the same state: an action belongs to the rule
// that emitted it (the first one, in Rules order, when several did), or to
// "?" when none did. When only the original threw, the rule whose own
// run threw is named.
func (c *Comparison) Attribute(portByRule map[string][]reconciler.Action, origByRule map[string]Outcome) {
	portKeys := map[string][]json.RawMessage{}
	for rule, as := range portByRule {
		portKeys[rule] = encodeAll(as)
	}
	origKeys := map[string][]json.RawMessage{}
	for rule, o := range origByRule {
		for _, raw := range o.Actions {
			key := raw
			if a, err := ParseAction(raw); err == nil {
				key, _ = EncodeAction(a)
			}
			origKeys[rule] = append(origKeys[rule], key)
		}
	}
	name := func(byRule map[string][]json.RawMessage, x json.RawMessage) string {
		for _, r := range reconciler.Rules {
			for _, y := range byRule[r] {
				if string(x) == string(y) {
					return r
				}
			}
		}
		return "?"
	}
	for i := range c.OnlyPort {
		c.OnlyPort[i].Rule = name(portKeys, c.OnlyPort[i].Action)
	}
	for i := range c.OnlyOriginal {
		c.OnlyOriginal[i].Rule = name(origKeys, c.OnlyOriginal[i].Action)
	}
	if c.OriginalError != "" && c.PortError == "" {
		c.ThrowRule = "?"
		for _, r := range reconciler.Rules {
			if o, ok := origByRule[r]; ok && o.Threw {
				c.ThrowRule = r
				break
			}
		}
	}
}
