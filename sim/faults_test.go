package sim

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// faultConfig is a small busy town for an hour with the given fault rates.
func faultConfig(seed uint64, rates map[string]float64) Config {
	c := DefaultConfig()
	c.Seed = seed
	c.Duration = time.Hour
	c.Rigs = 1
	c.Agents = 3
	c.Faults.Rates = rates
	return c
}

// runTraced runs cfg and returns its result and trace lines.
func runTraced(t *testing.T, cfg Config) (*Result, []string) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Run(cfg, RunOptions{Trace: &buf})
	if err != nil {
		t.Fatal(err)
	}
	return res, strings.Split(strings.TrimSpace(buf.String()), "\n")
}

// grep returns the trace lines containing every part.
func grep(lines []string, parts ...string) []string {
	var out []string
	for _, l := range lines {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// Each world fault kind, on at a high rate: it fires, every firing is in
// the trace with its kind and target, it is counted in the result, and
// the Town reacts as production does.
func TestWorldFaultKinds(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		rates map[string]float64
		check func(t *testing.T, res *Result, lines []string)
	}{
		{FaultHeartbeatLost, nil, func(t *testing.T, res *Result, lines []string) {
			// Every heartbeat is lost while the processes work: the Town
			// hears nothing and the heartbeat rule (AG-1) idles them.
			if res.World.Heartbeats != 0 {
				t.Errorf("%d heartbeats reached the Town", res.World.Heartbeats)
			}
			if len(grep(lines, "action", "transition_agent", "to=idle")) == 0 {
				t.Error("no agent idled for lack of heartbeats")
			}
		}},
		{FaultStatusUnknown, nil, func(t *testing.T, res *Result, lines []string) {
			// unknown is not acted on: work still closes.
			if res.Beads.Closed == 0 {
				t.Errorf("nothing closed under unknown statuses: %+v", res.Beads)
			}
			if len(grep(lines, "call", "container.agent_status", "code=500")) == 0 {
				t.Error("no status call answered 500")
			}
		}},
		{FaultDuplicateCompleted, nil, func(t *testing.T, res *Result, lines []string) {
			for _, f := range grep(lines, " fault ", "kind="+FaultDuplicateCompleted)[:1] {
				agent := field(f, "agent")
				if n := len(grep(lines, "rpc", "op=agent_completed", "agent="+agent)); n < 2 {
					t.Errorf("agent %s: %d exit reports, want the duplicate too", agent, n)
				}
			}
		}},
		{FaultLateDone, nil, func(t *testing.T, res *Result, lines []string) {
			// gt_done lands after the exit report.
			f := grep(lines, " fault ", "kind="+FaultLateDone)[0]
			agent := field(f, "agent")
			var order []string
			for _, l := range grep(lines, "rpc", "agent="+agent) {
				if strings.Contains(l, "op=agent_done") || strings.Contains(l, "op=agent_completed") {
					order = append(order, field(l, "op"))
				}
			}
			if i := slices.Index(order, "agent_completed"); i < 0 || i > slices.Index(order, "agent_done") {
				t.Errorf("agent %s reports in order %v; want the exit report before the late gt_done", agent, order)
			}
		}},
		{FaultStaleHeartbeat, map[string]float64{FaultContainerRestart: 3}, func(t *testing.T, res *Result, lines []string) {
			f := grep(lines, " fault ", "kind="+FaultStaleHeartbeat)[0]
			if len(grep(lines, "rpc", "op=heartbeat", "instance="+field(f, "instance"))) == 0 {
				t.Error("no heartbeat carried the previous instance id")
			}
		}},
		{FaultClockStep, nil, func(t *testing.T, res *Result, lines []string) {
			// Some tick comes at least 30 s after the previous one, though
			// the town is active (5 s cadence).
			late := false
			for i := 1; i < len(res.TickRecords); i++ {
				if res.TickRecords[i].At.Sub(res.TickRecords[i-1].At) >= 30*time.Second {
					late = true
				}
			}
			if !late {
				t.Error("no tick fired late")
			}
		}},
		{FaultMergeTimeout, map[string]float64{"github_5xx": 0}, func(t *testing.T, res *Result, lines []string) {
			if len(grep(lines, "call", "github.merge_pr", "err=timeout")) == 0 {
				t.Error("no merge call answered a timeout")
			}
		}},
		{FaultContainerRestart, nil, func(t *testing.T, res *Result, lines []string) {
			if n := len(grep(lines, "container", "event=boot")); n < 2 {
				t.Errorf("%d container boots, want a restart's new instance", n)
			}
			if len(grep(lines, "proc", "reason=\"container restarted\"")) == 0 {
				t.Error("no process lost to the restart")
			}
		}},
		{FaultTownRestart, nil, func(t *testing.T, res *Result, lines []string) {
			// Each restart is an RPC of its own, and the town goes on working.
			if n := len(grep(lines, "rpc", "op=restart", `err=""`)); n != res.Faults.Fired[FaultTownRestart] {
				t.Errorf("%d restart RPCs for %d restarts", n, res.Faults.Fired[FaultTownRestart])
			}
			if res.Beads.Closed == 0 {
				t.Error("nothing closed across restarts")
			}
		}},
		{FaultRefineryStartError, nil, func(t *testing.T, res *Result, lines []string) {
			// Only refinery starts fail: every one that fired names the
			// refinery, and polecats still start and close work.
			for _, f := range grep(lines, " fault ", "kind="+FaultRefineryStartError) {
				a := field(f, "agent")
				if len(grep(lines, "proc", "agent="+a, "state=cold_start", "job=issue")) != 0 {
					t.Errorf("agent %s had a failed refinery start but runs issues", a)
				}
			}
			if len(grep(lines, "proc", "state=cold_start", "job=review")) != 0 {
				t.Error("a refinery started while every refinery start fails")
			}
			if len(grep(lines, "proc", "state=cold_start", "job=issue")) == 0 {
				t.Error("no polecat started")
			}
		}},
		{FaultSlingRestart, nil, func(t *testing.T, res *Result, lines []string) {
			// The lost dispatch: the sling starts nothing, every start of
			// the bead comes from a tick's dispatch_agent (BD-2), and the
			// Town restarts after the sling.
			for _, f := range grep(lines, " fault ", "kind="+FaultSlingRestart) {
				bead := field(f, "bead")
				starts := len(grep(lines, "call", "container.start_agent", "bead="+bead))
				dispatches := len(grep(lines, "action", "dispatch_agent{bead="+bead))
				if dispatches == 0 || starts != dispatches {
					t.Errorf("bead %s: %d starts, %d dispatch_agent actions; want every start from an action", bead, starts, dispatches)
				}
			}
			if n := len(grep(lines, "rpc", "op=restart")); n == 0 {
				t.Error("no Town restart after a lost sling")
			}
			if res.Beads.Closed == 0 {
				t.Error("nothing closed")
			}
		}},
		{FaultMayorDeath, nil, func(t *testing.T, res *Result, lines []string) {
			f := grep(lines, " fault ", "kind="+FaultMayorDeath)[0]
			mayor := field(f, "agent")
			after := false
			for _, l := range lines {
				if l == f {
					after = true
				}
				if after && strings.Contains(l, "proc agent="+mayor) && strings.Contains(l, "state=running") {
					return
				}
			}
			t.Error("the mayor was never brought back")
		}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			rates := map[string]float64{tc.kind: 1}
			if tc.kind == FaultContainerRestart || tc.kind == FaultMayorDeath || tc.kind == FaultTownRestart {
				rates[tc.kind] = 3
			}
			if tc.kind == FaultMergeTimeout || tc.kind == FaultLateDone || tc.kind == FaultDuplicateCompleted ||
				tc.kind == FaultClockStep || tc.kind == FaultSlingRestart {
				rates[tc.kind] = 0.5
			}
			for k, r := range tc.rates {
				rates[k] = r
			}
			res, lines := runTraced(t, faultConfig(1, rates))
			if res.Faults.Fired[tc.kind] == 0 {
				t.Fatalf("%s never fired (fired: %v)", tc.kind, res.Faults.Fired)
			}
			if n := len(grep(lines, " fault ", "kind="+tc.kind)); n != res.Faults.Fired[tc.kind] {
				t.Errorf("%d trace records for %d firings", n, res.Faults.Fired[tc.kind])
			}
			tc.check(t, res, lines)
		})
	}
}

