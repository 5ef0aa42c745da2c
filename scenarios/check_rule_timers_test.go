package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// safety/timed-rule-edges fires on a timed rule that acts before its
// threshold, acts again inside its dedupe window, or does not act on a row
// that met its whole condition past the threshold across a tick; and not
// when the rule acts in time, when the row changed during the tick, or
// when a paused rule's tick reconciled while draining; and it fires on a
// rule acting on a row a condition kept out of it across the tick (BD-3
// on an issue a working agent holds).
func TestTimedRuleEdgesFires(t *testing.T) {
	c, db := passedRun(t, "quiet-mayor", 20*time.Minute)
	exec, one := rowsOf(t, db)
	polecat := one(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 1`)
	issue := one(`SELECT bead_id FROM beads WHERE type = 'issue' ORDER BY bead_id LIMIT 1`)
	issueStatus := one(`SELECT status FROM beads WHERE bead_id = ?`, issue)
	at := c.now
	iso := func(d time.Duration) string { return model.ISO(at.Add(-d)) }
	view := func(d time.Duration, draining bool) *tickView {
		c.now = at.Add(d)
		c.tickStart = c.now
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, res: &alarm.TickResult{Ran: true, Draining: draining},
			w: c.world, db: db, byAgent: map[string]sim.ProcessView{}, holds: map[string]bool{}}
	}
	// reset puts the polecat into a state no timed rule selects.
	reset := func() {
		exec(`UPDATE agent_metadata SET status = 'idle', dispatch_attempts = 0, stalled_at = NULL,
			last_activity_at = ?, last_event_at = NULL, current_hook_bead_id = NULL WHERE bead_id = ?`, iso(0), polecat)
		exec(`DELETE FROM agent_nudges WHERE agent_bead_id = ?`, polecat)
		exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, issueStatus, issue)
	}
	act := func(rule string) reconciler.Action {
		return reconciler.Action{Rule: rule, Type: reconciler.TransitionAgent, AgentID: polecat}
	}
	for _, tc := range []struct {
		name  string
		setup func()
		run   func(p *timedRuleProp)
		fires bool
	}{
		{"AG-3 resets before 30 min of quiet", func() {
			exec(`UPDATE agent_metadata SET dispatch_attempts = 5, last_activity_at = ? WHERE bead_id = ?`, iso(10*time.Minute), polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			v := view(5*time.Second, false)
			p.action(c, act("AG-3"), v)
			p.tick(c, v)
		}, true},
		{"AG-3 resets after 30 min of quiet", func() {
			exec(`UPDATE agent_metadata SET dispatch_attempts = 5, last_activity_at = ? WHERE bead_id = ?`, iso(31*time.Minute), polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			v := view(5*time.Second, false)
			p.action(c, act("AG-3"), v)
			exec(`UPDATE agent_metadata SET dispatch_attempts = 0 WHERE bead_id = ?`, polecat)
			p.tick(c, v)
		}, false},
		{"AG-3 never resets past 30 min", func() {
			exec(`UPDATE agent_metadata SET dispatch_attempts = 5, last_activity_at = ? WHERE bead_id = ?`, iso(31*time.Minute), polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			p.tick(c, view(5*time.Second, false))
		}, true},
		{"the row changed during the tick", func() {
			exec(`UPDATE agent_metadata SET dispatch_attempts = 5, last_activity_at = ? WHERE bead_id = ?`, iso(31*time.Minute), polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			exec(`UPDATE agent_metadata SET last_activity_at = ? WHERE bead_id = ?`, iso(0), polecat)
			p.tick(c, view(5*time.Second, false))
		}, false},
		{"AG-2 idles nobody 2.5 h after the stall", func() {
			exec(`UPDATE agent_metadata SET status = 'stalled', stalled_at = ? WHERE bead_id = ?`, iso(151*time.Minute), polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			p.tick(c, view(5*time.Second, false))
		}, true},
		{"AG-2 paused while draining", func() {
			exec(`UPDATE agent_metadata SET status = 'stalled', stalled_at = ? WHERE bead_id = ?`, iso(151*time.Minute), polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, true))
			p.tick(c, view(5*time.Second, true))
		}, false},
		{"GUPP warns again inside the hour", func() {
			exec(`UPDATE agent_metadata SET status = 'working', last_activity_at = ?, last_event_at = ? WHERE bead_id = ?`,
				iso(40*time.Minute), iso(40*time.Minute), polecat)
			exec(`INSERT INTO agent_nudges (nudge_id, agent_bead_id, message, source, created_at) VALUES ('n-timer', ?, 'm', 'reconciler:warn', ?)`,
				polecat, iso(20*time.Minute))
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			v := view(5*time.Second, false)
			p.action(c, act("GUPP-warn"), v)
			p.tick(c, v)
		}, true},
		{"GUPP warns a silent agent once, past 15 min", func() {
			exec(`UPDATE agent_metadata SET status = 'working', last_activity_at = ?, last_event_at = ? WHERE bead_id = ?`,
				iso(16*time.Minute), iso(16*time.Minute), polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			v := view(5*time.Second, false)
			p.action(c, act("GUPP-warn"), v)
			exec(`INSERT INTO agent_nudges (nudge_id, agent_bead_id, message, source, created_at) VALUES ('n-timer', ?, 'm', 'reconciler:warn', ?)`,
				polecat, model.ISO(v.rec.At))
			p.tick(c, v)
			p.tick(c, view(10*time.Second, false))
		}, false},
		{"GUPP escalates before the hour", func() {
			exec(`UPDATE agent_metadata SET status = 'working', last_activity_at = ?, last_event_at = ? WHERE bead_id = ?`,
				iso(50*time.Minute), iso(50*time.Minute), polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			v := view(5*time.Second, false)
			p.action(c, act("GUPP-escalate"), v)
			p.tick(c, v)
		}, true},
		{"BD-3 resets an issue a working agent holds", func() {
			exec(`UPDATE beads SET status = 'in_progress', updated_at = ? WHERE bead_id = ?`, iso(10*time.Minute), issue)
			exec(`UPDATE agent_metadata SET status = 'working', current_hook_bead_id = ? WHERE bead_id = ?`, issue, polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			v := view(5*time.Second, false)
			p.action(c, reconciler.Action{Rule: "BD-3", Type: reconciler.TransitionBead, BeadID: issue}, v)
			p.tick(c, v)
		}, true},
		{"BD-3 resets an issue updated a minute ago, not abandoned then", func() {
			exec(`UPDATE beads SET status = 'in_progress', updated_at = ? WHERE bead_id = ?`, iso(time.Minute), issue)
			exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id = ?`, issue, polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL WHERE bead_id = ?`, polecat)
			v := view(5*time.Second, false)
			p.action(c, reconciler.Action{Rule: "BD-3", Type: reconciler.TransitionBead, BeadID: issue}, v)
			p.tick(c, v)
		}, true},
		{"BD-3 resets an abandoned issue after 5 min", func() {
			exec(`UPDATE beads SET status = 'in_progress', updated_at = ? WHERE bead_id = ?`, iso(6*time.Minute), issue)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			v := view(5*time.Second, false)
			p.action(c, reconciler.Action{Rule: "BD-3", Type: reconciler.TransitionBead, BeadID: issue}, v)
			exec(`UPDATE beads SET status = 'open' WHERE bead_id = ?`, issue)
			p.tick(c, v)
		}, false},
		{"GUPP never force-stops past 2 h", func() {
			exec(`UPDATE agent_metadata SET status = 'working', last_activity_at = ?, last_event_at = ? WHERE bead_id = ?`,
				iso(121*time.Minute), iso(121*time.Minute), polecat)
		}, func(p *timedRuleProp) {
			p.tick(c, view(0, false))
			p.tick(c, view(5*time.Second, false))
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.failures = nil
			c.seen = map[string]bool{}
			reset()
			tc.setup()
			p := propByName(t, PropTimedRuleEdges).(*timedRuleProp)
			tc.run(p)
			fired := false
			for _, f := range c.failures {
				fired = fired || f.Property == PropTimedRuleEdges
			}
			if fired != tc.fires || (!tc.fires && len(c.failures) > 0) {
				t.Errorf("fired %v, want %v: %v", fired, tc.fires, c.failures)
			}
		})
	}
}
