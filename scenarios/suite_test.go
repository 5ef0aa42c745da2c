package scenarios

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// suiteCoverage merges the coverage of every Check the package's tests
// run, so that a test run says what it never exercised.
type suiteCoverage struct {
	mu       sync.Mutex
	cov      Coverage
	accepted map[string]int
}

var suite = &suiteCoverage{accepted: map[string]int{}}

func (s *suiteCoverage) add(rep *Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cov.Merge(rep.Coverage)
	for k, n := range rep.Accepted {
		s.accepted[k] += n
	}
}

// print writes the suite's coverage: the rule ids, action types and fault
// kinds that never fired, and the accepted findings seen.
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
	fmt.Fprintf(w, "  accepted production findings seen: %v\n", s.accepted)
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
