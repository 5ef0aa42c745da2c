package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// safety/blocked-bead-not-dispatched fires on a BD-1 or BD-2 dispatch of an
// issue with a live blocker, and on BD-1's of an issue a staged convoy
// tracks; not when every blocker is closed or failed, for BD-2 and a staged
// convoy, or for RQ-5. liveness/ready-issue-dispatched fires on an issue
// ready for three reconciles that nothing dispatched; not when it is
// dispatched, blocked, staged, held, in its cooldown, or the Town drains.
// Both over a real run's rows.
func TestBlockedAndReadyDispatchFire(t *testing.T) {
	c, db := passedRun(t, "quiet-mayor", 20*time.Minute)
	exec, one := rowsOf(t, db)
	ids, err := db.Strings(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 3`)
	if err != nil || len(ids) < 3 {
		t.Fatalf("issues %v %v", ids, err)
	}
	issue, blocker, convoy := ids[0], ids[1], ids[2]
	polecat := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	at := c.now
	view := func(d time.Duration, draining bool) *tickView {
		c.now = at.Add(d)
		c.tickStart = c.now
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{Ran: true, Draining: draining},
			w: c.world, db: db, byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}}
	}
	reset := func(blockerStatus string, staged int, labels string) {
		c.failures = nil
		c.seen = map[string]bool{}
		exec(`UPDATE beads SET status = 'closed', assignee_agent_bead_id = NULL WHERE type = 'issue'`)
		exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL, status = 'idle'`)
		exec(`UPDATE beads SET status = 'open', labels = ?, dispatch_attempts = 0, last_dispatch_attempt_at = NULL WHERE bead_id = ?`,
			labels, issue)
		exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, blockerStatus, blocker)
		exec(`DELETE FROM bead_dependencies WHERE bead_id = ?`, issue)
		exec(`DELETE FROM convoy_metadata WHERE bead_id = ?`, convoy)
		exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'blocks')`, issue, blocker)
		exec(`INSERT INTO convoy_metadata (bead_id, total_beads, closed_beads, merge_mode, staged) VALUES (?, 1, 0, 'review-and-merge', ?)`,
			convoy, staged)
		exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'tracks')`, issue, convoy)
	}

	t.Run("blocked", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			rule    string
			blocker string
			staged  int
			fires   bool
		}{
			{"BD-1, blocker in progress", "BD-1", model.StatusInProgress, 0, true},
			{"BD-2, blocker open", "BD-2", model.StatusOpen, 0, true},
			{"BD-1, staged convoy", "BD-1", model.StatusClosed, 1, true},
			{"BD-1, blocker closed", "BD-1", model.StatusClosed, 0, false},
			{"BD-1, blocker failed", "BD-1", model.StatusFailed, 0, false},
			{"BD-2, staged convoy", "BD-2", model.StatusFailed, 1, false},
			{"RQ-5, blocker open", "RQ-5", model.StatusOpen, 0, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				reset(tc.blocker, tc.staged, "[]")
				p := propByName(t, PropBlockedNotDispatched).(*blockedNotDispatchedProp)
				p.action(c, reconciler.Action{Rule: tc.rule, Type: reconciler.DispatchAgent, BeadID: issue}, view(0, false))
				wantFired(t, c, PropBlockedNotDispatched, tc.fires)
			})
		}
	})

	t.Run("ready", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			blocker  string
			staged   int
			labels   string
			hooked   bool   // hooked to an idle polecat, assigned to it
			stamp    string // last dispatch attempt, relative to the first tick ("" = none)
			dispatch bool
			draining bool
			fires    bool
		}{
			{"unassigned, blocker closed", model.StatusClosed, 0, "[]", false, "", false, false, true},
			{"hooked to an idle agent", model.StatusFailed, 0, "[]", true, "", false, false, true},
			{"past its cooldown", model.StatusClosed, 0, "[]", false, "-1h", false, false, true},
			{"dispatched", model.StatusClosed, 0, "[]", false, "", true, false, false},
			{"blocker in review", model.StatusInReview, 0, "[]", false, "", false, false, false},
			{"staged convoy", model.StatusClosed, 1, "[]", false, "", false, false, false},
			{"held", model.StatusClosed, 0, `["` + model.LabelHeld + `"]`, false, "", false, false, false},
			{"in its cooldown", model.StatusClosed, 0, "[]", false, "0s", false, false, false},
			{"draining", model.StatusClosed, 0, "[]", false, "", false, true, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				reset(tc.blocker, tc.staged, tc.labels)
				if tc.hooked {
					exec(`UPDATE beads SET assignee_agent_bead_id = ? WHERE bead_id = ?`, polecat, issue)
					exec(`UPDATE agent_metadata SET current_hook_bead_id = ?, status = 'idle' WHERE bead_id = ?`, issue, polecat)
				}
				if tc.stamp != "" {
					d, _ := time.ParseDuration(tc.stamp)
					exec(`UPDATE beads SET dispatch_attempts = 1, last_dispatch_attempt_at = ? WHERE bead_id = ?`,
						model.ISO(at.Add(d)), issue)
				}
				p := propByName(t, PropReadyDispatched).(*readyDispatchedProp)
				for i := range readyTicks {
					v := view(time.Duration(i)*5*time.Second, tc.draining)
					if tc.dispatch {
						p.action(c, reconciler.Action{Rule: "BD-1", Type: reconciler.DispatchAgent, BeadID: issue}, v)
					}
					p.tick(c, v)
				}
				wantFired(t, c, PropReadyDispatched, tc.fires)
			})
		}
	})
}
