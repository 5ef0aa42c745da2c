package scenarios

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
)

// suiteCoverage merges the coverage of every Check the package's tests
// run, so that a test run says what it never exercised, what the accepted
// findings and the loosened bounds absorbed, and which properties could
// not be judged in which scenario.
type suiteCoverage struct {
	mu        sync.Mutex
	cov       Coverage
	accepted  map[string]int
	loosened  map[string]int
	unjudged  map[string][]string // scenario → properties not judged in its runs
	peaks     map[string]float64
	scenarios []string
}

var suite = &suiteCoverage{accepted: map[string]int{}, loosened: map[string]int{},
	unjudged: map[string][]string{}, peaks: map[string]float64{}}

func (s *suiteCoverage) add(rep *Report) { s.addNamed("", rep) }

// addNamed adds a run of the named scenario ("" for a drawn one).
func (s *suiteCoverage) addNamed(name string, rep *Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cov.Merge(rep.Coverage)
	for k, n := range rep.Accepted {
		s.accepted[k] += n
	}
	for k, n := range rep.Loosened {
		s.loosened[k] += n
	}
	for k, v := range rep.Peaks {
		s.peaks[k] = max(s.peaks[k], v)
	}
	if name == "" {
		return
	}
	if _, ok := s.unjudged[name]; !ok {
		s.scenarios = append(s.scenarios, name)
	}
	s.unjudged[name] = slices.Sorted(maps.Keys(rep.Unjudged))
}

// print writes the suite's coverage: the rule ids, action types and fault
// kinds that never fired, the violations the accepted findings and the
// loosened bounds absorbed, the bound properties' peaks, and per named
// scenario the properties its run could not judge.
func (s *suiteCoverage) print(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cov.Runs == 0 {
		return
	}
	fmt.Fprintf(w, "coverage over %d checked runs:\n", s.cov.Runs)
	fmt.Fprintf(w, "  rule ids never fired: %s\n", list(s.cov.NeverRules()))
	fmt.Fprintf(w, "  action types never emitted: %s\n", list(s.cov.NeverActions()))
	fmt.Fprintf(w, "  rare branches never run: %s\n", list(s.cov.NeverSometimes()))
	fmt.Fprintf(w, "  fault kinds never fired: %s\n", list(s.cov.NeverFaults()))
	fmt.Fprintf(w, "  violations absorbed by accepted findings: %s\n", counts(s.accepted))
	fmt.Fprintf(w, "  violations absorbed by loosened expect bounds: %s\n", counts(s.loosened))
	fmt.Fprintf(w, "  peaks of the bound properties: %s\n", peaks(s.peaks))
	if len(s.scenarios) > 0 {
		fmt.Fprintf(w, "  properties not judged, by scenario run (deadline outside the run or behaviour never reached):\n")
		for _, n := range slices.Sorted(slices.Values(s.scenarios)) {
			fmt.Fprintf(w, "    %s: %s\n", n, list(s.unjudged[n]))
		}
	}
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func counts(m map[string]int) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return list(out)
}

func peaks(m map[string]float64) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, fmt.Sprintf("%s=%.3g", k, m[k]))
	}
	return list(out)
}
