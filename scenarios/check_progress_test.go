package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// Each progress property fires on a small fake state that breaks it,
// built on the rows of a real convoy run (which none of them failed).
func TestProgressPropertiesFire(t *testing.T) {
	c, db := passedRun(t, "convoy-review-then-land", 90*time.Minute)
	exec, one := rowsOf(t, db)
	at := c.now
	view := func(d time.Duration, procs ...sim.ProcessView) *tickView {
		c.now = at.Add(d)
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, w: c.world, db: db, procs: procs, holds: map[string]bool{}}
	}
	convoy := one(`SELECT bead_id FROM beads WHERE type = 'convoy' ORDER BY bead_id LIMIT 1`)
	mr := one(`SELECT bead_id FROM beads WHERE type = 'merge_request' AND rig_id IS NOT NULL ORDER BY bead_id LIMIT 1`)
	refinery := one(`SELECT bead_id FROM agent_metadata WHERE role = 'refinery' ORDER BY bead_id LIMIT 1`)
	issue := one(`SELECT bead_id FROM beads WHERE type = 'issue' AND status != 'closed' ORDER BY bead_id LIMIT 1`)
	const url = "https://github.com/o/r/pull/99"
	green := model.Result{StatusCode: 200, Feedback: &model.PRFeedback{AllChecksPass: true, ReviewDecision: "APPROVED", MergeStateStatus: "CLEAN"}}

	for _, tc := range []struct {
		prop    string
		breakIt func(t *testing.T, p property)
	}{
		{PropConvoyCloses, func(t *testing.T, p property) {
			// closed behind the Town's back, its landing MR (if any) not merged
			exec(`UPDATE beads SET status = 'open' WHERE type = 'merge_request' AND bead_id IN
				(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks')`, convoy)
			exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, convoy)
			p.(ticker).tick(c, view(0))
		}},
		{PropConvoyLands, func(t *testing.T, p property) {
			// every tracked issue closed, no landing MR, the convoy open
			exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, convoy)
			exec(`DELETE FROM bead_dependencies WHERE depends_on_bead_id = ? AND bead_id IN
				(SELECT bead_id FROM beads WHERE type = 'merge_request')`, convoy)
			exec(`UPDATE beads SET status = 'closed' WHERE bead_id IN
				(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks')`, convoy)
			// and no merge request of a tracked issue still in flight
			exec(`UPDATE beads SET status = 'closed' WHERE type = 'merge_request' AND bead_id IN
				(SELECT m.bead_id FROM bead_dependencies m JOIN bead_dependencies d ON d.bead_id = m.depends_on_bead_id
				 WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND m.dependency_type = 'tracks')`, convoy)
			p.(ticker).tick(c, view(0))
			p.(ticker).tick(c, view(convoyLandBound+time.Minute))
		}},
		{PropReviewApplied, func(t *testing.T, p property) {
			// the refinery sent gt_done on a PR-less MR that stays in progress
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, mr)
			exec(`UPDATE review_metadata SET pr_url = NULL WHERE bead_id = ?`, mr)
			exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id = ?`, mr, refinery)
			fin := sim.ProcessView{AgentID: refinery, BeadID: mr, Role: model.RoleRefinery, Finished: true}
			p.(ticker).tick(c, view(0, fin))
			p.(ticker).tick(c, view(reviewAppliedBound+time.Minute, fin))
		}},
		{PropAutoMergeCall, func(t *testing.T, p property) {
			// green from the first answer through the delay, no merge call
			call := model.Call{Kind: model.CallPRFeedback, URL: url}
			p.(caller).call(c, call, green, at)
			p.(caller).call(c, call, green, at.Add(c.cfg.Town.AutoMergeDelay))
			p.(ticker).tick(c, view(c.cfg.Town.AutoMergeDelay+autoMergeBound+time.Second))
		}},
		{PropReviewPopped, func(t *testing.T, p property) {
			// an open MR, no review in progress, no refinery, none started
			exec(`UPDATE beads SET status = 'closed' WHERE type = 'merge_request' AND status = 'in_progress'`)
			exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, mr)
			c.breakerOpen = false
			p.(ticker).tick(c, view(0))
			p.(ticker).tick(c, view(reviewPopBound+time.Minute))
		}},
		{PropAuditLog, func(t *testing.T, p property) {
			// a status change with no status_changed event
			p.(ticker).tick(c, view(0))
			exec(`UPDATE beads SET status = 'in_review' WHERE bead_id = ?`, issue)
			p.(ticker).tick(c, view(time.Minute))
		}},
		{PropAuditLog, func(t *testing.T, p property) {
			// a rework_requested event without its metadata
			p.(ticker).tick(c, view(0))
			exec(`INSERT INTO bead_events (bead_event_id, bead_id, agent_id, event_type, old_value, new_value, metadata, created_at)
				VALUES ('ev-test', ?, NULL, 'rework_requested', NULL, 'x', '{}', ?)`, mr, model.ISO(at.Add(30*time.Second)))
			p.(ticker).tick(c, view(time.Minute))
		}},
		{PropAuditLog, func(t *testing.T, p property) {
			// an issue the user created with no `created` event
			exec(`DELETE FROM bead_events WHERE event_type = 'created' AND bead_id = ?`, c.world.Issues()[0].ID)
			p.(ticker).tick(c, view(0))
		}},
		{PropExitIdle, func(t *testing.T, p property) {
			// the container says the process exited; the agent stays working
			exec(`UPDATE agent_metadata SET status = 'working' WHERE bead_id = ?`, refinery)
			p.(caller).call(c, model.Call{Kind: model.CallAgentStatus, AgentID: refinery},
				model.Result{StatusCode: 200, Status: "exited"}, at)
			p.(ticker).tick(c, view(exitIdleBound+time.Second))
		}},
		{PropDrainClears, func(t *testing.T, p property) {
			// the drain flag seen with no eviction in the world
			v := view(0)
			v.res = &alarm.TickResult{Ran: true, Draining: true}
			p.(ticker).tick(c, v)
		}},
		{PropIdleHookReleased, func(t *testing.T, p property) {
			// an idle agent hooked to a closed bead, on a tick that ran (grace 0)
			exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, mr)
			exec(`UPDATE agent_metadata SET status = 'idle', current_hook_bead_id = ? WHERE bead_id = ?`, mr, refinery)
			grace := c.b.Grace
			c.b.Grace = 0
			defer func() { c.b.Grace = grace }()
			v := view(0)
			v.res = &alarm.TickResult{Ran: true}
			p.(ticker).tick(c, v)
		}},
		{PropMRFate, func(t *testing.T, p property) {
			// the world's GitHub merged the PR; the Town never polls it
			merged := ""
			for _, pr := range c.world.PRs() {
				if pr.State == "merged" {
					merged = pr.URL
				}
			}
			if merged == "" {
				t.Skip("no PR merged in the run")
			}
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id =
				(SELECT bead_id FROM review_metadata WHERE pr_url = ? LIMIT 1)`, merged)
			for i := range 12 { // the Town ticks every minute and never polls
				v := view(time.Duration(i) * time.Minute)
				v.res = &alarm.TickResult{Ran: true}
				p.(ticker).tick(c, v)
			}
		}},
		{PropPRPolled, func(t *testing.T, p property) {
			// an MR in progress with a GitHub PR the Town never asks about
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, mr)
			exec(`UPDATE review_metadata SET pr_url = ? WHERE bead_id = ?`, url, mr)
			for i := range prPolledTicks + 2 {
				v := view(time.Duration(i) * 5 * time.Second)
				v.res = &alarm.TickResult{Ran: true}
				p.(ticker).tick(c, v)
			}
		}},
	} {
		t.Run(tc.prop, func(t *testing.T) {
			c.failures, c.seen = nil, map[string]bool{}
			tc.breakIt(t, propByName(t, tc.prop))
			if len(c.failures) == 0 || c.failures[0].Property != tc.prop {
				t.Fatalf("failures %v; want %s", c.failures, tc.prop)
			}
			t.Log(c.failures[0])
		})
	}
}

