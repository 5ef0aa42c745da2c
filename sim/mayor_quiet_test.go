package sim

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// With work.mayor_quiet the mayor's heartbeats keep the SDK watermark of
// its start: after 40 minutes it is still working and heartbeating, yet
// its last_event_at is the time its session began running; without the
// knob every heartbeat moves it to within a heartbeat of now.
func TestMayorQuietWatermark(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		cfg := smallConfig()
		cfg.Work.MayorQuiet = quiet
		p := newProbe(t, cfg).run(40 * time.Minute)
		m := p.w.containers.procs[p.w.mayorID]
		if m == nil || m.state != procRunning {
			t.Fatalf("quiet %v: the mayor is not running", quiet)
		}
		a, err := p.w.Town().GetAgent(p.w.mayorID)
		if err != nil || a == nil {
			t.Fatalf("quiet %v: mayor row: %v", quiet, err)
		}
		now := p.w.eng.Now()
		if a.Status != model.AgentWorking || a.LastActivityAt.String < model.ISO(now.Add(-2*time.Minute)) {
			t.Errorf("quiet %v: mayor %s, last activity %s at %v; want working and heartbeating", quiet, a.Status, a.LastActivityAt.String, now)
		}
		want := model.ISO(now.Add(-2 * time.Minute))
		if quiet {
			want = model.ISO(m.runningAt)
			if a.LastEventAt.String != want {
				t.Errorf("quiet: last_event_at %s; want the session's start %s", a.LastEventAt.String, want)
			}
		} else if a.LastEventAt.String < want {
			t.Errorf("not quiet: last_event_at %s; want after %s", a.LastEventAt.String, want)
		}
	}
}
