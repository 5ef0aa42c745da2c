package alarm

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// Tests named after reconciler.md §8 hazards (and one model.md §7 item)
// that only show over a whole tick.

// TestHazard02_Invariant3ContradictsFastTrack: with code review off, RQ-FT
// moves an open PR-backed MR to in_progress although another PR-backed MR
// of the rig is in progress, as the rules allow; T11 of the same tick
// reports that as a violation of invariant #3.
func TestHazard02_Invariant3ContradictsFastTrack(t *testing.T) {
	for _, tc := range []struct {
		name       string
		inProgress bool // a PR-backed MR of the rig is already in progress
		want       int  // #3 violations
	}{
		{"second PR-backed MR fast-tracked: violation", true, 1},
		{"single MR fast-tracked: none", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			at := t0.Add(-time.Minute)
			rig := f.rig("alpha", t0.Add(-time.Hour))
			f.exec(`UPDATE rigs SET config = '{"code_review":false}' WHERE id = ?`, rig)
			if tc.inProgress {
				f.mr(model.StatusInProgress, rig, "https://github.com/acme/alpha/pull/1", "", at)
			}
			open := f.mr(model.StatusOpen, rig, "https://github.com/acme/alpha/pull/2", "", at)
			res := f.tick()
			if got := f.str(`SELECT status FROM beads WHERE bead_id = ?`, open); got != model.StatusInProgress {
				t.Fatalf("open MR is %s, want fast-tracked to in_progress (actions %v)", got, actionStrings(res.Actions))
			}
			var got []Violation
			for _, v := range res.Violations {
				if v.Number == 3 {
					got = append(got, v)
				}
			}
			if len(got) != tc.want {
				t.Fatalf("#3 violations %+v, want %d", got, tc.want)
			}
			if tc.want == 1 && got[0].Message != fmt.Sprintf("Rig %s has 2 in_progress MR beads (should be at most 1)", rig) {
				t.Errorf("message %q", got[0].Message)
			}
		})
	}
}

// TestHazard17_DebugApplyIgnoresTownConfig: the dry-run applies pending
// events without the town config, so with conflict auto-resolve switched
// off for the town it still creates a conflict issue (which BD-1 then
// dispatches), while the live tick escalates instead.
func TestHazard17_DebugApplyIgnoresTownConfig(t *testing.T) {
	f := newFixture(t)
	off := false
	if err := f.t.EditTownConfig(func(c *model.TownConfig) { c.Refinery.AutoResolveMergeConflicts = &off }); err != nil {
		f.tb.Fatal(err)
	}
	rig := f.rig("alpha", t0.Add(-time.Hour))
	src := f.bead(model.TypeIssue, model.StatusInReview, rig, t0.Add(-time.Minute))
	mr := f.mr(model.StatusOpen, rig, "https://github.com/acme/alpha/pull/3", src, t0.Add(-time.Minute))
	f.event(model.EventPRConflictDetected, "", mr,
		fmt.Sprintf(`{"mr_bead_id":%q,"branch":"feat","pr_url":"https://github.com/acme/alpha/pull/3"}`, mr),
		t0.Add(-time.Second), time.Time{})
	dr, err := DryRun(f.t, t0)
	if err != nil {
		t.Fatal(err)
	}
	res := f.tick()
	dispatches := func(as []reconciler.Action) int {
		n := 0
		for _, a := range as {
			if a.Type == reconciler.DispatchAgent && a.BeadID != mr {
				n++
			}
		}
		return n
	}
	if d, l := dispatches(dr.Actions), dispatches(res.Actions); d != 1 || l != 0 {
		t.Errorf("conflict-issue dispatches: dry-run %d (%v), live tick %d (%v); want 1 and 0",
			d, actionStrings(dr.Actions), l, actionStrings(res.Actions))
	}
	if n := f.count(`SELECT COUNT(*) FROM beads WHERE type = 'escalation'`); n != 1 {
		t.Errorf("live tick escalations = %d, want 1", n)
	}
	if n := f.count(`SELECT COUNT(*) FROM beads WHERE labels LIKE '%gt:pr-conflict%'`); n != 0 {
		t.Errorf("live tick conflict issues = %d, want 0", n)
	}
}

// TestInconsistency20_ReconcilerNudgeTwoRows (model.md §7.20): a GUPP warn
// in a tick leaves two agent_nudges rows: the reconciler:warn row (ISO,
// pending for the agent's own pickup) and the reconciler row of the
// delivery (SQLite format, delivered). The next tick is deduplicated by
// the tier row and adds none.
func TestInconsistency20_ReconcilerNudgeTwoRows(t *testing.T) {
	f := newFixture(t)
	f.answers[model.CallSendMessage] = model.Result{StatusCode: 200, OK: true}
	rig := f.rig("alpha", t0.Add(-time.Hour))
	issue := f.bead(model.TypeIssue, model.StatusInProgress, rig, t0.Add(-time.Minute))
	agent := f.agent(model.RolePolecat, model.AgentWorking, rig, issue, t0.Add(-10*time.Second))
	f.exec(`UPDATE agent_metadata SET last_event_at = ? WHERE bead_id = ?`, model.ISO(t0.Add(-20*time.Minute)), agent)
	rows := func() []string {
		out, err := f.t.DB().Strings(`SELECT source || ' ' || created_at || ' ' || COALESCE(delivered_at, '<NULL>')
			FROM agent_nudges WHERE agent_bead_id = ? ORDER BY rowid`, agent)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	f.tick()
	want := []string{
		"reconciler:warn " + model.ISO(t0) + " <NULL>",
		"reconciler " + model.SQLiteTime(t0) + " " + model.SQLiteTime(t0),
	}
	if got := rows(); !slices.Equal(got, want) {
		t.Fatalf("nudge rows %q, want %q", got, want)
	}
	if sent := f.calls(model.CallSendMessage); len(sent) != 1 || sent[0].AgentID != agent {
		t.Fatalf("messages sent %+v, want one to the agent", sent)
	}
	f.env.Clock = t0.Add(time.Minute)
	f.tick()
	if got := rows(); !slices.Equal(got, want) {
		t.Errorf("after a second tick: nudge rows %q, want %q", got, want)
	}
}
