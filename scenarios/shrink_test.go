package scenarios

import (
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/townsim/townsim/model"
)

// capturingTB is a rapid.TB that keeps a property run's failure instead
// of failing the test, so a test can assert on what rapid found and how
// far it shrank it.
type capturingTB struct {
	*testing.T
	mu     sync.Mutex
	failed bool
	msg    string
}

func (c *capturingTB) Errorf(format string, args ...any) { c.fail(fmt.Sprintf(format, args...)) }
func (c *capturingTB) Error(args ...any)                 { c.fail(fmt.Sprint(args...)) }
func (c *capturingTB) Fatalf(format string, args ...any) { c.fail(fmt.Sprintf(format, args...)) }
func (c *capturingTB) Fatal(args ...any)                 { c.fail(fmt.Sprint(args...)) }
func (c *capturingTB) FailNow()                          { c.fail("FailNow") }
func (c *capturingTB) Fail()                             { c.fail("Fail") }
func (c *capturingTB) Failed() bool                      { c.mu.Lock(); defer c.mu.Unlock(); return c.failed }
func (c *capturingTB) fail(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed, c.msg = true, msg
}

// mutantFaults are the fault kinds a mutant needs to show (a retry storm
// needs failing starts).
var mutantFaults = map[string]map[string]float64{
	model.MutantSkipCooldown: {"start_error": 100},
}

// findFailure runs rapid with a mutant until a case fails, lets rapid
// shrink it, and returns the smallest failing case and its report. It
// fails the test when no case fails.
func findFailure(t *testing.T, mutant string) (Generated, *Report) {
	t.Helper()
	for _, f := range []struct{ name, value string }{{"rapid.nofailfile", "true"}, {"rapid.checks", "40"}} {
		old := flag.Lookup(f.name).Value.String()
		flag.Set(f.name, f.value)
		defer flag.Set(f.name, old)
	}
	var last Generated
	var lastRep *Report
	tb := &capturingTB{T: t}
	rapid.Check(tb, func(rt *rapid.T) {
		g := GenScenarioFor(20*time.Minute).Draw(rt, "scenario")
		g.Config.Mutant = mutant
		for k, r := range mutantFaults[mutant] {
			g.Config.Faults.Rates[k] = r
		}
		rep, err := Check(g.Config, g.Bounds, CheckOptions{StopOnFailure: true})
		if err != nil {
			rt.Fatal(err)
		}
		if rep.Failed() {
			last, lastRep = g, rep
			rt.Fatalf("%v", rep.Failures[0])
		}
	})
	if !tb.Failed() || lastRep == nil {
		t.Fatalf("mutant %s: no failing case in 40 drawn scenarios", mutant)
	}
	return last, lastRep
}
