package sim

import (
	"testing"
	"time"
)

// After a container eviction the mayor's process is gone. Production
// starts it again when a user loads the town's page (handleEnsureMayor in
// src/handlers/mayor.handler.ts → ensureMayor in src/dos/Town.do.ts), not
// from the alarm; without visits the mayor stays down.
func TestMayorRestartedByDashboardVisits(t *testing.T) {
	for _, c := range []struct {
		visits float64
		want   bool
	}{{0, false}, {30, true}} {
		cfg := smallConfig()
		cfg.Workload.DashboardVisitsPerHour = c.visits
		p := newProbe(t, cfg).run(3 * time.Minute)
		if !p.w.mayorRunning() {
			t.Fatal("mayor not running before the eviction")
		}
		old := p.w.containers.procs[p.w.mayorID]
		p.w.containers.evict()
		p.run(5 * time.Minute)
		if old.state.live() {
			t.Fatal("the mayor's process survived the eviction")
		}
		p.run(60 * time.Minute)
		restarted := p.w.mayorRunning() && p.w.containers.procs[p.w.mayorID] != old
		if restarted != c.want {
			t.Errorf("visits %v/h: mayor restarted %v, want %v", c.visits, restarted, c.want)
		}
	}
}
