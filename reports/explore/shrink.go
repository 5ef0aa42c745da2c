package explore

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// DefaultShrinkRuns bounds the runs one shrink makes (each is one run of
// a candidate town) when the campaign gives no bound.
const DefaultShrinkRuns = 30

// Shrunk is a failure's smallest reproduction the shrink found.
type Shrunk struct {
	// Signature is the failure's signature; Index the case it came from.
	Signature string `json:"signature"`
	Index     int    `json:"case"`
	// YAML is the scenario file that reproduces it.
	YAML string `json:"yaml"`
	// Violation is the failure as the shrunk run shows it.
	Violation string `json:"violation"`
	// Rigs, Agents, Faults (the kinds on) and Duration describe the
	// shrunk town; Runs is how many runs the shrink made, Steps how many
	// candidates it kept.
	Rigs     int           `json:"rigs"`
	Agents   int           `json:"agents"`
	Faults   []string      `json:"faults"`
	Duration time.Duration `json:"duration_ns"`
	Runs     int           `json:"runs"`
	Steps    int           `json:"steps"`
	// Replays says the YAML, loaded back and checked as `townsim replay
	// --scenario FILE` does, shows the signature again.
	Replays bool `json:"replays"`
}

// shrinker runs candidates of one case for one signature.
type shrinker struct {
	sig    string
	g      *Gastown
	bounds scenarios.Bounds
	det    bool
	runs   int
	max    int
	last   *scenarios.Report
}

// holds runs cfg and reports whether the signature shows.
func (s *shrinker) holds(cfg sim.Config) bool {
	if s.runs >= s.max || cfg.Validate() != nil {
		return false
	}
	s.runs++
	rep, _, err := s.g.check(cfg, s.bounds, s.det, "")
	if err != nil || !hasSignature(rep, s.sig) {
		return false
	}
	s.last = rep
	return true
}

func hasSignature(rep *scenarios.Report, sig string) bool {
	return slices.ContainsFunc(rep.Failures, func(v scenarios.Violation) bool { return Signature(v) == sig })
}

// Shrink reduces case i of c while the failure of signature sig still
// shows: it makes the swarm's draw explicit, then tries, greedily and in
// a fixed order, to switch every fault off, to halve and then decrement
// agents, to drop rigs, to end the run soon after the failure, to switch
// the faults off by halves down to one kind at a time, and to thin the
// workload; every candidate that keeps the signature is kept. It is deterministic: the same case and signature shrink to the
// same scenario on any machine. It makes at most maxRuns runs (0 =
// DefaultShrinkRuns).
func Shrink(c scenarios.Campaign, i int, sig string, maxRuns int) (Shrunk, error) {
	return ShrinkWith(c, i, sig, maxRuns, nil)
}

