package sim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// FaultConfig chooses a run's faults. Rates name fault kinds (FaultKinds
// lists them) and their rates, each in its kind's unit; Swarm lets the
// seed draw a mix; Heal stops every fault at a time, so that recovery can
// be judged after it.
type FaultConfig struct {
	// Rates sets fault kinds' rates, by kind name. For the kinds that are
	// weights of ContainerConfig, WorkConfig or GitHubConfig, a rate here
	// replaces the weight in those sections.
	Rates map[string]float64 `yaml:"rates"`
	// Swarm draws, from the seed, which of the kinds that are still off
	// (rate 0 here and in the config sections) are on, each with
	// probability 1/2, and at which rate (log-uniform in its swarm range).
	Swarm bool `yaml:"swarm"`
	// Heal is the time after Start from which no fault fires (0 = never).
	Heal time.Duration `yaml:"heal"`
}

// Fault kind sides.
const (
	// SideCode is a failpoint inside the Town's own code (model).
	SideCode = "code"
	// SideWorld is a fault of the world around the Town.
	SideWorld = "world"
)

// FaultKind is one kind of fault a run can inject.
type FaultKind struct {
	// Name is the kind's name in --faults and FaultConfig.Rates.
	Name string
	// Side is SideCode or SideWorld.
	Side string
	// Unit says what the rate means.
	Unit string
	// Desc is a one-line description.
	Desc string
	// Source is the production code path the fault stands for.
	Source string
	// SwarmMin and SwarmMax bound the rate a swarm draws; a kind with
	// SwarmMax 0 is never drawn by a swarm (a targeted kind).
	SwarmMin, SwarmMax float64

	// get reads the rate a Config gives the kind; set writes it (nil for
	// the kinds whose rate lives in FaultConfig.Rates only).
	get func(c *Config) float64
	set func(c *Config, rate float64)
}

// The world fault kinds that are new with the fault layer (their rate is
// in FaultConfig.Rates only).
const (
	FaultHeartbeatLost      = "heartbeat_lost"
	FaultStatusUnknown      = "status_unknown"
	FaultDuplicateCompleted = "duplicate_completed"
	FaultLateDone           = "late_done"
	FaultStaleHeartbeat     = "stale_heartbeat"
	FaultClockStep          = "clock_step"
	FaultMergeTimeout       = "merge_timeout"
	FaultContainerRestart   = "container_restart"
	FaultMayorDeath         = "mayor_death"
	FaultTownRestart        = "town_restart"
	// FaultRefineryStartError and FaultSlingRestart are targeted kinds:
	// the swarm never draws them (SwarmMax 0), so adding them moved no
	// swarm draw.
	FaultRefineryStartError = "refinery_start_error"
	FaultSlingRestart       = "sling_restart"
	// FaultStopIgnored and FaultStopLost are targeted kinds too (SwarmMax 0).
	FaultStopIgnored = "stop_ignored"
	FaultStopLost    = "stop_lost"
)

const (
	unitStage   = "weight per process start, against healthy = 1"
	unitStart   = "weight per start call, against a normal answer = 1"
	unitAPI     = "weight per GitHub status or feedback call, against a normal answer = 1"
	unitProb    = "probability per "
	unitPerHour = "occurrences per simulated hour"
)

// stageKind is a process fault stage of ContainerConfig.
func stageKind(name, desc, source string, stage func(*ContainerConfig) *Stage) FaultKind {
	return FaultKind{Name: name, Side: SideWorld, Unit: unitStage, Desc: desc, Source: source,
		SwarmMin: 0.01, SwarmMax: 0.2,
		get: func(c *Config) float64 { return stage(&c.Containers).Weight },
		set: func(c *Config, r float64) {
			s := stage(&c.Containers)
			s.Weight = r
			if s.After.Kind == "" {
				s.After = des.Exp(30 * time.Minute)
			}
		}}
}

// weightKind is a weight field of the config.
func weightKind(name, unit, desc, source string, lo, hi float64, field func(*Config) *float64) FaultKind {
	return FaultKind{Name: name, Side: SideWorld, Unit: unit, Desc: desc, Source: source, SwarmMin: lo, SwarmMax: hi,
		get: func(c *Config) float64 { return *field(c) },
		set: func(c *Config, r float64) { *field(c) = r }}
}

// rateKind is a kind whose rate lives in FaultConfig.Rates only.
func rateKind(name, side, unit, desc, source string, lo, hi float64) FaultKind {
	return FaultKind{Name: name, Side: side, Unit: unit, Desc: desc, Source: source, SwarmMin: lo, SwarmMax: hi}
}

