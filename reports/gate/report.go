package gate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
)

// Add appends a scenario's judgement to the report.
func (r *Report) Add(s ScenarioReport) {
	r.Scenarios = append(r.Scenarios, s)
	r.Failed = r.Failed || s.Failed
	r.Undecided = r.Undecided || s.Undecided
}

// Outcome is the gate's outcome: "FAIL" when a figure failed, else
// "UNDECIDED" when one could not be judged, else "PASS".
func (r *Report) Outcome() string {
	switch {
	case r.Failed:
		return "FAIL"
	case r.Undecided:
		return "UNDECIDED"
	}
	return "PASS"
}

// ExitStatus is the gate's exit status for the report: 0 PASS, 1 FAIL,
// ExitUndecided UNDECIDED.
func (r *Report) ExitStatus() int {
	switch r.Outcome() {
	case "FAIL":
		return 1
	case "UNDECIDED":
		return ExitUndecided
	}
	return 0
}

// ExitUndecided is the exit status of an UNDECIDED gate: distinct from
// PASS (0), FAIL (1), bad input (2) and an interrupt (130).
const ExitUndecided = 3

// UndecidedFigures lists the figures that could not be judged.
func (r *Report) UndecidedFigures() []string {
	var out []string
	for _, s := range r.Scenarios {
		for _, row := range s.Rows {
			if row.Verdict == VerdictUndecided {
				out = append(out, s.Name+": "+row.Figure)
			}
		}
	}
	return out
}

// Broken lists the figures that failed, as "scenario: figure (verdict)".
func (r *Report) Broken() []string {
	var out []string
	for _, s := range r.Scenarios {
		for _, row := range s.Rows {
			if row.Fail {
				out = append(out, fmt.Sprintf("%s: %s (%s)", s.Name, row.Figure, row.Verdict))
			}
		}
	}
	return out
}

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes every figure as a table (scenario, figure, baseline,
// now, delta, limit, verdict), then for each scenario whose statements
// per tick regressed the parts of the tick whose statements rose, then
// one line with the outcome.
func (r *Report) WriteTable(w io.Writer) error {
	t := tablewriter.NewWriter(w)
	t.Header("scenario", "figure", "baseline", "now", "delta", "limit", "verdict")
	for _, s := range r.Scenarios {
		for _, row := range s.Rows {
			if err := t.Append(s.Name, row.Figure, row.Baseline, row.Now, row.Delta, row.Limit, string(row.Verdict)); err != nil {
				return err
			}
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, s := range r.Scenarios {
		if len(s.StatementsRoseIn) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: statements per tick rose in these parts of the tick:\n", s.Name)
		pt := tablewriter.NewWriter(w)
		pt.Header("part", "baseline per tick", "now per tick", "delta")
		for _, p := range s.StatementsRoseIn {
			if err := pt.Append(p.Part, num(p.Baseline), num(p.Now), fmt.Sprintf("+%s (%s)", num(p.Now-p.Baseline), pct(p.Baseline, p.Now))); err != nil {
				return err
			}
		}
		if err := pt.Render(); err != nil {
			return err
		}
	}
	if r.AgainstNote != "" {
		fmt.Fprintf(w, "\n%s\n", r.AgainstNote)
	}
	if broken := r.Broken(); len(broken) > 0 {
		if _, err := fmt.Fprintf(w, "\ngate: FAIL, %d figure(s) broke their budget: %s\n", len(broken), strings.Join(broken, "; ")); err != nil {
			return err
		}
		if r.UpdateCommand != "" {
			_, err := fmt.Fprintf(w, "if the change is intended, accept it as the new baseline with: %s\n", r.UpdateCommand)
			return err
		}
		return nil
	}
	if und := r.UndecidedFigures(); len(und) > 0 {
		_, err := fmt.Fprintf(w, "\ngate: UNDECIDED, %d figure(s) had too few runs to judge: %s\n"+
			"run more (--runs N, --pairs N), or set require_verdict: true in the budgets file to make this a failure\n",
			len(und), strings.Join(und, "; "))
		return err
	}
	n, improved := 0, 0
	for _, s := range r.Scenarios {
		n += len(s.Rows)
		for _, row := range s.Rows {
			if row.Verdict == VerdictImproved {
				improved++
			}
		}
	}
	if _, err := fmt.Fprintf(w, "\ngate: PASS, all %d figures hold\n", n); err != nil {
		return err
	}
	if improved > 0 && r.UpdateCommand != "" {
		_, err := fmt.Fprintf(w, "%d figure(s) improved; lock the gain in with: %s\n", improved, r.UpdateCommand)
		return err
	}
	return nil
}

// LimitsBroken lists the figures that broke an absolute limit (a ceiling
// or a floor) or were not deterministic: what a new baseline cannot
// accept.
func (r *Report) LimitsBroken() []string {
	var out []string
	for _, s := range r.Scenarios {
		for _, row := range s.Rows {
			v := string(row.Verdict)
			if strings.Contains(v, string(VerdictOverCeiling)) || strings.Contains(v, string(VerdictUnderFloor)) || strings.Contains(v, string(VerdictNondeterministic)) {
				out = append(out, fmt.Sprintf("%s: %s (%s)", s.Name, row.Figure, row.Verdict))
			}
		}
	}
	return out
}
