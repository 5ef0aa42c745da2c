package explore

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/scenarios"
)

// ReportVersion is the version of report.json's shape.
const ReportVersion = 1

// Report is a campaign's outcome, as report.json holds it.
type Report struct {
	Version  int                `json:"version"`
	Campaign scenarios.Campaign `json:"campaign"`
	// Cases is the number of cases asked for (0 = a budget); Budget the
	// budget.
	Cases  int           `json:"cases_requested"`
	Budget time.Duration `json:"budget_ns"`
	// Shard of Shards is the slice this report ran (0 of 1: all).
	Shard  int `json:"shard"`
	Shards int `json:"shards"`
	// Jobs is the number of workers (summed over merged shards).
	Jobs int `json:"jobs"`
	// Interrupted is set when Ctrl-C ended the campaign (or a shard).
	Interrupted bool `json:"interrupted"`
	// Stopped is set when Options.StopWhen ended the campaign (fail fast).
	Stopped bool `json:"stopped,omitempty"`
	// Wall is the campaign's real time (the longest shard's when merged).
	Wall time.Duration `json:"wall_ns"`
	// ShrinkCPU is the CPU time the shrinks took.
	ShrinkCPU time.Duration `json:"shrink_cpu_ns"`
	// CaseResults are the cases that ended, by index.
	CaseResults []CaseResult `json:"case_results"`
	// Signatures are the failures by signature, by first case.
	Signatures []SignatureEntry `json:"signatures"`
	// Growth is the coverage after each case, in index order.
	Growth []GrowthPoint `json:"coverage_growth"`
	// MergedFrom lists the shard folders of a merged report.
	MergedFrom []string `json:"merged_from,omitempty"`
	// Gastown is the gastown checkout the cases ran beside, if any.
	Gastown *Gastown `json:"gastown,omitempty"`

	// firsts tracks, during a run, each signature's lowest case index.
	firsts map[string]int
	shrunk map[string]*Shrunk
}

// SignatureEntry is one deduplicated failure.
type SignatureEntry struct {
	Signature string `json:"signature"`
	Property  string `json:"property"`
	Rule      string `json:"rule,omitempty"`
	Entity    string `json:"entity_kind"`
	// FirstCase is the lowest case index that shows it; Cases how many
	// cases show it; Example the first case's violation.
	FirstCase int    `json:"first_case"`
	Cases     int    `json:"cases"`
	Example   string `json:"example"`
	// FirstFoundAt is when, since the campaign started, a case first
	// showed it (real time; machine-dependent).
	FirstFoundAt time.Duration `json:"first_found_at_ns"`
	// Shrunk is the shrink of FirstCase (nil when the campaign was
	// interrupted before it ended: File then holds the case unshrunk).
	Shrunk *Shrunk `json:"shrunk,omitempty"`
	// File is the scenario file, relative to the report folder.
	File string `json:"file"`
}

// GrowthPoint is the coverage after the first Cases cases (index order):
// distinct rule ids, action types, fault kinds and accepted findings
// absorbed, and distinct failure signatures.
type GrowthPoint struct {
	Cases      int `json:"cases"`
	Rules      int `json:"rules"`
	Actions    int `json:"actions"`
	Faults     int `json:"faults"`
	Findings   int `json:"findings"`
	Signatures int `json:"signatures"`
}

func (r *Report) firstCase(sig string) (int, bool) {
	i, ok := r.firsts[sig]
	return i, ok
}

func (r *Report) setFirst(sig string, i int) {
	if r.firsts == nil {
		r.firsts = map[string]int{}
	}
	r.firsts[sig] = i
}