// codeKind is a failpoint of model.
func codeKind(point, desc, source string, lo, hi float64) FaultKind {
	return rateKind(point, SideCode, unitProb+"evaluation of the failpoint", desc, source, lo, hi)
}

var faultKinds = func() []FaultKind {
	ks := []FaultKind{
		// Code faults: model's failpoints (reconciler.md §1.3).
		codeKind(model.FPRigList, "the tick's rig list throws; the tick aborts and the platform retries it",
			"alarm handler, rig list (T2)", 0.001, 0.02),
		codeKind(model.FPUpkeep, "the container health check throws; logged, the tick goes on",
			"ensureContainerReady (T3a)", 0.005, 0.05),
		codeKind(model.FPObserve, "one agent's container status check throws; its status is not recorded",
			"per-agent status check (T4)", 0.005, 0.05),
		codeKind(model.FPConfigRead, "reading the town config throws: the tick aborts; RPCs that read it fail",
			"getTownConfig (T6 and RPCs)", 0.001, 0.01),
		codeKind(model.FPDrainRead, "the drain's read of pending events throws: nothing applied this tick",
			"drain of town_events (T7)", 0.005, 0.05),
		codeKind(model.FPEventApply, "one event's application throws half-way: its writes stay, the event stays pending",
			"applyEvent (T7)", 0.005, 0.05),
		codeKind(model.FPEventNotFound, "one event's application throws 'not found': the event is marked processed unapplied",
			"applyEvent, missing-entity errors (T7)", 0.005, 0.05),
		codeKind(model.FPReconcile, "the reconcile pass throws: no actions this tick",
			"reconcile() (T9)", 0.005, 0.05),
		codeKind(model.FPApplyAction, "one action throws half-way through its writes; its side effect is not queued",
			"applyAction (T9)", 0.005, 0.05),
		codeKind(model.FPSideEffect, "one deferred side effect rejects; counted as failed",
			"Phase 2 allSettled closures (T10)", 0.005, 0.05),
		codeKind(model.FPInvariants, "the invariant check throws; logged, no violations counted",
			"checkInvariants (T11)", 0.005, 0.05),
		codeKind(model.FPAfterWork, "the tick throws after its work; the platform retries it and it runs again",
			"hasActiveWork (T13), after reconcile and side effects", 0.005, 0.05),
		codeKind(model.FPHousekeeping, "one housekeeping task throws; logged",
			"housekeeping tasks (T15)", 0.005, 0.05),
		codeKind(model.FPKVWrite, "a write of the drain state to KV storage fails (tick abort or RPC error)",
			"ctx.storage.put of town:draining* (T8, heartbeat, eviction report)", 0.01, 0.2),

		// World faults that are weights of the config sections.
		stageKind(faultExited, "the agent's session ends without gt_done; the exit is reported",
			"container process exit, agent_completed", func(c *ContainerConfig) *Stage { return &c.Exited }),
		stageKind(faultCrashed, "the agent process crashes; nothing is reported; status says exited (crashed)",
			"container process crash", func(c *ContainerConfig) *Stage { return &c.Crashed }),
		stageKind(faultOOMKilled, "the agent process is OOM-killed and forgotten; status answers 404",
			"container OOM kill", func(c *ContainerConfig) *Stage { return &c.OOMKilled }),
		stageKind(faultUnresponsive, "the agent process hangs: no heartbeats, status calls time out",
			"hung process, status timeout (10 s)", func(c *ContainerConfig) *Stage { return &c.Unresponsive }),
		stageKind(faultEvicted, "the container gets SIGTERM: eviction report, drain, processes end",
			"recordContainerEviction, drain lifecycle", func(c *ContainerConfig) *Stage { return &c.Evicted }),
		stageKind(faultStuck, "the agent's session stops making progress while its process lives",
			"GUPP tiers (stalled SDK watermark)", func(c *ContainerConfig) *Stage { return &c.Stuck }),
		weightKind("start_error", unitStart, "a start call answers 503; nothing starts",
			"startAgentInContainer", 0.01, 0.2, func(c *Config) *float64 { return &c.Containers.Start.Error }),
		weightKind("start_already_running", unitStart, "a start call answers 500 'already running' from a racing start",
			"startAgentInContainer", 0.01, 0.1, func(c *Config) *float64 { return &c.Containers.Start.AlreadyRunning }),
		weightKind("start_timeout", unitStart, "a start call times out after 60 s; the process starts anyway",
			"startAgentInContainer (60 s timeout)", 0.01, 0.1, func(c *Config) *float64 { return &c.Containers.Start.Timeout }),
		weightKind("github_5xx", unitAPI, "GitHub answers 502", "checkPRStatus / checkPRFeedback",
			0.01, 0.3, func(c *Config) *float64 { return &c.GitHub.Errors.ServerError }),
		weightKind("github_429", unitAPI, "GitHub answers 429 (rate limited)", "checkPRStatus / checkPRFeedback",
			0.01, 0.3, func(c *Config) *float64 { return &c.GitHub.Errors.RateLimited }),
		weightKind("github_404", unitAPI, "GitHub answers 404 (the merge request fails at once)",
			"checkPRStatus", 0.001, 0.02, func(c *Config) *float64 { return &c.GitHub.Errors.NotFound }),
		weightKind("github_invalid", unitAPI, "GitHub answers a body that does not parse",
			"checkPRStatus", 0.01, 0.1, func(c *Config) *float64 { return &c.GitHub.Errors.Invalid }),
		weightKind("github_network", unitAPI, "the GitHub call throws (fetch failed)",
			"checkPRStatus", 0.01, 0.2, func(c *Config) *float64 { return &c.GitHub.Errors.Network }),
		weightKind("github_wrong_shape", unitAPI, "GitHub answers JSON of the wrong shape (schema_mismatch)",
			"checkPRStatus", 0.01, 0.1, func(c *Config) *float64 { return &c.GitHub.Errors.WrongShape }),
		weightKind("merge_fail", unitProb+"merge call", "a merge call fails although the PR is mergeable",
			"mergePR", 0.05, 0.5, func(c *Config) *float64 { return &c.GitHub.MergeFail }),

		// World faults of the fault layer.
		rateKind(FaultHeartbeatLost, SideWorld, unitProb+"heartbeat",
			"a heartbeat is lost on the way while the process keeps working", "touchAgentHeartbeat", 0.05, 0.5),
		rateKind(FaultStatusUnknown, SideWorld, unitProb+"container status call",
			"a status call answers 500, which the Town reads as unknown", "checkAgentContainerStatus", 0.01, 0.3),
		rateKind(FaultDuplicateCompleted, SideWorld, unitProb+"exit report",
			"the container reports an agent's exit twice", "agentCompleted RPC", 0.05, 0.5),
		rateKind(FaultLateDone, SideWorld, unitProb+"gt_done",
			"gt_done lands 1-10 min late, after the exit report and possibly after a re-dispatch",
			"agentDone RPC", 0.05, 0.3),
		rateKind(FaultStaleHeartbeat, SideWorld, unitProb+"heartbeat",
			"a heartbeat from the container's previous instance arrives (after a restart or eviction)",
			"touchAgentHeartbeat, container instance id", 0.05, 0.5),
		rateKind(FaultClockStep, SideWorld, unitProb+"alarm fire",
			"the alarm fires 30 s-10 min late: the platform's clock steps between ticks", "Durable Object alarm",
			0.005, 0.05),
		rateKind(FaultMergeTimeout, SideWorld, unitProb+"merge call",
			"a merge call times out after 30 s; GitHub may have merged the PR anyway", "mergePR", 0.05, 0.5),
		rateKind(FaultContainerRestart, SideWorld, unitPerHour,
			"the container restarts with a new instance id mid-work; its processes are lost unreported",
			"TownContainer restart", 0.1, 2),
		rateKind(FaultTownRestart, SideWorld, unitPerHour,
			"the Durable Object is evicted from memory and re-created on the next request: in-memory state lost, "+
				"SQLite, KV and the alarm kept (not during a tick)",
			"Durable Object eviction, initializeDatabase", 0.1, 2),
		rateKind(FaultRefineryStartError, SideWorld, unitProb+"refinery start call",
			"a refinery's start call answers 503 (an outage of the refinery's start path; polecats start); "+
				"with faults.heal the starts succeed again",
			"startAgentInContainer, a refinery's dispatch (RQ-5, RQ-6)", 0, 0),
		rateKind(FaultSlingRestart, SideWorld, unitProb+"slingBead",
			"the Durable Object is evicted right after slingBead hooked the agent, before its un-awaited "+
				"dispatch ran: the dispatch is lost, the agent stays idle and hooked (not during a tick)",
			"slingBead's fire-and-forget dispatchAgent, Durable Object eviction", 0, 0),
		rateKind(FaultStopIgnored, SideWorld, unitProb+"stop call that reaches a frozen (stuck) session",
			"the stop does not take: the SDK's session abort never returns, the container keeps the agent "+
				"'stopping' (no heartbeats, status answers stopping) and the stop call fails after 100 s",
			"container stopAgent (session.abort awaited, no timeout), POST /agents/<id>/stop", 0, 0),
		rateKind(FaultStopLost, SideWorld, unitProb+"stop call to a live process",
			"the stop call throws (fetch failed) before it reaches the container: the process runs on, "+
				"heartbeating (production swallows the error)",
			"stop_agent's POST /agents/<id>/stop (errors swallowed), the container fetch", 0, 0),
		rateKind(FaultMayorDeath, SideWorld, unitPerHour,
			"the mayor's process dies; a user's next message brings it back (sendMayorMessage)",
			"mayor session, ensureMayor", 0.1, 2),
	}
	slices.SortFunc(ks, func(a, b FaultKind) int { return strings.Compare(a.Name, b.Name) })
	return ks
}()