// field returns key's value in a trace line ("" when absent).
func field(line, key string) string {
	i := strings.Index(line, " "+key+"=")
	if i < 0 {
		return ""
	}
	v := line[i+len(key)+2:]
	if j := strings.IndexByte(v, ' '); j >= 0 && !strings.HasPrefix(v, "\"") {
		v = v[:j]
	}
	return v
}

// A tick that throws after its work is retried by the platform and its
// reconcile runs again: the retry's record has work of its own.
func TestCodeFaultTickRetriedAfterWork(t *testing.T) {
	res, lines := runTraced(t, faultConfig(2, map[string]float64{model.FPAfterWork: 0.2}))
	if res.TickErrors == 0 || res.Retries == 0 {
		t.Fatalf("tick errors %d, retries %d; want thrown ticks retried", res.TickErrors, res.Retries)
	}
	if res.Faults.Fired[model.FPAfterWork] != res.TickErrors {
		t.Errorf("fired %d, ticks thrown %d", res.Faults.Fired[model.FPAfterWork], res.TickErrors)
	}
	retried := grep(lines, " tick ", "retry=true")
	if len(retried) == 0 || len(grep(lines, " fault ", "kind="+model.FPAfterWork)) == 0 {
		t.Fatal("no retried tick or fault in the trace")
	}
	if res.Beads.Closed == 0 {
		t.Error("nothing closed")
	}
}

