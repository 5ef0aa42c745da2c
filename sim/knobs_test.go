package sim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
)

// knobRun runs a 30-agent town for 40 minutes (the breaker opens there at
// production values) with the given knobs.
func knobRun(t *testing.T, k model.Knobs, opts RunOptions) *Result {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Seed = 3
	cfg.Rigs = 3
	cfg.Agents = 30
	cfg.Duration = 40 * time.Minute
	cfg.Knobs = k
	res, err := Run(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestKnobsProductionKeepsHash: knobs spelled out at production's values
// run exactly the zero value's run (the run before knobs existed: the
// trace does not mention them), and each changed knob changes the run.
func TestKnobsProductionKeepsHash(t *testing.T) {
	base := knobRun(t, model.Knobs{}, RunOptions{})
	if got := knobRun(t, model.DefaultKnobs(), RunOptions{}).TraceHash; got != base.TraceHash {
		t.Fatalf("explicit production knobs: hash %s, want the zero value's %s", got, base.TraceHash)
	}
	cases := []struct {
		name string
		k    model.Knobs
	}{
		{"breaker_threshold", model.Knobs{BreakerThreshold: 200}},
		{"breaker_failures_only", model.Knobs{BreakerFailuresOnly: true}},
		{"active_interval", model.Knobs{ActiveInterval: 10 * time.Second}},
		{"heartbeat_stale", model.Knobs{HeartbeatStale: 20 * time.Second}},
		{"analyze", model.Knobs{Analyze: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := knobRun(t, c.k, RunOptions{}).TraceHash; got == base.TraceHash {
				t.Errorf("knob %s changed nothing: hash %s", c.k.Label(), got)
			}
		})
	}
}

// TestKnobBreakerThreshold: at production's threshold the breaker's
// notify_mayor fires in this town; at 200 it never does and more work is
// dispatched.
func TestKnobBreakerThreshold(t *testing.T) {
	prod := knobRun(t, model.Knobs{}, RunOptions{})
	raised := knobRun(t, model.Knobs{BreakerThreshold: 200}, RunOptions{})
	if prod.ActionsByType["notify_mayor"] == 0 {
		t.Fatalf("production breaker never opened in a 30-agent town: %v", prod.ActionsByType)
	}
	if raised.ActionsByType["notify_mayor"] != 0 {
		t.Errorf("threshold 200: notify_mayor %d times, want 0", raised.ActionsByType["notify_mayor"])
	}
	if raised.ActionsByType["dispatch_agent"] <= prod.ActionsByType["dispatch_agent"] {
		t.Errorf("threshold 200 dispatched %d, production %d; want more", raised.ActionsByType["dispatch_agent"], prod.ActionsByType["dispatch_agent"])
	}
}

// TestAnalyzeKnobCost: with Analyze the first tick's CostByPart has an
// ANALYZE part; without, no tick has one.
func TestAnalyzeKnobCost(t *testing.T) {
	for _, on := range []bool{false, true} {
		seen := 0
		cfg := smallConfig()
		cfg.Duration = 30 * time.Minute
		cfg.Knobs.Analyze = on
		_, err := Run(cfg, RunOptions{DropTickRecords: true, OnTick: func(rec *TickRecord, _ *alarm.TickResult, _ *World) {
			if _, ok := rec.CostByPart["ANALYZE"]; ok {
				seen++
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case on && (seen < 1 || seen > 4):
			t.Errorf("Analyze: ANALYZE ran in %d ticks of 30 min, want 1 to 4 (every %v)", seen, model.AnalyzeEvery)
		case !on && seen != 0:
			t.Errorf("production: ANALYZE ran in %d ticks", seen)
		}
	}
}

// TestOnTickStreams: OnTick sees every tick in order, DropTickRecords keeps
// none, and the run is the same as one that keeps them.
func TestOnTickStreams(t *testing.T) {
	cfg := smallConfig()
	cfg.Duration = 20 * time.Minute
	kept, err := Run(cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var seen []TickRecord
	dropped, err := Run(cfg, RunOptions{DropTickRecords: true, OnTick: func(rec *TickRecord, res *alarm.TickResult, w *World) {
		seen = append(seen, *rec)
		if _, err := w.StatusCounts(); err != nil {
			t.Error(err)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped.TickRecords) != 0 {
		t.Errorf("DropTickRecords kept %d records", len(dropped.TickRecords))
	}
	if dropped.TraceHash != kept.TraceHash {
		t.Errorf("streaming changed the run: %s vs %s", dropped.TraceHash, kept.TraceHash)
	}
	if len(seen) != len(kept.TickRecords) || len(seen) == 0 {
		t.Fatalf("OnTick saw %d ticks, the run kept %d", len(seen), len(kept.TickRecords))
	}
	for i := range seen {
		if !seen[i].At.Equal(kept.TickRecords[i].At) || seen[i].Cost != kept.TickRecords[i].Cost {
			t.Errorf("tick %d: streamed %v %v, kept %v %v", i, seen[i].At, seen[i].Cost, kept.TickRecords[i].At, kept.TickRecords[i].Cost)
		}
		if seen[i].End.Before(seen[i].At) || seen[i].At.Before(seen[i].AlarmAt) {
			t.Errorf("tick %d: alarm %v, at %v, end %v out of order", i, seen[i].AlarmAt, seen[i].At, seen[i].End)
		}
	}
}

// TestKnobsLabelTheTraceAndValidate: a what-if run's world record names
// its knobs, a production run's does not; a negative knob is an error
// naming its key.
func TestKnobsLabelTheTraceAndValidate(t *testing.T) {
	for _, c := range []struct {
		k    model.Knobs
		want string
	}{{model.Knobs{}, ""}, {model.Knobs{BreakerThreshold: 50, Analyze: true}, `knobs="breaker_threshold=50,analyze=true"`}} {
		cfg := smallConfig()
		cfg.Duration = time.Minute
		cfg.Knobs = c.k
		var buf bytes.Buffer
		if _, err := Run(cfg, RunOptions{Trace: &buf}); err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(buf.String(), "\n")
		if got := strings.Contains(first, "knobs="); got != (c.want != "") || (c.want != "" && !strings.Contains(first, c.want)) {
			t.Errorf("knobs %s: world record %q", c.k.Label(), first)
		}
	}
	for _, c := range []struct {
		k   model.Knobs
		key string
	}{
		{model.Knobs{BreakerWindow: -time.Second}, "knobs.breaker_window"},
		{model.Knobs{BreakerThreshold: -1}, "knobs.breaker_threshold"},
		{model.Knobs{DispatchCooldown: []time.Duration{time.Second, 0}}, "knobs.dispatch_cooldown[1]"},
	} {
		cfg := smallConfig()
		cfg.Knobs = c.k
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%+v: error %v, want one naming %s", c.k, err, c.key)
		}
	}
}
