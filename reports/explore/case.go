package explore

import (
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/scenarios"
)

// CaseResult is what one case of a campaign gave. Every field but CPU,
// Wall and FoundAt is a pure function of the campaign and the index.
type CaseResult struct {
	Index int    `json:"index"`
	Kind  string `json:"kind"`
	Name  string `json:"name,omitempty"`
	Seed  uint64 `json:"seed"`
	// Ticks and TraceHash describe the run.
	Ticks     int    `json:"ticks"`
	TraceHash string `json:"trace_hash"`
	// Failures are its failing properties (each property and entity once).
	Failures []Failure `json:"failures,omitempty"`
	// Coverage lists what the case exercised, as sorted keys "rule:ID",
	// "action:TYPE", "fault:KIND" and "finding:ID" (an accepted finding a
	// violation matched: absorbed, not a failure).
	Coverage []string `json:"coverage"`
	// Error is the case's error (the run could not be made), if any.
	Error string `json:"error,omitempty"`
	// Gastown counts the reconcile passes compared with a gastown
	// checkout's and those that differed (campaigns with --gastown).
	Gastown *GastownCounts `json:"gastown,omitempty"`
	// CPU is the CPU time the case took, Wall its real time, FoundAt when
	// it ended since the campaign started (machine-dependent).
	CPU     time.Duration `json:"cpu_ns"`
	Wall    time.Duration `json:"wall_ns"`
	FoundAt time.Duration `json:"ended_at_ns"`
}

// Failure is one failing property of a case.
type Failure struct {
	Signature string `json:"signature"`
	Property  string `json:"property"`
	Rule      string `json:"rule,omitempty"`
	Entity    string `json:"entity_kind"`
	// Violation is the checker's message.
	Violation string `json:"violation"`
}

// Coverage key prefixes.
const (
	KeyRule    = "rule:"
	KeyAction  = "action:"
	KeyFault   = "fault:"
	KeyFinding = "finding:"
)

// RunCase runs case i of c under every property (scenarios.Check, the
// determinism property included: each case runs twice).
func RunCase(c scenarios.Campaign, i int) CaseResult { return RunCaseWith(c, i, nil) }

// RunCaseWith runs case i of c as RunCase does, beside the gastown
// checkout g when g is not nil (its differences under g's case-N).
func RunCaseWith(c scenarios.Campaign, i int, g *Gastown) CaseResult {
	start := time.Now()
	k, err := c.Case(i)
	r := CaseResult{Index: i}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Kind, r.Name, r.Seed = k.Kind, k.Name, k.Config.Seed
	diffs := ""
	if g != nil {
		diffs = g.caseDiffDir(i)
	}
	rep, counts, err := g.check(k.Config, k.Bounds, true, diffs)
	r.Wall = time.Since(start)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Ticks, r.TraceHash, r.Gastown = rep.Result.Ticks, rep.Result.TraceHash, counts
	for _, v := range rep.Failures {
		r.Failures = append(r.Failures, failureOf(v))
	}
	r.Coverage = coverageKeys(rep)
	return r
}

func failureOf(v scenarios.Violation) Failure {
	return Failure{Signature: Signature(v), Property: v.Property, Rule: v.Rule, Entity: EntityKind(v), Violation: v.String()}
}

// coverageKeys lists a report's coverage as sorted keys.
func coverageKeys(rep *scenarios.Report) []string {
	var out []string
	add := func(prefix string, m map[string]int) {
		for k, n := range m {
			if n > 0 && k != "" {
				out = append(out, prefix+k)
			}
		}
	}
	add(KeyRule, rep.Coverage.Rules)
	add(KeyAction, rep.Coverage.Actions)
	add(KeyFault, rep.Coverage.Faults)
	add(KeyFinding, rep.Accepted)
	slices.Sort(out)
	return out
}

// signatures returns a case's distinct failure signatures, sorted.
func (r CaseResult) signatures() []string {
	set := map[string]bool{}
	for _, f := range r.Failures {
		set[f.Signature] = true
	}
	return slices.Sorted(maps.Keys(set))
}
