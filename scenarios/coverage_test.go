package scenarios

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/townsim/townsim/model/reconciler"
)

// uncovered lists what a whole run of the package's tests may never fire,
// each with its reason: a rule id ("rule"), an action type ("action") or a
// rare branch ("sometimes"). Anything else that never fires fails the
// suite; an entry here that does fire fails it too, so the list stays
// true.
var uncovered = []struct{ kind, id, reason string }{
	// Unreachable by production's own writes.
	{"action", "assign_bead", "no rule emits it: only the action schema and the executor know it " +
		"(reconciler.md §3.1 table, rules '—'; production actions.ts:39 schema, :481 executor, no emitter in reconciler.ts)"},
	{"action", "create_mr_bead", "no rule emits it (reconciler.md §3.1, rules '—'; actions.ts:50, :529 only); " +
		"merge requests come from agentDone's submitToReviewQueue"},
	{"action", "close_sibling_mrs", "no rule emits it (reconciler.md §3.1, rules '—'; actions.ts:69, :568 only); " +
		"a merge closes the siblings directly in completeReviewWithResult"},
	{"action", "set_review_pr_url", "no rule emits it (reconciler.md §3.1, rules '—'; actions.ts:75, :599 only)"},
	{"rule", "RQ-4", "polling bumps the merge request's updated_at every minute while it is in_progress with a PR " +
		"(reconciler.md §2.3 note), so RQ-4 needs 30 min without a reconcile pass, which no simulated fault causes"},
}

// coverageVerdict judges the suite's coverage after a whole run of the
// package's tests (no -run filter): what never fired and is not in
// uncovered, and what is in uncovered but fired.
func (s *suiteCoverage) coverageVerdict() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cov.Runs == 0 {
		return nil
	}
	var bad []string
	never := map[string][]string{"rule": s.cov.NeverRules(), "action": s.cov.NeverActions(), "sometimes": s.cov.NeverSometimes()}
	excused := map[string]bool{}
	for _, u := range uncovered {
		excused[u.kind+" "+u.id] = true
		if !slices.Contains(never[u.kind], u.id) {
			bad = append(bad, fmt.Sprintf("%s %s fired but is listed as never firing (%s)", u.kind, u.id, u.reason))
		}
	}
	for _, kind := range []string{"rule", "action", "sometimes"} {
		for _, id := range never[kind] {
			if !excused[kind+" "+id] {
				bad = append(bad, fmt.Sprintf("%s %s never fired in the suite", kind, id))
			}
		}
	}
	return bad
}

// wholeSuite reports whether this test binary runs every test (no -run).
func wholeSuite() bool {
	f := flag.Lookup("test.run")
	return f == nil || f.Value.String() == ""
}

// judgeCoverage prints the coverage verdict of a whole run and returns the
// exit code: code, or 1 when the coverage fails.
func judgeCoverage(w io.Writer, code int) int {
	if !wholeSuite() {
		return code
	}
	bad := suite.coverageVerdict()
	if len(bad) == 0 {
		fmt.Fprintf(w, "coverage: every rule id, action type and rare branch fired, but the %d listed as unreachable or not simulated\n", len(uncovered))
		return code
	}
	fmt.Fprintf(w, "FAIL coverage:\n  %s\n", strings.Join(bad, "\n  "))
	return 1
}

// The verdict fails what never fired unless listed, and what is listed
// but fired; a run with everything fired but the listed passes.
func TestCoverageVerdict(t *testing.T) {
	listed := map[string]bool{}
	for _, u := range uncovered {
		listed[u.kind+" "+u.id] = true
	}
	all := func() *suiteCoverage {
		s := &suiteCoverage{cov: newCoverage(), accepted: map[string]int{}}
		s.cov.Runs = 1
		for _, r := range reconciler.RuleIDs {
			if !listed["rule "+r] {
				s.cov.Rules[r] = 1
			}
		}
		for _, a := range reconciler.ActionTypes {
			if !listed["action "+a] {
				s.cov.Actions[a] = 1
			}
		}
		for _, b := range SometimesBranches {
			if !listed["sometimes "+b] {
				s.cov.Sometimes[b] = 1
			}
		}
		return s
	}
	if bad := all().coverageVerdict(); len(bad) != 0 {
		t.Errorf("everything but the listed fired: %v", bad)
	}
	s := all()
	s.cov.Rules["GUPP-warn"] = 0
	s.cov.Actions["assign_bead"] = 1
	bad := s.coverageVerdict()
	if len(bad) != 2 || !strings.Contains(strings.Join(bad, "\n"), "rule GUPP-warn never fired") ||
		!strings.Contains(strings.Join(bad, "\n"), "action assign_bead fired but is listed") {
		t.Errorf("verdict = %q; want GUPP-warn never fired and assign_bead fired though listed", bad)
	}
	for _, u := range uncovered {
		if u.reason == "" {
			t.Errorf("%s %s is listed without a reason", u.kind, u.id)
		}
	}
}
