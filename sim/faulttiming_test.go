package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/des"
)

// A kind's timing names its delay; Unlikely flags a delay longer than the
// run or than a polecat's job, and a per-hour rate expected under once.
func TestFaultTimingAndUnlikely(t *testing.T) {
	c := DefaultConfig()
	c.Duration = 15 * time.Minute
	crashed, _ := LookupFaultKind(faultCrashed)
	if tm := crashed.Timing(c); !strings.Contains(tm, "exp(mean=1h0m0s)") {
		t.Errorf("crashed timing %q lacks its after dist", tm)
	}
	if why := crashed.Unlikely(c, 0.5); !strings.Contains(why, "longer than the run") {
		t.Errorf("crashed in 15m: %q", why)
	}
	c.Duration = 3 * time.Hour
	if why := crashed.Unlikely(c, 0.5); !strings.Contains(why, "outlives a polecat's job") {
		t.Errorf("crashed in 3h: %q", why)
	}
	c.Containers.Crashed.After = des0(time.Minute)
	if why := crashed.Unlikely(c, 0.5); why != "" {
		t.Errorf("crashed after 1m: %q, want none", why)
	}
	mayor, _ := LookupFaultKind(FaultMayorDeath)
	if why := mayor.Unlikely(c, 0.1); !strings.Contains(why, "expected 0.3 times") {
		t.Errorf("mayor_death at 0.1/h for 3h: %q", why)
	}
	if why := mayor.Unlikely(c, 1); why != "" {
		t.Errorf("mayor_death at 1/h for 3h: %q", why)
	}
	for _, k := range FaultKinds() {
		if k.Timing(c) == "" {
			t.Errorf("%s has no timing", k.Name)
		}
	}
}

// FaultFree turns every kind off: a swarm, rates and section weights.
func TestFaultFree(t *testing.T) {
	c := DefaultConfig()
	c.Faults = FaultConfig{Swarm: true, Rates: map[string]float64{FaultHeartbeatLost: 0.3}}
	c.Containers.Crashed.Weight = 0.2
	c.GitHub.Errors.ServerError = 0.1
	if !c.MayFault() {
		t.Fatal("a faulty config says it may not fault")
	}
	f := c.FaultFree()
	if f.MayFault() || f.Containers.Crashed.Weight != 0 || f.GitHub.Errors.ServerError != 0 {
		t.Errorf("FaultFree left faults on: %+v", f.Faults)
	}
	if c.Containers.Crashed.Weight != 0.2 {
		t.Error("FaultFree changed its receiver")
	}
}

func des0(d time.Duration) des.Dist { return des.Const(d) }
