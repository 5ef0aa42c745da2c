package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// triage-requests-served fires when a triage request stays open for more
// than its bound with no live triage process and no triage start, over the
// rows of a short real default run; a lightweight start call, a live
// process on a triage batch, or breaker-open ticks keep it quiet.
func TestTriageServedFires(t *testing.T) {
	c, db := passedRun(t, "default", 20*time.Minute)
	exec, one := rowsOf(t, db)
	request := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	batch := one(`SELECT bead_id FROM beads WHERE type = 'issue' AND bead_id != ? ORDER BY bead_id LIMIT 1`, request)
	start := c.now
	for _, tc := range []struct {
		name    string
		started bool // a lightweight start call every 10 min
		live    bool // a live process on the batch
		stuck   bool // a process on the batch whose stop hangs
		breaker bool
		fires   bool
	}{
		{"nobody serves it", false, false, false, false, true},
		{"triage starts asked", true, false, false, false, false},
		{"a live triage process", false, true, false, false, false},
		{"a triage process whose stop hangs", false, false, true, false, false},
		{"the breaker holds dispatch", false, false, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT triage`)
			defer db.Exec(`ROLLBACK TO triage`)
			defer func() { c.now, c.breakerOpen = start, false }()
			exec(`UPDATE beads SET status = 'open', labels = '["gt:triage-request"]' WHERE bead_id = ?`, request)
			exec(`UPDATE beads SET created_by = 'patrol', labels = '["gt:triage"]' WHERE bead_id = ?`, batch)
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropTriageServed).(*triageServedProp)
			view := &tickView{db: db}
			if tc.live {
				view.procs = []sim.ProcessView{{AgentID: "a", BeadID: batch, Live: true}}
			}
			if tc.stuck {
				view.procs = []sim.ProcessView{{AgentID: "a", BeadID: batch, State: "stopping"}}
			}
			c.breakerOpen = tc.breaker
			for i := 0; i <= 30; i++ { // 30 minutes of ticks
				c.now = start.Add(time.Duration(i) * time.Minute)
				if tc.started && i%10 == 0 {
					p.call(c, model.Call{Kind: model.CallStartAgent, Lightweight: true, BeadID: batch}, model.Result{}, c.now)
				}
				p.tick(c, view)
			}
			wantFired(t, c, PropTriageServed, tc.fires)
		})
	}
}
