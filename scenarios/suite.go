package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/sim"
)

// SuiteCase is one case of the property suite `townsim check` runs: a
// named scenario at its own configuration and bounds, or a case drawn by
// the generator of TestProperties.
type SuiteCase struct {
	// Name is the scenario's name, or "rapid#I" for the I-th drawn case.
	Name string
	// Config is what runs; Bounds what it is judged against.
	Config sim.Config
	Bounds Bounds
	// Determinism also runs the case a second time and compares hashes
	// (TestProperties does it for every drawn case).
	Determinism bool
}

// NamedCases returns the named scenarios called names as suite cases, in
// the order given; nil, empty or ["all"] is every named scenario in
// listing order. An unknown or repeated name is an error.
func NamedCases(names []string) ([]SuiteCase, error) {
	if len(names) == 0 || (len(names) == 1 && names[0] == "all") {
		names = Names()
	}
	out := make([]SuiteCase, 0, len(names))
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return nil, fmt.Errorf("scenario %q is named twice", n)
		}
		s, err := ByName(n)
		if err != nil {
			return nil, err
		}
		out = append(out, SuiteCase{Name: s.Name, Config: s.Config, Bounds: s.Expect.Bounds})
	}
	return out, nil
}

// GeneratedCases returns the first n cases TestProperties draws when run
// with -rapid.seed=seed: rapid starts case I at seed+0+1+...+I, and
// Generator.Example with that seed draws the same scenario outside a test.
// Each is judged with a determinism run as TestProperties does.
func GeneratedCases(n int, seed uint64) []SuiteCase {
	out := make([]SuiteCase, 0, n)
	s := seed
	for i := range n {
		s += uint64(i)
		g := GenScenario().Example(int(s))
		out = append(out, SuiteCase{Name: fmt.Sprintf("rapid#%d", i+1), Config: g.Config, Bounds: g.Bounds, Determinism: true})
	}
	return out
}

// CaseResult is what one suite case showed: passed, or the first failing
// property with its entity and rule; and the accepted findings counted.
type CaseResult struct {
	// Case names the case (SuiteCase.Name).
	Case string `json:"case"`
	// Passed is true when no property failed and the run did not error.
	Passed bool `json:"passed"`
	// Property, Entity, Rule, Tick and Detail describe the first failure.
	Property string `json:"property,omitempty"`
	Entity   string `json:"entity,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Tick     int    `json:"tick,omitempty"`
	Detail   string `json:"detail,omitempty"`
	// Failures counts the failing violations (each property and entity once).
	Failures int `json:"failures"`
	// Accepted counts, by finding id, the violations accepted findings explained.
	Accepted map[string]int `json:"accepted,omitempty"`
	// Ticks and TraceHash describe the run.
	Ticks     int    `json:"ticks"`
	TraceHash string `json:"trace_hash,omitempty"`
	// Error is set when the run could not be made or panicked; the case
	// then failed with Property PropRunError.
	Error string `json:"error,omitempty"`
}

// PropRunError names a case that failed because its run returned an
// error or panicked (a broken port may do either).
const PropRunError = "run/error-or-panic"

// SuiteOptions choose how RunCase runs a case.
type SuiteOptions struct {
	// StopOnFailure ends a run at the simulated minute of its first
	// failure (CheckOptions.StopOnFailure): a failure is found fast.
	StopOnFailure bool
	// DurationCap, when positive, shortens every case to at most this
	// much simulated time (liveness deadlines past it are not judged).
	DurationCap time.Duration
}

// RunCase runs one case under every property and returns its result. A
// run that returns an error or panics is a failed case (PropRunError).
func RunCase(c SuiteCase, opts SuiteOptions) (res CaseResult) {
	res.Case = c.Name
	defer func() {
		if r := recover(); r != nil {
			res = CaseResult{Case: c.Name, Property: PropRunError, Failures: 1,
				Error: fmt.Sprintf("panic: %v", r)}
			res.Detail = firstLine(res.Error)
		}
	}()
	cfg := c.Config
	if opts.DurationCap > 0 && cfg.Duration > opts.DurationCap {
		cfg.Duration = opts.DurationCap
	}
	rep, err := Check(cfg, c.Bounds, CheckOptions{StopOnFailure: opts.StopOnFailure,
		Determinism: c.Determinism && !opts.StopOnFailure})
	if err != nil {
		return CaseResult{Case: c.Name, Property: PropRunError, Failures: 1, Error: err.Error(), Detail: firstLine(err.Error())}
	}
	return caseResult(c.Name, rep)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
