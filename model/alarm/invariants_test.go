package alarm

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// Each invariant of §4.1 with a state that violates it (exact message) and
// one that does not.
func TestInvariants(t *testing.T) {
	at := t0.Add(-time.Minute)
	for _, tc := range []struct {
		name  string
		setup func(f *fixture) []string // returns the expected messages
	}{
		{"#7 working agent without hook", func(f *fixture) []string {
			a := f.agent(model.RolePolecat, model.AgentWorking, "", "", at)
			return []string{fmt.Sprintf("Working agent %s has no hook", a)}
		}},
		{"#7 refinery counts too", func(f *fixture) []string {
			a := f.agent(model.RoleRefinery, model.AgentWorking, "", "", at)
			return []string{fmt.Sprintf("Working agent %s has no hook", a)}
		}},
		{"#7 holds: mayor working without hook", func(f *fixture) []string {
			f.agent(model.RoleMayor, model.AgentWorking, "", "", at)
			return nil
		}},
		{"#7 holds: hooked working agent, idle unhooked agent", func(f *fixture) []string {
			f.agent(model.RolePolecat, model.AgentWorking, "", f.bead(model.TypeIssue, model.StatusInProgress, "", at), at)
			f.agent(model.RolePolecat, model.AgentIdle, "", "", at)
			return nil
		}},
		{"#5 convoy in unexpected state", func(f *fixture) []string {
			c := f.convoy("bogus")
			return []string{fmt.Sprintf("Convoy bead %s is in unexpected state 'bogus'", c)}
		}},
		{"#5 holds: every valid convoy state", func(f *fixture) []string {
			for _, s := range []string{"open", "in_progress", "in_review", "closed", "failed"} {
				f.convoy(s)
			}
			return nil
		}},
		{"#3 two in-progress MRs in one rig", func(f *fixture) []string {
			r := f.rig("alpha", at)
			f.mr(model.StatusInProgress, r, "https://github.com/acme/alpha/pull/1", "", at)
			f.mr(model.StatusInProgress, r, "https://github.com/acme/alpha/pull/2", "", at)
			return []string{fmt.Sprintf("Rig %s has 2 in_progress MR beads (should be at most 1)", r)}
		}},
		{"#3 holds: one per rig, open ones and rig-less ones free", func(f *fixture) []string {
			r1, r2 := f.rig("alpha", at), f.rig("beta", at)
			f.mr(model.StatusInProgress, r1, "", "", at)
			f.mr(model.StatusOpen, r1, "", "", at)
			f.mr(model.StatusInProgress, r2, "", "", at)
			f.mr(model.StatusInProgress, "", "", "", at)
			f.mr(model.StatusInProgress, "", "", "", at)
			return nil
		}},
		{"#6 two agents hooked to one bead", func(f *fixture) []string {
			b := f.bead(model.TypeIssue, model.StatusInProgress, "", at)
			f.agent(model.RolePolecat, model.AgentIdle, "", b, at)
			f.agent(model.RolePolecat, model.AgentIdle, "", b, at)
			return []string{fmt.Sprintf("Bead %s has 2 agents hooked (should be at most 1)", b)}
		}},
		{"#6 holds: one agent per bead", func(f *fixture) []string {
			f.agent(model.RolePolecat, model.AgentIdle, "", f.bead(model.TypeIssue, model.StatusInProgress, "", at), at)
			f.agent(model.RolePolecat, model.AgentIdle, "", f.bead(model.TypeIssue, model.StatusInProgress, "", at), at)
			return nil
		}},
		{"#4 in-review issue without MR", func(f *fixture) []string {
			b := f.bead(model.TypeIssue, model.StatusInReview, "", at)
			return []string{fmt.Sprintf("Issue bead %s is in_review but has no open/in_progress MR bead", b)}
		}},
		{"#4 in-review issue whose MRs are all terminal", func(f *fixture) []string {
			b := f.bead(model.TypeIssue, model.StatusInReview, "", at)
			f.mr(model.StatusClosed, "", "", b, at)
			f.mr(model.StatusFailed, "", "", b, at)
			return []string{fmt.Sprintf("Issue bead %s is in_review but has no open/in_progress MR bead", b)}
		}},
		{"#4 holds: open or in-progress MR tracks the issue", func(f *fixture) []string {
			f.mr(model.StatusOpen, "", "", f.bead(model.TypeIssue, model.StatusInReview, "", at), at)
			f.mr(model.StatusInProgress, "", "", f.bead(model.TypeIssue, model.StatusInReview, "", at), at)
			return nil
		}},
		{"order is 7, 5, 3, 6, 4", func(f *fixture) []string {
			r := f.rig("alpha", at)
			issue := f.bead(model.TypeIssue, model.StatusInReview, "", at)
			f.mr(model.StatusInProgress, r, "", "", at)
			f.mr(model.StatusInProgress, r, "", "", at)
			c := f.convoy("bogus")
			hooked := f.bead(model.TypeIssue, model.StatusInProgress, "", at)
			f.agent(model.RolePolecat, model.AgentIdle, "", hooked, at)
			f.agent(model.RolePolecat, model.AgentIdle, "", hooked, at)
			a := f.agent(model.RolePolecat, model.AgentWorking, "", "", at)
			return []string{
				fmt.Sprintf("Working agent %s has no hook", a),
				fmt.Sprintf("Convoy bead %s is in unexpected state 'bogus'", c),
				fmt.Sprintf("Rig %s has 2 in_progress MR beads (should be at most 1)", r),
				fmt.Sprintf("Bead %s has 2 agents hooked (should be at most 1)", hooked),
				fmt.Sprintf("Issue bead %s is in_review but has no open/in_progress MR bead", issue),
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			want := tc.setup(f)
			vs, err := CheckInvariants(f.t)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Message)
			}
			if !slices.Equal(got, want) {
				t.Errorf("violations\n %q\nwant\n %q", got, want)
			}
		})
	}
}