// liveness/complete-convoy-lands waits while a merge request of a tracked
// issue is still open or in progress (the convoy is not done until it
// ends, CV-3), and fires once it has ended and the bound has passed.
func TestConvoyLandsWaitsForInFlightMR(t *testing.T) {
	c, db := passedRun(t, "convoy-review-then-land", 90*time.Minute)
	exec, one := rowsOf(t, db)
	at := c.now
	view := func(d time.Duration) *tickView {
		c.now = at.Add(d)
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, w: c.world, db: db, holds: map[string]bool{}}
	}
	convoy := one(`SELECT bead_id FROM beads WHERE type = 'convoy' ORDER BY bead_id LIMIT 1`)
	issue := one(`SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks'
		AND bead_id IN (SELECT bead_id FROM beads WHERE type = 'issue') ORDER BY bead_id LIMIT 1`, convoy)
	mr := one(`SELECT bead_id FROM beads WHERE type = 'merge_request' ORDER BY bead_id LIMIT 1`)
	exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, convoy)
	exec(`DELETE FROM bead_dependencies WHERE depends_on_bead_id = ? AND bead_id IN
		(SELECT bead_id FROM beads WHERE type = 'merge_request')`, convoy)
	exec(`UPDATE beads SET status = 'closed' WHERE bead_id IN
		(SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks')`, convoy)
	exec(`UPDATE beads SET status = 'closed' WHERE type = 'merge_request' AND bead_id IN
		(SELECT m.bead_id FROM bead_dependencies m JOIN bead_dependencies d ON d.bead_id = m.depends_on_bead_id
		 WHERE d.depends_on_bead_id = ? AND d.dependency_type = 'tracks' AND m.dependency_type = 'tracks')`, convoy)
	// the task was closed by its user while its merge request is in review
	exec(`DELETE FROM bead_dependencies WHERE bead_id = ? AND dependency_type = 'tracks'`, mr)
	exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'tracks')`, mr, issue)
	exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, mr)
	p := propByName(t, PropConvoyLands)
	c.failures, c.seen = nil, map[string]bool{}
	p.(ticker).tick(c, view(0))
	p.(ticker).tick(c, view(convoyLandBound+time.Minute))
	if len(c.failures) != 0 {
		t.Fatalf("fired while a tracked issue's merge request is in flight: %v", c.failures)
	}
	exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, mr)
	p.(ticker).tick(c, view(convoyLandBound+2*time.Minute))
	p.(ticker).tick(c, view(2*convoyLandBound+3*time.Minute))
	if len(c.failures) == 0 {
		t.Fatal("quiet after the merge request ended and the bound passed")
	}
}