// finish orders the cases and derives the signatures and the growth.
func (r *Report) finish() {
	sortCases(r.CaseResults)
	bySig := map[string]*SignatureEntry{}
	for _, c := range r.CaseResults {
		inCase := map[string]bool{}
		for _, f := range c.Failures {
			if inCase[f.Signature] {
				continue // the same signature twice in one case
			}
			inCase[f.Signature] = true
			e, ok := bySig[f.Signature]
			if !ok {
				e = &SignatureEntry{Signature: f.Signature, Property: f.Property, Rule: f.Rule, Entity: f.Entity,
					FirstCase: c.Index, Example: f.Violation, FirstFoundAt: c.FoundAt}
				bySig[f.Signature] = e
			}
			e.Cases++
			e.FirstFoundAt = min(e.FirstFoundAt, c.FoundAt)
		}
	}
	r.Signatures = nil
	for _, sig := range slices.Sorted(maps.Keys(bySig)) {
		e := bySig[sig]
		if s := r.shrunk[sig]; s != nil && s.Index == e.FirstCase {
			e.Shrunk = s
		}
		r.Signatures = append(r.Signatures, *e)
	}
	slices.SortStableFunc(r.Signatures, func(a, b SignatureEntry) int { return a.FirstCase - b.FirstCase })
	for i := range r.Signatures {
		r.Signatures[i].File = fmt.Sprintf("failures/%02d-%s.yaml", i+1, reports.Slug(r.Signatures[i].Signature))
	}
	r.Growth = growth(r.CaseResults)
}

// growth is the coverage after each case, in index order.
func growth(cs []CaseResult) []GrowthPoint {
	seen := map[string]bool{}
	sigs := map[string]bool{}
	var g GrowthPoint
	var out []GrowthPoint
	for _, c := range cs {
		for _, k := range c.Coverage {
			if seen[k] {
				continue
			}
			seen[k] = true
			switch {
			case strings.HasPrefix(k, KeyRule):
				g.Rules++
			case strings.HasPrefix(k, KeyAction):
				g.Actions++
			case strings.HasPrefix(k, KeyFault):
				g.Faults++
			case strings.HasPrefix(k, KeyFinding):
				g.Findings++
			}
		}
		for _, f := range c.Failures {
			sigs[f.Signature] = true
		}
		g.Cases++
		g.Signatures = len(sigs)
		out = append(out, g)
	}
	return out
}

// Totals are a report's sums.
type Totals struct {
	Cases, Failing, Errors int
	// CaseCPU is the cases' CPU time; CPU adds the shrinks'.
	CaseCPU, CPU time.Duration
	// PerCase is CaseCPU per case; BugsPerCPUHour is signatures per hour
	// of CPU (cases and shrinks).
	PerCase        time.Duration
	BugsPerCPUHour float64
	// Compared and Differed sum the cases' reconcile passes compared with
	// a gastown checkout's and those that differed (--gastown); Steps and
	// StepsDiffered their events and action steps.
	Compared, Differed   int
	Steps, StepsDiffered int
}

// Totals sums the report.
func (r *Report) Totals() Totals {
	var t Totals
	for _, c := range r.CaseResults {
		t.Cases++
		t.CaseCPU += c.CPU
		if len(c.Failures) > 0 {
			t.Failing++
		}
		if c.Error != "" {
			t.Errors++
		}
		if c.Gastown != nil {
			t.Compared += c.Gastown.Compared
			t.Differed += c.Gastown.Differed
			t.Steps += c.Gastown.Steps
			t.StepsDiffered += c.Gastown.StepsDiffered
		}
	}
	t.CPU = t.CaseCPU + r.ShrinkCPU
	if t.Cases > 0 {
		t.PerCase = t.CaseCPU / time.Duration(t.Cases)
	}
	if t.CPU > 0 {
		t.BugsPerCPUHour = float64(len(r.Signatures)) / t.CPU.Hours()
	}
	return t
}

// Canonical is the report without what depends on the machine or the
// order in which workers finished (times, CPU, jobs, shards): two runs of
// the same cases, on one machine or merged from shards, have equal
// canonical forms.
func (r *Report) Canonical() ([]byte, error) {
	c := struct {
		Campaign   scenarios.Campaign
		Cases      []CaseResult
		Signatures []SignatureEntry
		Growth     []GrowthPoint
	}{Campaign: r.Campaign, Growth: r.Growth}
	for _, cr := range r.CaseResults {
		cr.CPU, cr.Wall, cr.FoundAt = 0, 0, 0
		c.Cases = append(c.Cases, cr)
	}
	for _, s := range r.Signatures {
		s.FirstFoundAt = 0
		c.Signatures = append(c.Signatures, s)
	}
	return json.MarshalIndent(c, "", " ")
}
