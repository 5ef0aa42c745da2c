package sim

import (
	"slices"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// faultLayer decides, counts and traces the run's faults. Every decision
// draws from a stream of its own kind ("fault:<kind>"), so turning one
// kind on does not move the draws of another, and a kind that is off (or
// healed) draws nothing at all: a run without faults is the run it was
// before the layer existed.
type faultLayer struct {
	w      *World
	mix    FaultMix
	healAt time.Time // zero: faults never stop
	fired  map[string]int
	conv   *convergence
	// armed: the world is set up (start ran). The Town's failpoints stay
	// quiet before: the scenario's town, rigs and mayor are given, not
	// under test, and a failed setup would end the run before it starts.
	armed bool
	// hits lists the code failpoints that fired, in order, with what
	// they targeted.
	hits []FaultHit
}

// FaultHit is one firing of a code failpoint: its kind, the target the
// Town named (e.g. an event's id; "" for none) and when it fired.
type FaultHit struct {
	Kind, Target string
	At           time.Time
}

func newFaultLayer(w *World, mix FaultMix) *faultLayer {
	f := &faultLayer{w: w, mix: mix, fired: map[string]int{}, conv: newConvergence(w)}
	if w.cfg.Faults.Heal > 0 {
		f.healAt = w.cfg.Start.Add(w.cfg.Faults.Heal)
	}
	return f
}

// healed reports that the heal time has passed.
func (f *faultLayer) healed() bool {
	return !f.healAt.IsZero() && !f.w.eng.Now().Before(f.healAt)
}

// healedFor reports that the heal time has passed and one of kinds was
// on: the draws that decide them can be skipped. A run where none of
// them is on keeps drawing as it always did, heal time or not.
func (f *faultLayer) healedFor(kinds ...string) bool {
	if !f.healed() {
		return false
	}
	for _, k := range kinds {
		if f.mix[k] > 0 {
			return true
		}
	}
	return false
}

// on reports that kind may fire now.
func (f *faultLayer) on(kind string) bool { return f.mix[kind] > 0 && !f.healed() }

// roll draws whether a probability kind fires now; an off kind draws
// nothing.
func (f *faultLayer) roll(kind string) bool {
	if !f.on(kind) {
		return false
	}
	return f.w.src.Stream("fault:" + kind).Bool(f.mix[kind])
}

// stream is kind's own random stream, for the draws that follow a firing.
func (f *faultLayer) stream(kind string) *des.Rand { return f.w.src.Stream("fault:" + kind) }

// fire counts and traces a fault that struck.
func (f *faultLayer) fire(kind string, fields ...des.Field) {
	f.fired[kind]++
	f.conv.fired(kind)
	f.w.stats.Faults[kind]++
	f.w.record("fault", append([]des.Field{des.F("kind", kind)}, fields...)...)
}

// decide is the Town's model.FaultDecider: an enabled failpoint fires with
// its kind's probability from the end of the world's setup until the heal
// time.
func (f *faultLayer) decide(name, target string) bool {
	if !f.armed || !f.roll(name) {
		return false
	}
	f.fire(name, des.F("target", target))
	f.hits = append(f.hits, FaultHit{Kind: name, Target: target, At: f.w.eng.Now()})
	return true
}

// CodeFaultHits returns the code failpoints that fired so far, in order.
func (w *World) CodeFaultHits() []FaultHit { return w.faults.hits }

// modelFaults builds the Town's failpoints for the code kinds that are
// on, nil when none is.
func (f *faultLayer) modelFaults() (*model.Faults, error) {
	var mf *model.Faults
	for _, k := range f.mix.Kinds() {
		kind, _ := LookupFaultKind(k)
		if kind.Side != SideCode {
			continue
		}
		if mf == nil {
			mf = model.NewFaults(f.decide)
		}
		if err := mf.Enable(k, "return(true)"); err != nil {
			return nil, err
		}
	}
	return mf, nil
}

// startPoisson schedules a per-hour kind's occurrences as a Poisson
// process from now, each calling strike until the heal time.
func (f *faultLayer) startPoisson(kind string, strike func()) {
	rate := f.mix[kind]
	if rate <= 0 {
		return
	}
	r := f.stream(kind)
	mean := time.Duration(float64(time.Hour) / rate)
	var next func()
	next = func() {
		if f.healed() {
			return
		}
		strike()
		f.w.eng.After(r.Exp(mean), next)
	}
	f.w.eng.After(r.Exp(mean), next)
}

// start schedules the kinds that happen on their own clock.
func (f *faultLayer) start() {
	f.armed = true
	f.startPoisson(FaultContainerRestart, f.w.containers.restart)
	f.startPoisson(FaultMayorDeath, f.w.mayorDeath)
	f.startPoisson(FaultTownRestart, f.w.townRestart)
}

// clockStep is the alarm's lateness when the clock_step fault fires at a
// fire of the alarm: 30 s to 10 min; 0 otherwise.
func (f *faultLayer) clockStep() time.Duration {
	if !f.roll(FaultClockStep) {
		return 0
	}
	d := f.stream(FaultClockStep).Uniform(30*time.Second, 10*time.Minute)
	f.fire(FaultClockStep, des.F("late", d))
	return d
}

// FaultReport is what the fault layer did in a run.
type FaultReport struct {
	// Mix is the resolved mix: every kind that was on, with its rate.
	Mix FaultMix
	// Fired counts the faults that struck, by kind (process stages,
	// failpoints, and every other kind).
	Fired map[string]int
	// NeverFired lists the kinds that were on but never struck, sorted.
	NeverFired []string
	// HealAt is the heal time (zero: faults never stopped).
	HealAt time.Time
	// Converge is, by kind, how many ticks the town took to recover from
	// each fault: from the fault until every issue created before it was
	// closed, failed or deleted.
	Converge map[string]Convergence
	// Firings lists every fault that struck, in time order.
	Firings []FaultFiring
}

// FaultFiring is one fault that struck: its kind and simulated time.
type FaultFiring struct {
	Kind string
	At   time.Time
}

func (f *faultLayer) report() FaultReport {
	r := FaultReport{Mix: f.mix, Fired: map[string]int{}, HealAt: f.healAt, Converge: f.conv.report(),
		Firings: slices.Clone(f.conv.firings)}
	for k, n := range f.w.stats.Faults {
		r.Fired[k] = n
	}
	for _, k := range f.mix.Kinds() {
		if r.Fired[k] == 0 {
			r.NeverFired = append(r.NeverFired, k)
		}
	}
	return r
}

// ---- world faults ----

// mayorDeath kills the mayor's running process (no report); a user who
// notices 1-5 min later sends the mayor a message, which brings it back
// through sendMayorMessage's start path.
func (w *World) mayorDeath() {
	p := w.containers.procs[w.mayorID]
	if p == nil || p.state != procRunning || p.draining {
		return
	}
	w.faults.fire(FaultMayorDeath, des.F("agent", p.agentID), des.F("n", p.n))
	w.containers.end(p, procGone, "mayor died")
	w.eng.After(w.faults.stream(FaultMayorDeath).Uniform(time.Minute, 5*time.Minute), func() {
		w.rpcEnv("send_mayor_message", func() error {
			return w.town.SendMayorMessage(w.env, "Are you there?")
		}, func() []des.Field { return []des.Field{des.F("agent", w.mayorID)} })
	})
}

// townRestart evicts the Town from memory and re-creates it; a restart
// that falls inside a tick is skipped (the platform does not evict a
// Durable Object while its handler runs).
func (w *World) townRestart() {
	if w.alarm.running {
		return
	}
	w.faults.fire(FaultTownRestart)
	w.RestartTown()
}

// restart is a container restart with a new instance id: every process
// is lost unreported and a new instance boots at once.
func (k *containers) restart() {
	if !k.up || k.evicting {
		return
	}
	k.w.faults.fire(FaultContainerRestart, des.F("instance", k.instance))
	k.stopAll("container restarted")
	k.ensureUp()
}