// Code faults reach the Town's failpoints: each on alone fires and is
// traced with its target where it has one.
func TestCodeFaultKindsFire(t *testing.T) {
	for _, fp := range model.Failpoints() {
		t.Run(fp, func(t *testing.T) {
			t.Parallel()
			cfg := faultConfig(3, map[string]float64{fp: 0.3})
			cfg.Duration = 20 * time.Minute
			cfg.Containers.Evicted = Stage{Weight: 0.3, After: des.Exp(5 * time.Minute)}
			res, err := Run(cfg, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Faults.Fired[fp] == 0 {
				t.Errorf("%s never fired; never fired list %v", fp, res.Faults.NeverFired)
			}
		})
	}
}

// The layer changes nothing when unused: no faults, an empty rate map and
// a heal time without faults all give the plain run's hash; the same seed
// with faults on, and with a swarm, gives the same hash twice.
func TestFaultLayerDeterminism(t *testing.T) {
	base := faultConfig(4, nil)
	plain, _ := runTraced(t, base)
	for name, mod := range map[string]func(*Config){
		"empty rates":           func(c *Config) { c.Faults.Rates = map[string]float64{} },
		"zero rates":            func(c *Config) { c.Faults.Rates = map[string]float64{FaultHeartbeatLost: 0} },
		"heal without faults":   func(c *Config) { c.Faults.Heal = 10 * time.Minute },
		"heal after the run":    func(c *Config) { c.Faults.Heal = 2 * time.Hour },
		"failpoints registered": func(c *Config) { c.Faults.Rates = map[string]float64{model.FPReconcile: 0} },
	} {
		c := base
		mod(&c)
		if res, _ := runTraced(t, c); res.TraceHash != plain.TraceHash {
			t.Errorf("%s: hash %s, plain run %s", name, res.TraceHash, plain.TraceHash)
		}
	}
	for name, c := range map[string]Config{
		"faults": faultConfig(4, map[string]float64{FaultHeartbeatLost: 0.2, model.FPEventApply: 0.1, "crashed": 0.1}),
		"swarm":  func() Config { c := faultConfig(4, nil); c.Faults.Swarm = true; return c }(),
	} {
		a, _ := runTraced(t, c)
		b, _ := runTraced(t, c)
		if a.TraceHash != b.TraceHash {
			t.Errorf("%s: two runs gave %s and %s", name, a.TraceHash, b.TraceHash)
		}
		if a.TraceHash == plain.TraceHash {
			t.Errorf("%s: same hash as the fault-free run", name)
		}
	}
}

// Two simulations with different fault settings in parallel in one
// process each give the hash they give alone.
func TestFaultRunsInParallel(t *testing.T) {
	cfgs := map[string]Config{
		"code":  faultConfig(5, map[string]float64{model.FPReconcile: 0.2, model.FPApplyAction: 0.2}),
		"world": faultConfig(5, map[string]float64{FaultStatusUnknown: 0.3, "crashed": 0.2}),
		"swarm": func() Config { c := faultConfig(6, nil); c.Faults.Swarm = true; return c }(),
	}
	alone := map[string]string{}
	for name, c := range cfgs {
		res, _ := runTraced(t, c)
		alone[name] = res.TraceHash
	}
	for name, c := range cfgs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, err := Run(c, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.TraceHash != alone[name] {
				t.Errorf("in parallel %s, alone %s", res.TraceHash, alone[name])
			}
		})
	}
}