// FaultKinds lists every fault kind, sorted by name.
func FaultKinds() []FaultKind { return slices.Clone(faultKinds) }

// LookupFaultKind returns the kind called name.
func LookupFaultKind(name string) (FaultKind, bool) {
	i, ok := slices.BinarySearchFunc(faultKinds, name, func(k FaultKind, n string) int { return strings.Compare(k.Name, n) })
	if !ok {
		return FaultKind{}, false
	}
	return faultKinds[i], true
}

// ParseFaultRates parses "KIND=RATE,KIND=RATE" (the --faults flag). An
// unknown kind or a bad rate is an error naming it.
func ParseFaultRates(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want KIND=RATE", item)
		}
		name = strings.TrimSpace(name)
		if _, known := LookupFaultKind(name); !known {
			return nil, fmt.Errorf("unknown fault kind %q (townsim faults lists them)", name)
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return nil, fmt.Errorf("fault kind %s: rate %q is not a number", name, val)
		}
		if err := checkRate(name, r); err != nil {
			return nil, err
		}
		out[name] = r
	}
	return out, nil
}

// checkRate validates a rate for its kind.
func checkRate(name string, r float64) error {
	k, _ := LookupFaultKind(name)
	if !(r >= 0) || math.IsInf(r, 0) {
		return fmt.Errorf("fault kind %s: rate must be finite and >= 0, got %v", name, r)
	}
	if strings.HasPrefix(k.Unit, unitProb) && r > 1 {
		return fmt.Errorf("fault kind %s: rate is a probability (%s), got %v", name, k.Unit, r)
	}
	return nil
}

