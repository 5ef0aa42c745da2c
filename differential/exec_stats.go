package differential

import (
	"cmp"
	"slices"
)

// TypeCount counts the comparisons of one event type or action type.
type TypeCount struct {
	// Type is the event type or action type.
	Type string `json:"type"`
	// Compared and Differed count the events applied (for actions: the
	// synchronous parts) compared and those that differed.
	Compared int `json:"compared"`
	Differed int `json:"differed"`
	// Effects and EffectsDiffered count an action type's side effects
	// compared and those that differed.
	Effects         int `json:"effects,omitempty"`
	EffectsDiffered int `json:"effects_differed,omitempty"`
	// EffectRows counts the side effects whose database rows were
	// compared (not only their calls).
	EffectRows int `json:"effect_rows,omitempty"`
}

// ExecStats count the events or actions a comparer compared, by type.
type ExecStats struct {
	// Compared counts the steps compared (events; actions' synchronous
	// parts and side effects), Differed those that differed.
	Compared int `json:"compared"`
	Differed int `json:"differed"`
	// Accepted counts the steps that agreed once accepted differences
	// were left out (docs/differential.md).
	Accepted int `json:"accepted"`
	// Skipped counts steps not compared because an injected fault struck
	// the port's step (the original would run to its end).
	Skipped int `json:"skipped"`
	// ByType is the count by type, in type order.
	ByType []TypeCount `json:"by_type"`
	// Analytics counts the analytics data points compared, by event
	// name (the port's; with the checkout's Town methods loaded).
	Analytics map[string]int `json:"analytics,omitempty"`
}

func (s *ExecStats) row(typ string) *TypeCount {
	i, found := slices.BinarySearchFunc(s.ByType, typ, func(r TypeCount, t string) int { return cmp.Compare(r.Type, t) })
	if !found {
		s.ByType = slices.Insert(s.ByType, i, TypeCount{Type: typ})
	}
	return &s.ByType[i]
}

// addStep counts one comparison.
func (s *ExecStats) addStep(c *StepComparison) {
	if c.Same && len(c.Accepted) > 0 {
		s.Accepted++
	}
	s.add(c.Type, c.Part, c.Same)
	if c.Part == "effect" && c.rows {
		s.row(c.Type).EffectRows++
	}
	if c.analytics {
		for _, p := range c.PortAnalytics {
			if len(p.Blobs) > 0 {
				if s.Analytics == nil {
					s.Analytics = map[string]int{}
				}
				s.Analytics[p.Blobs[0]]++
			}
		}
	}
}

// add counts one comparison of part ("event", "sync" or "effect").
func (s *ExecStats) add(typ, part string, same bool) {
	s.Compared++
	if !same {
		s.Differed++
	}
	r := s.row(typ)
	if part == "effect" {
		r.Effects++
		if !same {
			r.EffectsDiffered++
		}
		return
	}
	r.Compared++
	if !same {
		r.Differed++
	}
}