// A swarm draws its mix from the seed: the same seed the same mix,
// another seed another; fixed kinds stay as given and are not redrawn.
func TestSwarmDrawsMixFromSeed(t *testing.T) {
	mixOf := func(seed uint64, rates map[string]float64) FaultMix {
		c := faultConfig(seed, rates)
		c.Faults.Swarm = true
		_, mix := resolveFaults(c, des.NewSource(seed))
		return mix
	}
	a, b := mixOf(7, nil), mixOf(7, nil)
	if a.String() != b.String() || a.String() == "" {
		t.Fatalf("same seed gave %q and %q", a, b)
	}
	distinct := map[string]bool{}
	for seed := uint64(1); seed <= 8; seed++ {
		distinct[mixOf(seed, nil).String()] = true
	}
	if len(distinct) < 6 {
		t.Errorf("8 seeds drew only %d distinct mixes", len(distinct))
	}
	n := len(a.Kinds())
	if n < len(faultKinds)/4 || n > 3*len(faultKinds)/4 {
		t.Errorf("swarm turned on %d of %d kinds; want about half", n, len(faultKinds))
	}
	fixed := mixOf(7, map[string]float64{FaultHeartbeatLost: 0.125, "crashed": 0})
	if fixed[FaultHeartbeatLost] != 0.125 || fixed["crashed"] != 0 {
		t.Errorf("fixed kinds redrawn: %v", fixed)
	}
	for k, r := range a {
		kind, _ := LookupFaultKind(k)
		if r < float64(float32(kind.SwarmMin))*0.999 || r > kind.SwarmMax*1.001 {
			t.Errorf("%s drawn at %v, outside [%v, %v]", k, r, kind.SwarmMin, kind.SwarmMax)
		}
	}
}

// After the heal time no fault fires; the report says when it was and
// lists the kinds that were on but never fired.
func TestHealStopsFaults(t *testing.T) {
	c := faultConfig(8, map[string]float64{FaultStatusUnknown: 0.5, model.FPReconcile: 0.3, "crashed": 0.5,
		FaultMayorDeath: 0.0001})
	c.Faults.Heal = 20 * time.Minute
	res, lines := runTraced(t, c)
	heal := c.Start.Add(c.Faults.Heal)
	if !res.Faults.HealAt.Equal(heal) {
		t.Errorf("HealAt %v, want %v", res.Faults.HealAt, heal)
	}
	faults := grep(lines, " fault ")
	if len(faults) == 0 {
		t.Fatal("no fault fired before the heal")
	}
	for _, l := range faults {
		if at := traceTime(l); !at.Before(heal) {
			t.Errorf("fault after the heal time: %s", l)
		}
	}
	if !slices.Contains(res.Faults.NeverFired, FaultMayorDeath) {
		t.Errorf("never fired %v lacks %s", res.Faults.NeverFired, FaultMayorDeath)
	}
}

// traceTime parses a trace line's leading unix milliseconds.
func traceTime(line string) time.Time {
	var ms int64
	for _, c := range strings.Fields(line)[0] {
		ms = ms*10 + int64(c-'0')
	}
	return time.UnixMilli(ms).UTC()
}

func TestFaultConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		rates map[string]float64
		heal  time.Duration
		want  string
	}{
		{map[string]float64{"no_such_kind": 0.1}, 0, "faults.rates.no_such_kind: is not a fault kind"},
		{map[string]float64{FaultHeartbeatLost: 1.5}, 0, "faults.rates.heartbeat_lost: fault kind heartbeat_lost: rate is a probability"},
		{map[string]float64{FaultMayorDeath: -1}, 0, "faults.rates.mayor_death: fault kind mayor_death: rate must be finite and >= 0"},
		{nil, -time.Minute, "faults.heal: is negative"},
	} {
		c := faultConfig(1, tc.rates)
		c.Faults.Heal = tc.heal
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want %q", err, tc.want)
		}
	}
}

func TestParseFaultRates(t *testing.T) {
	got, err := ParseFaultRates("heartbeat_lost=0.1, crashed=0.2,events/apply=0.05")
	if err != nil {
		t.Fatal(err)
	}
	if got[FaultHeartbeatLost] != 0.1 || got["crashed"] != 0.2 || got[model.FPEventApply] != 0.05 {
		t.Errorf("got %v", got)
	}
	for in, want := range map[string]string{
		"nope=0.1":           `unknown fault kind "nope"`,
		"heartbeat_lost":     `"heartbeat_lost": want KIND=RATE`,
		"heartbeat_lost=abc": `fault kind heartbeat_lost: rate "abc" is not a number`,
		"heartbeat_lost=2":   "rate is a probability",
	} {
		if _, err := ParseFaultRates(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseFaultRates(%q) = %v, want %q", in, err, want)
		}
	}
}