// validateFaults checks a FaultConfig (paths as in Config.Validate).
func (v *validator) faults(f FaultConfig) {
	names := make([]string, 0, len(f.Rates))
	for name := range f.Rates {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := LookupFaultKind(name); !ok {
			v.fail("faults.rates."+name, "is not a fault kind (townsim faults lists them)")
			continue
		}
		if err := checkRate(name, f.Rates[name]); err != nil {
			v.fail("faults.rates."+name, "%v", err)
		}
	}
	v.check(f.Heal < 0, "faults.heal", "is negative (%v)", f.Heal)
}

// FaultMix is a run's resolved fault mix: every kind that is on, with its
// rate, after the config sections, FaultConfig.Rates and the swarm draw.
type FaultMix map[string]float64

// Kinds returns the kinds that are on, sorted.
func (m FaultMix) Kinds() []string {
	out := make([]string, 0, len(m))
	for k, r := range m {
		if r > 0 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// String renders the mix as KIND=RATE,... in name order ("" when empty).
func (m FaultMix) String() string {
	var b strings.Builder
	for i, k := range m.Kinds() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + strconv.FormatFloat(m[k], 'g', 4, 64))
	}
	return b.String()
}

// resolveFaults applies FaultConfig.Rates to the config sections, draws
// the swarm from its own stream, and returns the config the world runs
// and the resolved mix. A config with no fault on resolves to itself and
// draws nothing.
func resolveFaults(c Config, src *des.Source) (Config, FaultMix) {
	mix := FaultMix{}
	rates := map[string]float64{}
	for name, r := range c.Faults.Rates {
		rates[name] = r
	}
	if c.Faults.Swarm {
		r := src.Stream("swarm")
		for _, k := range faultKinds {
			if _, fixed := rates[k.Name]; fixed || (k.get != nil && k.get(&c) > 0) || k.SwarmMax == 0 {
				continue
			}
			on := r.Bool(0.5)
			lo, hi := math.Log(k.SwarmMin), math.Log(k.SwarmMax)
			rate := math.Exp(lo + (hi-lo)*r.Float64())
			if on {
				rates[k.Name] = float64(float32(rate)) // a short, printable rate
			}
		}
	}
	for _, k := range faultKinds {
		r, set := rates[k.Name]
		if k.set != nil {
			if set {
				k.set(&c, r)
			}
			r = k.get(&c)
		}
		if r > 0 {
			mix[k.Name] = r
		}
	}
	return c, mix
}