// T11 reports violations: one analytics event through the Town emitter,
// one error report per violation; no repair.
func TestT11ReportsViolations(t *testing.T) {
	f := newFixture(t)
	if _, err := f.t.UpdateTownConfig(model.TownConfigUpdate{OwnerUserID: model.Ptr("user-9")}); err != nil {
		f.tb.Fatal(err)
	}
	c1, c2 := f.convoy("bogus"), f.convoy("weird")
	res := f.tick()
	m1 := fmt.Sprintf("Convoy bead %s is in unexpected state 'bogus'", c1)
	m2 := fmt.Sprintf("Convoy bead %s is in unexpected state 'weird'", c2)
	if want := []Violation{{5, m1}, {5, m2}}; !slices.Equal(res.Violations, want) || res.Metrics.InvariantViolations != 2 {
		t.Fatalf("violations %+v (metric %d), want %+v", res.Violations, res.Metrics.InvariantViolations, want)
	}
	want := model.AnalyticsEvent{Event: "reconciler.invariant_violations", UserID: "user-9", Delivery: "internal",
		TownID: "town-1", Label: "[5] " + m1 + "; [5] " + m2, Value: 2}
	if ev := events(res, "reconciler.invariant_violations"); len(ev) != 1 || ev[0] != want {
		t.Errorf("event %+v, want %+v", ev, want)
	}
	if len(res.Reports) != 2 {
		t.Fatalf("reports %+v", res.Reports)
	}
	r := res.Reports[1]
	if r.Level != "error" || r.Message != "Reconciler invariant #5 violated: "+m2 ||
		!slices.Equal(r.Tags, [][2]string{{"invariant", "5"}, {"townId", "town-1"}}) ||
		!slices.Equal(r.Extra, [][2]string{{"invariant", "5"}, {"message", m2}, {"townId", "town-1"}}) {
		t.Errorf("report %+v", r)
	}
	if got := f.str(`SELECT status FROM beads WHERE bead_id = ?`, c1); got != "bogus" {
		t.Errorf("convoy repaired to %s", got)
	}
	// A clean town reports nothing.
	g := newFixture(t)
	clean := g.tick()
	if len(clean.Violations) != 0 || len(clean.Reports) != 0 || len(events(clean, "reconciler.invariant_violations")) != 0 {
		t.Errorf("clean town reported %+v %+v", clean.Violations, clean.Reports)
	}
}