// Every kind has a description, a production source and a swarm range.
func TestFaultKindsDocumented(t *testing.T) {
	for _, k := range FaultKinds() {
		targeted := k.SwarmMin == 0 && k.SwarmMax == 0 // never drawn by a swarm
		if k.Desc == "" || k.Source == "" || k.Unit == "" || !(targeted || k.SwarmMin > 0 && k.SwarmMin < k.SwarmMax) {
			t.Errorf("%s is incomplete: %+v", k.Name, k)
		}
		if k.Side != SideCode && k.Side != SideWorld {
			t.Errorf("%s: side %q", k.Name, k.Side)
		}
	}
	for _, fp := range model.Failpoints() {
		if k, ok := LookupFaultKind(fp); !ok || k.Side != SideCode {
			t.Errorf("failpoint %s is not a code fault kind", fp)
		}
	}
}

// BenchmarkFaultLayer measures what the layer costs: a small town's half
// hour with no faults, and with every failpoint enabled at a rate so low
// that none fires (the same run, plus every evaluation's cost).
func BenchmarkFaultLayer(b *testing.B) {
	for _, tc := range []struct {
		name  string
		rates map[string]float64
	}{
		{"off", nil},
		{"failpoints-on", func() map[string]float64 {
			m := map[string]float64{}
			for _, fp := range model.Failpoints() {
				m[fp] = 1e-12
			}
			return m
		}()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := faultConfig(1, tc.rates)
			c.Duration = 30 * time.Minute
			for b.Loop() {
				if _, err := Run(c, RunOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The run reports, per fault kind, how many ticks the town took to
// recover from each fault: every recovery is counted once, none is
// negative, and a town whose work all ends recovers from every fault.
func TestFaultConvergence(t *testing.T) {
	c := faultConfig(9, map[string]float64{FaultStatusUnknown: 0.2, model.FPReconcile: 0.1})
	c.Duration = 3 * time.Hour
	c.WorkloadStop = 20 * time.Minute
	c.Faults.Heal = 20 * time.Minute
	res, _ := runTraced(t, c)
	if res.Beads.Open != 0 {
		t.Fatalf("issues %+v; want every one ended so every fault is recovered from", res.Beads)
	}
	for _, k := range []string{FaultStatusUnknown, model.FPReconcile} {
		cv := res.Faults.Converge[k]
		if len(cv.Ticks)+cv.Open != res.Faults.Fired[k] || cv.Open != 0 || len(cv.Ticks) == 0 {
			t.Errorf("%s: %d recoveries, %d open, %d fired; want one recovery per fault", k, len(cv.Ticks), cv.Open, res.Faults.Fired[k])
		}
		for i, n := range cv.Ticks {
			if n < 0 || i > 0 && n < cv.Ticks[i-1] {
				t.Errorf("%s: ticks %v not sorted non-negative counts", k, cv.Ticks)
				break
			}
		}
	}
}

// The kinds that are weights of the config sections fire when set through
// FaultConfig.Rates, and every firing is in the trace.
func TestConfigFaultKindsFire(t *testing.T) {
	for _, k := range FaultKinds() {
		if k.set == nil {
			continue
		}
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			rate := 1.0
			if strings.HasPrefix(k.Unit, unitProb) {
				rate = 0.5
			}
			c := faultConfig(10, map[string]float64{k.Name: rate})
			c.Duration = 90 * time.Minute
			if k.Name == "merge_fail" || strings.HasPrefix(k.Name, "github_") {
				c.GitHub.MergeDelay = des.Const(time.Hour) // let auto-merge reach the merge call
			}
			res, lines := runTraced(t, c)
			if res.Faults.Fired[k.Name] == 0 {
				t.Fatalf("%s never fired: %v", k.Name, res.Faults.Fired)
			}
			if n := len(grep(lines, " fault ", "kind="+k.Name)); n != res.Faults.Fired[k.Name] {
				t.Errorf("%d trace records for %d firings", n, res.Faults.Fired[k.Name])
			}
		})
	}
}
