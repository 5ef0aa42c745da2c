package scenarios

import (
	"flag"
	"reflect"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/townsim/townsim/model"
)

// GeneratedCases draws exactly the cases TestProperties draws with the
// same -rapid.seed and -rapid.checks, so that `townsim check --rapid N
// --seed S` judges what `go test -rapid.checks=N -rapid.seed=S` judges.
func TestGeneratedCasesAreTestPropertiesCases(t *testing.T) {
	seed, err1 := strconv.ParseUint(flag.Lookup("rapid.seed").Value.String(), 10, 64)
	checks, err2 := strconv.Atoi(flag.Lookup("rapid.checks").Value.String())
	if err1 != nil || err2 != nil || seed == 0 {
		t.Skip("a random rapid seed: nothing to compare with")
	}
	var drawn []Generated
	rapid.Check(t, func(rt *rapid.T) { drawn = append(drawn, GenScenario().Draw(rt, "scenario")) })
	cases := GeneratedCases(checks, seed)
	if len(drawn) != checks || len(cases) != checks {
		t.Fatalf("rapid drew %d cases, GeneratedCases %d, want %d", len(drawn), len(cases), checks)
	}
	for i, g := range drawn {
		c := cases[i]
		if !reflect.DeepEqual(g.Config, c.Config) || !reflect.DeepEqual(g.Bounds, c.Bounds) || !c.Determinism {
			t.Errorf("case %d: rapid drew seed %d, %d agents; GeneratedCases seed %d, %d agents",
				i+1, g.Config.Seed, g.Config.Agents, c.Config.Seed, c.Config.Agents)
		}
	}
	if cases[0].Config.Seed == cases[1].Config.Seed {
		t.Errorf("two cases drew the same town seed %d", cases[0].Config.Seed)
	}
}

// RunCase judges a case and reports its first failure with entity and
// rule; a capped duration shortens the run; a panic is a failed case.
func TestRunCase(t *testing.T) {
	c, err := NamedCases([]string{"town-deleted"})
	if err != nil {
		t.Fatal(err)
	}
	full := RunCase(c[0], SuiteOptions{})
	r := RunCase(c[0], SuiteOptions{DurationCap: 10 * time.Minute})
	if !full.Passed || !r.Passed || r.Ticks == 0 || r.Ticks >= full.Ticks {
		t.Errorf("town-deleted: %+v; capped at 10m: %+v; want both to pass, the capped one in fewer ticks", full, r)
	}
	def, err := NamedCases([]string{"default"})
	if err != nil {
		t.Fatal(err)
	}
	broken := def[0]
	broken.Config.Mutant = model.MutantDoubleDispatch
	r = RunCase(broken, SuiteOptions{StopOnFailure: true, DurationCap: 30 * time.Minute})
	if r.Passed || r.Property != PropOneOwner || r.Entity == "" || r.Failures == 0 || r.Detail == "" {
		t.Errorf("default with %s: %+v, want %s failed on a bead", model.MutantDoubleDispatch, r, PropOneOwner)
	}
	bad := c[0]
	bad.Config.Rigs = -1 // an invalid config: the run errs
	r = RunCase(bad, SuiteOptions{})
	if r.Passed || r.Property != PropRunError || r.Error == "" {
		t.Errorf("an invalid case: %+v, want a failure %s with its error", r, PropRunError)
	}
}
