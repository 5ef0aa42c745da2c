package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// ended-convoy-left-alone and landing-only-for-finished-convoy judge the
// rows of convoy-review-then-land (convoys that landed through their
// merged landing merge request): quiet on the run as it ended, and firing
// on an action naming an ended convoy, an ended convoy re-stamped or
// reopened, and a landing merge request asked for a convoy that is not
// finished or already landed.
func TestConvoyEndPropertiesFire(t *testing.T) {
	c, db := passedRun(t, "convoy-review-then-land", 0)
	exec, one := rowsOf(t, db)
	convoy := one(`SELECT b.bead_id FROM beads b JOIN convoy_metadata m ON m.bead_id = b.bead_id
		WHERE b.type = 'convoy' AND b.status = 'closed' AND m.merge_mode = 'review-then-land'
		  AND EXISTS (SELECT 1 FROM bead_dependencies d JOIN beads mr ON mr.bead_id = d.bead_id
		    WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks' AND mr.type = 'merge_request')
		ORDER BY b.bead_id LIMIT 1`)
	landing := one(`SELECT mr.bead_id FROM bead_dependencies d JOIN beads mr ON mr.bead_id = d.bead_id
		WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND mr.type = 'merge_request' AND mr.status = 'closed'
		ORDER BY mr.bead_id LIMIT 1`, convoy)
	task := one(`SELECT i.bead_id FROM bead_dependencies d JOIN beads i ON i.bead_id = d.bead_id
		WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND i.type = 'issue' ORDER BY i.bead_id LIMIT 1`, convoy)
	taskMR := one(`SELECT mr.bead_id FROM bead_dependencies d JOIN beads mr ON mr.bead_id = d.bead_id
		WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND mr.type = 'merge_request' ORDER BY mr.bead_id LIMIT 1`, task)
	at := c.now
	view := func(d time.Duration, actions ...reconciler.Action) *tickView {
		c.now = at.Add(d)
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{Ran: true, Actions: actions},
			w: c.world, db: db, byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}}
	}
	land := reconciler.Action{Rule: "CV-7", Type: reconciler.CreateLandingMR, ConvoyID: convoy}
	// A landing that may be asked for: the convoy open again, its landing
	// MR the one just asked for (open).
	ready := func() {
		exec(`UPDATE beads SET status = 'open', closed_at = NULL WHERE bead_id = ?`, convoy)
		exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, landing)
	}
	for _, tc := range []struct {
		name, prop string
		breakIt    func()              // between the first and the second tick
		actions    []reconciler.Action // of the second tick
		fires      bool
	}{
		{"ended convoys as the run left them", PropConvoyEndStays, func() {}, nil, false},
		{"a close_convoy for a closed convoy", PropConvoyEndStays, func() {},
			[]reconciler.Action{{Rule: "CV-7", Type: reconciler.CloseConvoy, ConvoyID: convoy}}, true},
		{"a respawn-suppressed event for a closed convoy", PropConvoyEndStays, func() {},
			[]reconciler.Action{{Rule: "CV-7", Type: reconciler.EmitEvent, EventName: "reconciler.respawn_suppressed",
				EventData: [][2]string{{"convoyId", convoy}, {"suppressedAttempt", "2"}}}}, true},
		{"landed_at stamped again", PropConvoyEndStays, func() {
			exec(`UPDATE convoy_metadata SET landed_at = '2030-01-01T00:00:00.000Z' WHERE bead_id = ?`, convoy)
		}, nil, true},
		{"a closed convoy failed", PropConvoyEndStays, func() {
			exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, convoy)
		}, nil, true},
		{"a closed convoy reopened", PropConvoyEndStays, func() {
			exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, convoy)
		}, nil, true},
		{"a landing for a finished convoy", PropLandingWhenReady, ready, []reconciler.Action{land}, false},
		{"two landings in one tick", PropLandingWhenReady, ready, []reconciler.Action{land, land}, true},
		{"a landing while a task is in progress", PropLandingWhenReady, func() {
			ready()
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, task)
		}, []reconciler.Action{land}, true},
		{"a landing while a task's review is in flight", PropLandingWhenReady, func() {
			ready()
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, taskMR)
		}, []reconciler.Action{land}, true},
		{"a landing after one merged", PropLandingWhenReady, func() {
			exec(`UPDATE beads SET status = 'open', closed_at = NULL WHERE bead_id = ?`, convoy)
		}, []reconciler.Action{land}, true},
		{"a landing beside an active one", PropLandingWhenReady, func() {
			ready()
			exec(`INSERT INTO beads (bead_id, type, status, title, labels, metadata, created_by, created_at, updated_at)
				SELECT 'second-landing', type, 'in_progress', title, labels, metadata, created_by, created_at, updated_at
				FROM beads WHERE bead_id = ?`, landing)
			exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES ('second-landing', ?, 'tracks')`, convoy)
		}, []reconciler.Action{land}, true},
		{"a landing in a rig none of the convoy's issues is in", PropLandingWhenReady, func() {
			ready()
			exec(`UPDATE beads SET rig_id = 'another-rig' WHERE bead_id = ?`, landing)
		}, []reconciler.Action{land}, true},
		{"a landing for a review-and-merge convoy", PropLandingWhenReady, func() {
			ready()
			exec(`UPDATE convoy_metadata SET merge_mode = 'review-and-merge' WHERE bead_id = ?`, convoy)
		}, []reconciler.Action{land}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT convoy_end`)
			defer exec(`ROLLBACK TO convoy_end`)
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, tc.prop)
			tk := p.(ticker)
			tk.tick(c, view(0))
			tc.breakIt()
			tk.tick(c, view(5*time.Second, tc.actions...))
			wantFired(t, c, tc.prop, tc.fires)
			if u, ok := p.(unjudger); ok && !tc.fires && u.unjudged(c) != "" {
				t.Errorf("not judged: %s", u.unjudged(c))
			}
		})
	}
}

