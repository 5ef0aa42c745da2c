package model

import (
	"fmt"
	"slices"

	"github.com/pingcap/failpoint"
)

// Failpoint names: the places where production's Town code can throw
// (reconciler.md §1.3), named after the place. A point does nothing
// unless the Town was opened with Options.Faults and the point is enabled
// there.
const (
	// FPRigList: T2's rig list throws; the tick aborts (platform retry).
	FPRigList = "alarm/T2-rig-list"
	// FPUpkeep: T3a's container health check throws; logged, next step.
	FPUpkeep = "alarm/T3-upkeep"
	// FPObserve: one agent's T4 status check throws; its status is not
	// recorded this tick.
	FPObserve = "alarm/T4-observe"
	// FPConfigRead: reading the town config throws (getTownConfig): T6
	// aborts the tick; RPCs that read it fail.
	FPConfigRead = "town/config-read"
	// FPDrainRead: T7's read of the pending events throws (a row that
	// fails its parse): no event is applied this tick.
	FPDrainRead = "events/drain-read"
	// FPEventApply: one event's application throws half-way: the writes
	// made before the throw stay and the event stays pending, retried by
	// the next tick.
	FPEventApply = "events/apply"
	// FPEventNotFound: one event's application throws a "... not found"
	// error before writing: the drain marks it processed and skips it.
	FPEventNotFound = "events/apply-not-found"
	// FPReconcile: T9's reconcile throws: no actions this tick.
	FPReconcile = "reconciler/reconcile"
	// FPApplyAction: one action's synchronous part throws half-way: its
	// writes up to the throw stay, its deferred effect is not queued.
	FPApplyAction = "reconciler/apply-action"
	// FPSideEffect: one deferred side effect (T10) rejects before it
	// starts; counted as failed.
	FPSideEffect = "reconciler/side-effect"
	// FPInvariants: T11's invariant check throws: logged, no violations
	// counted this tick.
	FPInvariants = "alarm/T11-invariants"
	// FPAfterWork: the tick throws after its work (T13): the platform
	// retries it and the whole tick, reconcile included, runs again.
	FPAfterWork = "alarm/T13-after-work"
	// FPHousekeeping: one T15 housekeeping task throws; logged.
	FPHousekeeping = "alarm/T15-housekeeping"
	// FPKVWrite: a write of the drain state to KV storage fails (T8's
	// auto-clear, which aborts the tick; a heartbeat's or an eviction
	// report's, which fail the RPC).
	FPKVWrite = "kv/write"
)

// Failpoints lists every failpoint name, sorted.
func Failpoints() []string {
	fps := []string{FPRigList, FPUpkeep, FPObserve, FPConfigRead, FPDrainRead, FPEventApply,
		FPEventNotFound, FPReconcile, FPApplyAction, FPSideEffect, FPInvariants, FPAfterWork,
		FPHousekeeping, FPKVWrite}
	slices.Sort(fps)
	return fps
}

// FaultDecider decides whether an enabled failpoint fires at this
// evaluation. name is the failpoint, target what it would strike (an
// event id, an action type, an agent id; "" when none). A simulator
// implements it with its seeded random stream, so that whether a point
// fires is reproducible.
type FaultDecider func(name, target string) bool

// Faults is one Town's failpoints: its own failpoint registry (never the
// process-wide one, so that simulations in one process do not disturb
// each other) and the decider, asked every time an enabled point whose
// failpoint terms are active is evaluated. A nil *Faults never fires.
//
// failpoint's own probability terms ("50%return") draw from the global
// random source and are not reproducible; use the decider for chance and
// the terms for values and counts ("return(2)", "3*return(true)").
type Faults struct {
	fps     failpoint.Failpoints
	enabled map[string]bool // looked up, never iterated
	decide  FaultDecider
}

// NewFaults returns a registry with no point enabled; decide is asked
// about each evaluation of an enabled point.
func NewFaults(decide FaultDecider) *Faults {
	return &Faults{decide: decide, enabled: map[string]bool{}}
}

// Enable arms a failpoint with failpoint terms, for example "return(true)"
// or, for the half-way points, "return(2)": the number of the Town's
// write statements that succeed before the throw (default 1). Unknown
// names are an error.
func (f *Faults) Enable(name, terms string) error {
	if !slices.Contains(Failpoints(), name) {
		return fmt.Errorf("unknown failpoint %q", name)
	}
	if err := f.fps.Enable(name, terms); err != nil {
		return err
	}
	f.enabled[name] = true
	return nil
}

// Enabled returns the enabled failpoints, sorted.
func (f *Faults) Enabled() []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, name := range Failpoints() {
		if f.enabled[name] {
			out = append(out, name)
		}
	}
	return out
}

// eval evaluates name against target: the failpoint's value when it
// fires, nil otherwise.
func (f *Faults) eval(name, target string) failpoint.Value {
	if f == nil || !f.enabled[name] {
		return nil
	}
	// The registry first: terms that are exhausted ("1*return") or off
	// answer nothing and draw nothing; then the decider.
	v, err := f.fps.Eval(name)
	if err != nil || v == nil || !f.decide(name, target) {
		return nil
	}
	return v
}

// InjectedError is the error an injected fault throws.
type InjectedError struct {
	// Point is the failpoint that fired.
	Point string
	// Target is what it struck ("" when none).
	Target string
}

func (e *InjectedError) Error() string {
	if e.Target == "" {
		return "injected fault " + e.Point
	}
	return "injected fault " + e.Point + " (" + e.Target + ")"
}

// Fault evaluates a failpoint of the Town's: an *InjectedError when it
// fires, nil otherwise (always nil without Options.Faults).
func (t *Town) Fault(name, target string) error {
	if t.opts.Faults == nil {
		return nil
	}
	if t.opts.Faults.eval(name, target) == nil {
		return nil
	}
	return &InjectedError{Point: name, Target: target}
}

// FaultHalfway evaluates a half-way failpoint before an operation: when it
// fires, the Town's database throws at the write statement that follows
// the failpoint's count of successful writes (default 1) and the returned
// finish reports the throw; an operation that writes less than that
// throws when it ends (finish returns the error), its writes all made.
// When the point does not fire, or fired inside the operation, finish
// returns the operation's own error.
func (t *Town) FaultHalfway(name, target string) (finish func(opErr error) error) {
	noop := func(err error) error { return err }
	if t.opts.Faults == nil {
		return noop
	}
	v := t.opts.Faults.eval(name, target)
	if v == nil {
		return noop
	}
	after := 1
	if n, ok := v.(int); ok && n >= 0 {
		after = n
	}
	ie := &InjectedError{Point: name, Target: target}
	t.db.armWriteFault(after, ie)
	return func(opErr error) error {
		if t.db.disarmWriteFault() {
			// The operation ended before its cut: it throws at its end.
			return ie
		}
		// The cut struck a write: the operation reacted to it as it does
		// to any failed statement (usually by throwing it on).
		return opErr
	}
}