// ShrinkWith shrinks as Shrink does, every run beside the gastown
// checkout g when g is not nil (as the campaign ran the case).
func ShrinkWith(c scenarios.Campaign, i int, sig string, maxRuns int, g *Gastown) (Shrunk, error) {
	if maxRuns <= 0 {
		maxRuns = DefaultShrinkRuns
	}
	k, err := c.Case(i)
	if err != nil {
		return Shrunk{}, err
	}
	s := &shrinker{sig: sig, g: g, bounds: k.Bounds, det: strings.HasPrefix(sig, scenarios.PropDeterminism), max: maxRuns}
	cfg := k.Config
	if !s.holds(cfg) {
		return Shrunk{}, fmt.Errorf("case %d does not show %q when run again", i, sig)
	}
	steps := 0
	try := func(cand sim.Config) bool {
		if s.holds(cand) {
			cfg = cand
			steps++
			return true
		}
		return false
	}
	if cfg.Faults.Swarm {
		cand := clone(cfg)
		cand.Faults.Swarm = false
		for kind, r := range s.last.Result.Faults.Mix {
			if _, set := cand.Faults.Rates[kind]; !set {
				cand.Faults.Rates[kind] = r
			}
		}
		try(cand)
	}
	// Each pass tries the reductions that shrink a run most first (and
	// make the later candidates cheaper to run): every fault off, fewer
	// agents and rigs, an earlier end; then the faults in halves,
	// quarters, ... down to one kind at a time; then a thinner workload.
	for changed := true; changed && s.runs < s.max; {
		changed = false
		if on := s.last.Result.Faults.Mix.Kinds(); len(on) > 0 {
			changed = try(faultsOff(cfg, on)) || changed
		}
		for _, n := range []int{cfg.Agents / 2, cfg.Agents - 1} {
			if n >= 1 && n < cfg.Agents {
				cand := clone(cfg)
				cand.Agents = n
				if try(cand) {
					changed = true
					break
				}
			}
		}
		if cfg.Rigs > 1 {
			cand := clone(cfg)
			cand.Rigs--
			changed = try(cand) || changed
		}
		if at := firstAt(s.last, sig).Sub(cfg.Start); at > 0 {
			d := (at/(5*time.Minute) + 1) * 5 * time.Minute
			if d < cfg.Duration {
				cand := clone(cfg)
				cand.Duration = d
				changed = try(cand) || changed
			}
		}
		on := s.last.Result.Faults.Mix.Kinds()
		for size := len(on) / 2; size >= 1 && s.runs < s.max; size /= 2 {
			for lo := 0; lo < len(on); lo += size {
				chunk := on[lo:min(lo+size, len(on))]
				if !slices.ContainsFunc(chunk, func(k string) bool { return s.last.Result.Faults.Mix[k] > 0 }) {
					continue // switched off with an earlier chunk
				}
				changed = try(faultsOff(cfg, chunk)) || changed
			}
		}
		for _, thin := range []func(w *sim.WorkloadConfig) bool{
			func(w *sim.WorkloadConfig) bool { w.ConvoysPerHour, w.ReviewAndMerge, w.Staged = 0, 0, 0; return true },
			func(w *sim.WorkloadConfig) bool { w.HeldPerHour = 0; return true },
			func(w *sim.WorkloadConfig) bool { w.Cancel, w.CancelFailed = 0, 0; return true },
			func(w *sim.WorkloadConfig) bool { w.IssuesPerHour /= 2; return w.IssuesPerHour >= 1 },
		} {
			cand := clone(cfg)
			before := cand.Workload
			if thin(&cand.Workload) && cand.Workload != before {
				changed = try(cand) || changed
			}
		}
	}
	out := Shrunk{Signature: sig, Index: i, Rigs: cfg.Rigs, Agents: cfg.Agents, Duration: cfg.Duration,
		Runs: s.runs, Steps: steps, Faults: s.last.Result.Faults.Mix.Kinds()}
	for _, v := range s.last.Failures {
		if Signature(v) == sig {
			out.Violation = v.String()
			break
		}
	}
	sc := scenarios.Scenario{
		Name:    "explore-case-" + fmt.Sprint(i),
		Purpose: fmt.Sprintf("shrunk from case %d (%s) of an explore campaign: %s", i, k, sig),
		Config:  cfg,
		Expect:  scenarios.Expect{Bounds: k.Bounds},
	}
	data, err := sc.MarshalYAML()
	if err != nil {
		return Shrunk{}, err
	}
	out.YAML = string(data)
	out.Replays = replays(data, sig, g)
	return out, nil
}

// replays loads a scenario file's bytes and checks it as `townsim replay`
// does, reporting whether the signature shows.
func replays(data []byte, sig string, g *Gastown) bool {
	sc, err := scenarios.Load("shrunk.yaml", data)
	if err != nil {
		return false
	}
	rep, _, err := g.check(sc.Config, sc.Expect.Bounds, false, "")
	return err == nil && hasSignature(rep, sig)
}

// firstAt is the time of the first violation of signature sig.
func firstAt(rep *scenarios.Report, sig string) time.Time {
	for _, v := range rep.Failures {
		if Signature(v) == sig {
			return v.At
		}
	}
	return time.Time{}
}

// faultsOff is cfg with the fault kinds switched off (rate 0 overrides a
// weight of the config sections too).
func faultsOff(cfg sim.Config, kinds []string) sim.Config {
	cand := clone(cfg)
	for _, k := range kinds {
		cand.Faults.Rates[k] = 0
	}
	return cand
}

// clone copies a config deeply enough to change its fault rates.
func clone(c sim.Config) sim.Config {
	c.Faults.Rates = maps.Clone(c.Faults.Rates)
	if c.Faults.Rates == nil {
		c.Faults.Rates = map[string]float64{}
	}
	return c
}
