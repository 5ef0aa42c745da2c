package model

import (
	"strings"
	"testing"
	"time"
)

func TestKnobsZeroIsProduction(t *testing.T) {
	if l := (Knobs{}).Label(); l != "production" {
		t.Errorf("zero knobs label %q", l)
	}
	if l := DefaultKnobs().Label(); l != "production" {
		t.Errorf("default knobs label %q", l)
	}
	r := (Knobs{}).Resolved()
	if r.BreakerThreshold != 20 || r.BreakerWindow != 30*time.Minute || r.ActiveInterval != 5*time.Second ||
		r.IdleInterval != 5*time.Minute || r.MaxDispatchAttempts != 5 || r.PRPollInterval != time.Minute ||
		r.HeartbeatStale != 90*time.Second || r.NotFoundGrace != 180*time.Second || r.StaleInProgress != 5*time.Minute || r.Analyze {
		t.Errorf("resolved zero knobs are not production's: %+v", r)
	}
}

func TestKnobsParse(t *testing.T) {
	cases := []struct {
		in      string
		label   string
		wantErr string
	}{
		{"", "production", ""},
		{"breaker_threshold=20", "production", ""},
		{"breaker_threshold=200", "breaker_threshold=200", ""},
		{"breaker_window=1h, analyze=true", "breaker_window=1h0m0s,analyze=true", ""},
		{"dispatch_cooldown=10s/20s", "dispatch_cooldown=10s/20s", ""},
		{"breaker_failures_only=true", "breaker_failures_only=true", ""},
		{"breaker_failures_only=false", "production", ""},
		{"dispatch_cooldown=30s/60s/2m/5m/10m", "production", ""},
		{"breaker_threshold=0", "", "breaker_threshold"},
		{"breaker_window=-1s", "", "breaker_window"},
		{"active_interval=fast", "", "active_interval"},
		{"analyze=maybe", "", "analyze"},
		{"dispatch_cooldown=10s/x", "", "dispatch_cooldown"},
		{"warp=9", "", `unknown knob "warp"`},
		{"breaker_threshold", "", "want name=value"},
	}
	for _, c := range cases {
		var k Knobs
		err := k.Parse(c.in)
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Parse(%q) error %v, want one naming %q", c.in, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("Parse(%q): %v", c.in, err)
		case k.Label() != c.label:
			t.Errorf("Parse(%q) label %q, want %q", c.in, k.Label(), c.label)
		}
	}
}

func TestKnobsCooldown(t *testing.T) {
	k := Knobs{DispatchCooldown: []time.Duration{time.Second, 2 * time.Second}}
	for _, c := range []struct {
		attempts int
		want     time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {7, 2 * time.Second}} {
		if got := k.Cooldown(c.attempts); got != c.want {
			t.Errorf("Cooldown(%d) = %v, want %v", c.attempts, got, c.want)
		}
	}
}
