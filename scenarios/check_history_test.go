package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// The properties written for production's own bugs stay quiet on a real
// convoy run and each fires on a hand-made violation after it.
func TestHistoryPropertiesFire(t *testing.T) {
	c, db := passedRun(t, "convoy-review-then-land", time.Hour)
	exec, one := rowsOf(t, db)
	at := c.now
	view := func(d time.Duration, procs ...sim.ProcessView) *tickView {
		c.now = at.Add(d)
		v := &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, w: c.world, db: db, procs: procs,
			byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}}
		for _, p := range procs {
			v.byAgent[p.AgentID] = p
		}
		return v
	}
	convoy := one(`SELECT bead_id FROM beads WHERE type = 'convoy' ORDER BY bead_id LIMIT 1`)
	mr := one(`SELECT bead_id FROM beads WHERE type = 'merge_request' ORDER BY bead_id LIMIT 1`)
	issue := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	polecat := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	const url = "https://github.com/o/r/pull/99"

	for _, tc := range []struct {
		prop    string
		breakIt func(t *testing.T, p property)
	}{
		{PropDirtyNotMerged, func(t *testing.T, p property) {
			// a merge call a minute after the PR answered dirty
			p.(caller).call(c, model.Call{Kind: model.CallPRStatus, URL: url},
				model.Result{StatusCode: 200, PR: model.PRStatus{OK: true, State: "open", MergeableState: "dirty"}}, at)
			p.(caller).call(c, model.Call{Kind: model.CallMergePR, URL: url}, model.Result{StatusCode: 405}, at.Add(time.Minute))
		}},
		{PropGUPPAfterDispatch, func(t *testing.T, p property) {
			// GUPP warns an agent two minutes after its dispatch started it
			p.(caller).call(c, model.Call{Kind: model.CallStartAgent, AgentID: polecat, BeadID: issue, Role: model.RolePolecat},
				model.Result{StatusCode: 200}, at)
			proc := sim.ProcessView{AgentID: polecat, BeadID: issue, Role: model.RolePolecat, State: "running", Live: true, Started: at}
			p.(actor).action(c, reconciler.Action{Rule: "GUPP-warn", Type: reconciler.SendNudge, AgentID: polecat}, view(2*time.Minute, proc))
		}},
		{PropConvoyFailsLast, func(t *testing.T, p property) {
			// a convoy failed while a merge request tracking it is open
			exec(`INSERT OR IGNORE INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'tracks')`, mr, convoy)
			exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, mr)
			exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, convoy)
			p.(ticker).tick(c, view(0))
		}},
		{PropFollowUpNotReview, func(t *testing.T, p property) {
			// a merge request made for a PR-feedback bead
			exec(`UPDATE beads SET labels = '["gt:pr-feedback"]' WHERE bead_id = ?`, issue)
			p.(ticker).tick(c, view(0))
			exec(`INSERT OR IGNORE INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'tracks')`, mr, issue)
			exec(`UPDATE beads SET created_at = ? WHERE bead_id = ?`, model.ISO(at.Add(30*time.Second)), mr)
			p.(ticker).tick(c, view(time.Minute))
		}},
		{PropReviewOffQueue, func(t *testing.T, p property) {
			// an open MR of a rig with code review off, the rig free, for 16 min
			exec(`UPDATE rigs SET config = json_set(COALESCE(config, '{}'), '$.code_review', 0)
				WHERE id = (SELECT rig_id FROM beads WHERE bead_id = ?)`, mr)
			exec(`UPDATE beads SET status = 'closed' WHERE type = 'merge_request' AND status = 'in_progress'`)
			exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, mr)
			c.breakerOpen = false
			p.(ticker).tick(c, view(0))
			p.(ticker).tick(c, view(reviewPopBound+time.Minute))
		}},
		{PropLandingSuppressed, func(t *testing.T, p property) {
			// a landing MR failed while its PR awaited approval; another landing MR follows
			mrs, err := db.Strings(`SELECT bead_id FROM beads WHERE type = 'merge_request' ORDER BY bead_id LIMIT 2`)
			if err != nil || len(mrs) < 2 {
				t.Fatalf("two merge requests: %v %v", mrs, err)
			}
			for _, id := range mrs {
				exec(`INSERT OR IGNORE INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'tracks')`, id, convoy)
				exec(`UPDATE beads SET created_by = 'system' WHERE bead_id = ?`, id)
			}
			exec(`UPDATE beads SET status = 'failed', created_at = ? WHERE bead_id = ?`, model.ISO(at), mrs[0])
			exec(`UPDATE review_metadata SET pr_url = ? WHERE bead_id = ?`, url, mrs[0])
			exec(`UPDATE beads SET created_at = ? WHERE bead_id = ?`, model.ISO(at.Add(-time.Hour)), mrs[1])
			p.(caller).call(c, model.Call{Kind: model.CallPRFeedback, URL: url},
				model.Result{StatusCode: 200, Feedback: &model.PRFeedback{ReviewDecision: "REVIEW_REQUIRED"}}, at)
			p.(ticker).tick(c, view(0))
			exec(`UPDATE beads SET created_at = ? WHERE bead_id = ?`, model.ISO(at.Add(2*time.Minute)), mrs[1])
			p.(ticker).tick(c, view(3*time.Minute))
		}},
		{PropGUPPSparesMayor, func(t *testing.T, p property) {
			// GUPP warns the mayor
			exec(`UPDATE agent_metadata SET role = 'mayor' WHERE bead_id = ?`, polecat)
			defer exec(`UPDATE agent_metadata SET role = 'polecat' WHERE bead_id = ?`, polecat)
			p.(actor).action(c, reconciler.Action{Rule: "GUPP-warn", Type: reconciler.SendNudge, AgentID: polecat}, view(0))
		}},
		{PropBlameHasActor, func(t *testing.T, p property) {
			// an MR failed "for the polecat's missing PR" that tracks the
			// convoy, which no polecat ran on or was hooked to
			exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, mr)
			exec(`INSERT INTO bead_events (bead_event_id, bead_id, event_type, old_value, new_value, metadata, created_at)
				VALUES ('blame-1', ?, 'status_changed', 'open', 'failed', '{"reason":"MR bead has no pr_url and code review is disabled — polecat failed to create PR"}', '2026-01-01T01:00:00.000Z')`, mr)
			exec(`DELETE FROM bead_dependencies WHERE bead_id = ? AND dependency_type = 'tracks'`, mr)
			exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'tracks')`, mr, convoy)
			p.(ticker).tick(c, view(0, sim.ProcessView{AgentID: polecat, BeadID: issue, Role: model.RolePolecat, Live: true}))
			p.(ender).end(c, c.world, db)
		}},
		{PropOpenIssueCadence, func(t *testing.T, p property) {
			// an open, unassigned issue at a tick's end, and no tick for 5 minutes
			exec(`UPDATE beads SET status = 'open', assignee_agent_bead_id = NULL, rig_id = COALESCE(rig_id, 'r') WHERE bead_id = ?`, issue)
			p.(ticker).tick(c, view(0))
			p.(ticker).tick(c, view(5*time.Minute))
		}},
	} {
		t.Run(tc.prop, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			tc.breakIt(t, propByName(t, tc.prop))
			if len(c.failures) == 0 || c.failures[0].Property != tc.prop {
				t.Errorf("%s did not fire: %v", tc.prop, c.failures)
			}
		})
	}
}