// convoy-progress-current fires on an open convoy whose stored progress
// stays off its closed issues for three clean ticks, and not for two, not
// when the figures move, and not across a tick whose reconcile threw.
func TestConvoyProgressFires(t *testing.T) {
	c, db := passedRun(t, "convoy-review-then-land", 0)
	exec, one := rowsOf(t, db)
	convoy := one(`SELECT bead_id FROM beads WHERE type = 'convoy' AND status = 'closed' ORDER BY bead_id LIMIT 1`)
	at := c.now
	view := func(d time.Duration, logs ...string) *tickView {
		c.now = at.Add(d)
		c.tickStart = c.now
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{Ran: true, Logs: logs},
			w: c.world, db: db, byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}}
	}
	wrongBy := func(n int) func() {
		return func() {
			exec(`UPDATE convoy_metadata SET closed_beads = (SELECT count(*) FROM bead_dependencies d JOIN beads i ON i.bead_id = d.bead_id
				WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND i.type = 'issue'
				  AND i.status IN ('closed', 'failed')) - ? WHERE bead_id = ?`, convoy, n, convoy)
		}
	}
	for _, tc := range []struct {
		name  string
		ticks []func() // before each tick
		logs  []string // of the second tick
		fires bool
	}{
		{"progress right", []func(){wrongBy(0), func() {}, func() {}}, nil, false},
		{"one behind for three ticks", []func(){wrongBy(1), func() {}, func() {}}, nil, true},
		{"one behind for two ticks", []func(){wrongBy(1), func() {}, wrongBy(0)}, nil, false},
		{"behind by a moving figure", []func(){wrongBy(1), wrongBy(2), wrongBy(1)}, nil, false},
		{"a reconcile that threw between", []func(){wrongBy(1), func() {}, func() {}}, []string{"T9 reconcile: boom"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(`SAVEPOINT progress`)
			defer exec(`ROLLBACK TO progress`)
			exec(`UPDATE beads SET status = 'open', closed_at = NULL WHERE bead_id = ?`, convoy)
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropConvoyProgress).(*convoyProgressProp)
			for i, before := range tc.ticks {
				before()
				var logs []string
				if i == 1 {
					logs = tc.logs
				}
				p.tick(c, view(time.Duration(i)*5*time.Second, logs...))
			}
			wantFired(t, c, PropConvoyProgress, tc.fires)
			if p.unjudged(c) != "" {
				t.Errorf("not judged: %s", p.unjudged(c))
			}
		})
	}
}
