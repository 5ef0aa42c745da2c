package scenarios

import (
	"testing"
	"time"
)

// quietScenarioTests are TestScenarioReaches' checks of the quiet-town
// scenarios (named_quiet.go).
func quietScenarioTests() []scenarioTest {
	return []scenarioTest{
		{"quiet-mayor", 0, checkQuietMayor},
		{"held-after-mayor", 0, checkHeldAfterMayor},
		{"stop-never-takes", 0, checkStopNeverTakes},
		{"restart-stop-lost", 0, checkRestartStopLost},
	}
}

// procSpan is one world process's life as the trace records it.
type procSpan struct {
	agent, job  string
	from, runAt time.Time
	end         time.Time // zero: still live at the end
}

// procSpans reads the world's processes from the trace's proc records,
// by process number.
func (r *run) procSpans() map[string]*procSpan {
	out := map[string]*procSpan{}
	for _, l := range r.grep("proc") {
		n := traceField(l.text, "n")
		p := out[n]
		if p == nil {
			p = &procSpan{agent: traceField(l.text, "agent"), job: traceField(l.text, "job"), from: l.at}
			out[n] = p
		}
		switch traceField(l.text, "state") {
		case "running":
			p.runAt = l.at
		case "exited", "gone":
			if p.end.IsZero() {
				p.end = l.at
			}
		}
	}
	return out
}

// The mayor's session runs (and stays alive) for longer than GUPP's first
// tier, quiet by the knob, while GUPP nudges a frozen worker: GUPP was
// judged beside a quiet mayor.
func checkQuietMayor(t *testing.T, r *run) {
	if !r.s.Config.Work.MayorQuiet {
		t.Fatal("the scenario's mayor is not quiet")
	}
	end := r.s.Config.Start.Add(r.s.Config.Duration)
	quiet := false
	for _, p := range r.procSpans() {
		if p.job == "mayor" && !p.runAt.IsZero() && p.end.IsZero() && end.Sub(p.runAt) > guppFirstTier+5*time.Minute {
			quiet = true
		}
	}
	if !quiet {
		t.Errorf("no mayor session stayed alive for more than 20 min")
	}
	if len(r.grep("action", "send_nudge")) == 0 {
		t.Errorf("GUPP never nudged a worker")
	}
}

// A held issue is created while the world runs no process at all (the
// mayor's session over, no polecat or refinery); it waits 20-40 min for
// its start, so the open, unassigned issue is the town's only work for a
// while.
func checkHeldAfterMayor(t *testing.T, r *run) {
	spans := r.procSpans()
	alone := 0
	for _, c := range r.grep("rpc", "op=create_held_bead") {
		live := 0
		for _, p := range spans {
			if !p.from.After(c.at) && (p.end.IsZero() || p.end.After(c.at)) {
				live++
			}
		}
		if live == 0 {
			alone++
		}
	}
	if alone == 0 {
		t.Errorf("no held issue was created while the world ran no process")
	}
}

// A stop of a frozen session hangs, and AG-2 idles a stalled agent
// ("stalled_timeout") and unhooks it: the stalled agent's bound is judged.
func checkStopNeverTakes(t *testing.T, r *run) {
	if r.res.World.Faults["stop_ignored"] == 0 {
		t.Fatalf("no stop hung: %v", r.res.World.Faults)
	}
	if len(r.grep("action", "transition_agent", "from=stalled,to=idle", "stalled_timeout")) == 0 {
		t.Errorf("AG-2 never idled a stalled agent")
	}
}

// A triage restart's stop is lost while the agent's session runs on: a
// stop_lost fault names an agent whose process is still running a minute
// later (the Town idled it with a fresh activity stamp, hook kept).
func checkRestartStopLost(t *testing.T, r *run) {
	if len(r.grep("rpc", "op=resolve_triage", "action=RESTART_WITH_BACKOFF")) == 0 {
		t.Fatalf("no triage restart with backoff")
	}
	spans := r.procSpans()
	live := 0
	for _, f := range r.grep("fault", "kind=stop_lost") {
		sp := spans[traceField(f.text, "n")]
		if sp != nil && !sp.runAt.IsZero() && (sp.end.IsZero() || sp.end.Sub(f.at) > time.Minute) {
			live++
		}
	}
	if live == 0 {
		t.Errorf("no lost stop left a session running")
	}
}
