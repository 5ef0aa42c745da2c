package sim

import (
	"fmt"
	"time"

	"github.com/townsim/townsim/des"
)

// Timing says when a fault of kind k strikes under config c: the delay
// or occasion that triggers it and, where it lasts, for how long. A
// process stage, for example, strikes only after its After delay, and
// only if the process is still running then.
func (k FaultKind) Timing(c Config) string {
	switch k.Name {
	case faultExited, faultCrashed, faultOOMKilled, faultUnresponsive, faultEvicted, faultStuck:
		st := stageOf(&c.Containers, k.Name)
		after := st.After.String()
		if st.After.Kind == "" {
			after = des.Exp(30*time.Minute).String() + " (set when the kind is turned on)"
		}
		s := "after " + after + " of running (drawn at the process start; only if it still runs then)"
		switch k.Name {
		case faultUnresponsive:
			s += "; hangs for " + c.Containers.UnresponsiveFor.String()
		case faultEvicted:
			s += "; processes end after " + c.Containers.EvictionGrace.String()
		}
		return s
	case FaultLateDone:
		return "gt_done arrives uniform(1m,10m) late"
	case FaultClockStep:
		return "the alarm fires uniform(30s,10m) late"
	case FaultMergeTimeout:
		return "at a merge call; the call lasts 30s"
	case "start_timeout":
		return "at a start call; the call lasts 60s"
	case FaultContainerRestart, FaultTownRestart, FaultMayorDeath:
		return "Poisson in simulated time: mean gap 1h / rate"
	}
	switch k.Side {
	case SideCode:
		return "at once, when evaluated"
	}
	return "at once, at the " + unitOccasion(k.Unit)
}

// unitOccasion is the occasion of a per-occasion rate unit ("heartbeat").
func unitOccasion(unit string) string {
	switch unit {
	case unitStage:
		return "process start"
	case unitStart:
		return "start call"
	case unitAPI:
		return "GitHub status or feedback call"
	}
	if len(unit) > len(unitProb) && unit[:len(unitProb)] == unitProb {
		return unit[len(unitProb):]
	}
	return "occasion"
}

// stageOf is the Stage of a process-stage fault kind.
func stageOf(cc *ContainerConfig, name string) Stage {
	switch name {
	case faultExited:
		return cc.Exited
	case faultCrashed:
		return cc.Crashed
	case faultOOMKilled:
		return cc.OOMKilled
	case faultUnresponsive:
		return cc.Unresponsive
	case faultEvicted:
		return cc.Evicted
	}
	return cc.Stuck
}

// Unlikely says why kind k at rate is unlikely to fire in a run of config
// c, or "" when nothing in its timing stands in the way: a process stage
// whose mean delay outlives a polecat's typical job (most processes end
// first) or the run itself, or a per-hour kind expected less than once in
// the run.
func (k FaultKind) Unlikely(c Config, rate float64) string {
	switch k.Name {
	case faultExited, faultCrashed, faultOOMKilled, faultUnresponsive, faultEvicted, faultStuck:
		st := stageOf(&c.Containers, k.Name)
		after := st.After
		if after.Kind == "" {
			after = des.Exp(30 * time.Minute)
		}
		m := after.Average()
		job := c.Work.Polecat.Average()
		switch {
		case m > c.Duration:
			return fmt.Sprintf("its delay (after: %s, mean %s) is longer than the run (%s): few processes live that long",
				after, roundDur(m), roundDur(c.Duration))
		case job > 0 && m > job:
			return fmt.Sprintf("its delay (after: %s, mean %s) outlives a polecat's job (mean %s): most processes end before it strikes",
				after, roundDur(m), roundDur(job))
		}
	case FaultContainerRestart, FaultTownRestart, FaultMayorDeath:
		if n := rate * c.Duration.Hours(); n < 1 {
			return fmt.Sprintf("expected %.2g times in a run of %s at %.3g per hour", n, roundDur(c.Duration), rate)
		}
	}
	return ""
}

// roundDur prints d to the second, without zero trailing units (1h, 15m).
func roundDur(d time.Duration) string {
	if d >= time.Second {
		d = d.Round(time.Second)
	}
	s := d.String()
	for _, z := range []string{"0s", "0m"} {
		if len(s) > len(z) && s[len(s)-len(z):] == z && (s[len(s)-len(z)-1] < '0' || s[len(s)-len(z)-1] > '9') {
			s = s[:len(s)-len(z)]
		}
	}
	return s
}

// FaultFree is c with every fault kind off (the config sections' fault
// weights, FaultConfig's rates and swarm): the same town, seed and
// workload without faults, the baseline a faulty run's recovery is judged
// against. A kind that is off draws nothing, so the workload is the same.
func (c Config) FaultFree() Config {
	c.Faults = FaultConfig{}
	for _, k := range faultKinds {
		if k.set != nil {
			k.set(&c, 0)
		}
	}
	return c
}

// MayFault reports whether a run of c may have a fault kind on: a rate in
// FaultConfig or in the config sections, or a swarm.
func (c Config) MayFault() bool {
	if c.Faults.Swarm {
		return true
	}
	for _, r := range c.Faults.Rates {
		if r > 0 {
			return true
		}
	}
	for _, k := range faultKinds {
		if k.get != nil && k.get(&c) > 0 {
			return true
		}
	}
	return false
}
