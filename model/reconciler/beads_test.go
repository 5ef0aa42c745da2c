package reconciler

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

func TestBD1_UnassignedOpenIssue(t *testing.T) {
	const dispatch = "dispatch_agent{bead=i1,rig=r1}"
	runCases(t, []ruleCase{
		{name: "dispatch", build: func(f *fixture) { f.bead(B{ID: "i1", Rig: "r1"}) },
			want: []string{dispatch}},
		{name: "no rig", build: func(f *fixture) { f.bead(B{ID: "i1"}) }},
		{name: "empty rig", build: func(f *fixture) { f.bead(B{ID: "i1", Rig: "''"}) }},
		{name: "not an issue", build: func(f *fixture) { f.bead(B{ID: "i1", Type: model.TypeMessage, Rig: "r1"}) }},
		{name: "triage request", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Labels: `["gt:triage-request"]`})
		}},
		{name: "held", build: func(f *fixture) { f.bead(B{ID: "i1", Rig: "r1", Labels: `["x","gt:held"]`}) }},
		{name: "label LIKE is quoted: gt:held-later is not held", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Labels: `["gt:held-later"]`})
		}, want: []string{dispatch}},
		{name: "blocked by an open bead", build: func(f *fixture) {
			f.bead(B{ID: "i0", Status: model.StatusInProgress})
			f.bead(B{ID: "i1", Rig: "r1"})
			f.dep("i1", "i0", model.DepBlocks)
		}},
		{name: "blocker failed: unblocked", build: func(f *fixture) {
			f.bead(B{ID: "i0", Status: model.StatusFailed})
			f.bead(B{ID: "i1", Rig: "r1"})
			f.dep("i1", "i0", model.DepBlocks)
		}, want: []string{dispatch}},
		{name: "tracked by a staged convoy", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 1, Staged: true})
			f.bead(B{ID: "i1", Rig: "r1"})
			f.dep("i1", "c1", model.DepTracks)
		}},
		{name: "tracked by a started convoy", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 1})
			f.bead(B{ID: "i1", Rig: "r1"})
			f.dep("i1", "c1", model.DepTracks)
		}, want: []string{dispatch}},
		{name: "cap 5 without config", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Attempts: 5, LastAttempt: f.ago(time.Hour)})
		}, want: []string{"transition_bead{bead=i1,from=open,to=failed,actor=system,reason=max dispatch attempts exceeded (5)}"}},
		{name: "cap ignores the cooldown", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Attempts: 6, LastAttempt: f.ago(time.Second)})
		}, want: []string{"transition_bead{bead=i1,from=open,to=failed,actor=system,reason=max dispatch attempts exceeded (6)}"}},
		{name: "per-rig cap 3", opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.rig("r1", `{"max_dispatch_attempts":3}`, "")
			f.bead(B{ID: "i1", Rig: "r1", Attempts: 3, LastAttempt: f.ago(time.Hour)})
		}, want: []string{"transition_bead{bead=i1,from=open,to=failed,actor=system,reason=max dispatch attempts exceeded (3)}"}},
		{name: "per-rig cap 10", opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.rig("r1", `{"max_dispatch_attempts":10}`, "")
			f.bead(B{ID: "i1", Rig: "r1", Attempts: 7, LastAttempt: f.ago(11 * time.Minute)})
		}, want: []string{dispatch}},
		{name: "per-rig cap needs a town config", build: func(f *fixture) {
			f.rig("r1", `{"max_dispatch_attempts":10}`, "")
			f.bead(B{ID: "i1", Rig: "r1", Attempts: 7, LastAttempt: f.ago(11 * time.Minute)})
		}, want: []string{"transition_bead{bead=i1,from=open,to=failed,actor=system,reason=max dispatch attempts exceeded (7)}"}},
		{name: "cooldown not elapsed", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Attempts: 2, LastAttempt: f.ago(59 * time.Second)})
		}},
		{name: "draining: no dispatch and no cap-failing", opts: Options{Draining: true}, build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1"})
			f.bead(B{ID: "i2", Rig: "r1", Attempts: 5})
		}},
		{name: "breaker open: no dispatch, cap still fails", build: func(f *fixture) {
			f.openBreaker(20)
			f.bead(B{ID: "i1", Rig: "r1"})
			f.bead(B{ID: "i2", Rig: "r1", Attempts: 5})
		}, want: []string{"transition_bead{bead=i2,from=open,to=failed,actor=system,reason=max dispatch attempts exceeded (5)}", notice}},
		{name: "insertion order", build: func(f *fixture) {
			f.bead(B{ID: "i9", Rig: "r1"})
			f.bead(B{ID: "i1", Rig: "r1"})
		}, want: []string{"dispatch_agent{bead=i9,rig=r1}", dispatch}},
	})
}

func TestBD1b_StaleAssignee(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "assignee not hooked to the bead", build: func(f *fixture) {
			f.agent(A{ID: "a1"})
			f.bead(B{ID: "i1", Rig: "r1", Assignee: "a1"})
		}, want: []string{"clear_bead_assignee{bead=i1}"}},
		{name: "assignee agent does not exist", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Assignee: "gone"})
		}, want: []string{"clear_bead_assignee{bead=i1}"}},
		{name: "assignee hooked", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Assignee: "a1", LastAttempt: f.ago(time.Second), Attempts: 1})
			f.agent(A{ID: "a1", Status: "working", Hook: "i1"})
		}},
		{name: "system assignee", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Assignee: "system"})
		}},
		{name: "triage request", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Assignee: "a9", Labels: `["gt:triage-request"]`})
		}},
		{name: "labels.includes is exact: a longer label does not protect", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Assignee: "a9", Labels: `["gt:triage-request-old"]`})
		}, want: []string{"clear_bead_assignee{bead=i1}"}},
		{name: "no rig", build: func(f *fixture) {
			f.bead(B{ID: "i1", Assignee: "a9"})
		}},
		{name: "active while draining", opts: Options{Draining: true}, build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Assignee: "a9"})
		}, want: []string{"clear_bead_assignee{bead=i1}"}},
	})
}

func TestBD2_IdleHookedDispatch(t *testing.T) {
	hooked := func(b B) func(f *fixture) {
		return func(f *fixture) {
			b.ID, b.Assignee = "i1", "a1"
			f.bead(b)
			f.agent(A{ID: "a1", Hook: "i1", Rig: "ra"})
		}
	}
	runCases(t, []ruleCase{
		{name: "dispatch on the bead's rig", build: hooked(B{Rig: "rb"}),
			want: []string{"dispatch_agent{bead=i1,agent=a1,rig=rb}"}},
		{name: "bead without rig: the agent's rig", build: hooked(B{}),
			want: []string{"dispatch_agent{bead=i1,agent=a1,rig=ra}"}},
		{name: "bead rig '' is kept (?? only skips null)", build: hooked(B{Rig: "''"}),
			want: []string{"dispatch_agent{bead=i1,agent=a1}"}},
		{name: "neither has a rig", build: func(f *fixture) {
			f.bead(B{ID: "i1", Assignee: "a1"})
			f.agent(A{ID: "a1", Hook: "i1"})
		}, want: []string{"dispatch_agent{bead=i1,agent=a1}"}},
		{name: "hooked bead not open", build: hooked(B{Rig: "rb", Status: model.StatusInReview})},
		{name: "cap: fail from null and unhook", build: hooked(B{Rig: "rb", Attempts: 5, LastAttempt: f0(time.Second)}),
			want: []string{
				"transition_bead{bead=i1,from=null,to=failed,actor=system,reason=max dispatch attempts exceeded (5)}",
				"unhook_agent{agent=a1,reason=max dispatch attempts}",
			}},
		{name: "cap is always 5, whatever the rig says", opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.rig("rb", `{"max_dispatch_attempts":10}`, "")
			hooked(B{Rig: "rb", Attempts: 5, LastAttempt: f.ago(time.Hour)})(f)
		}, want: []string{
			"transition_bead{bead=i1,from=null,to=failed,actor=system,reason=max dispatch attempts exceeded (5)}",
			"unhook_agent{agent=a1,reason=max dispatch attempts}",
		}},
		{name: "cap-failing while draining", opts: Options{Draining: true}, build: hooked(B{Rig: "rb", Attempts: 5}),
			want: []string{
				"transition_bead{bead=i1,from=null,to=failed,actor=system,reason=max dispatch attempts exceeded (5)}",
				"unhook_agent{agent=a1,reason=max dispatch attempts}",
			}},
		{name: "cooldown", build: hooked(B{Rig: "rb", Attempts: 3, LastAttempt: f0(119 * time.Second)})},
		{name: "cooldown elapsed", build: hooked(B{Rig: "rb", Attempts: 3, LastAttempt: f0(121 * time.Second)}),
			want: []string{"dispatch_agent{bead=i1,agent=a1,rig=rb}"}},
		{name: "blocked", build: func(f *fixture) {
			f.bead(B{ID: "i0"})
			hooked(B{Rig: "rb"})(f)
			f.dep("i1", "i0", model.DepBlocks)
		}},
		{name: "draining: no dispatch", opts: Options{Draining: true}, build: hooked(B{Rig: "rb"})},
		{name: "breaker open: no dispatch", build: func(f *fixture) {
			f.openBreaker(20)
			hooked(B{Rig: "rb"})(f)
		}, want: []string{notice}},
		{name: "refineries excluded", build: func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "rb", Assignee: "r1"})
			f.agent(A{ID: "r1", Role: model.RoleRefinery, Hook: "i1"})
		}},
	})
}

// f0 renders fixtureNow−d (for builders made before the fixture exists).
func f0(d time.Duration) string { return model.ISO(fixtureNow.Add(-d)) }

func TestBD3_LostInProgressIssue(t *testing.T) {
	reset := []string{
		"transition_bead{bead=i1,from=in_progress,to=open,actor=system,reason=agent lost}",
		"clear_bead_assignee{bead=i1}",
	}
	runCases(t, []ruleCase{
		{name: "nobody hooked, stale 5 min", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Rig: "r1", Updated: f.ago(5*time.Minute + time.Millisecond)})
		}, want: reset},
		{name: "fresh", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Updated: f.ago(5 * time.Minute)})
		}},
		{name: "attempts exhausted: fail", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Attempts: 5, Updated: f.ago(time.Hour)})
		}, want: []string{
			"transition_bead{bead=i1,from=in_progress,to=failed,actor=system,reason=agent lost, max dispatch attempts exhausted (5)}",
			"clear_bead_assignee{bead=i1}",
		}},
		{name: "stalled agent hooked", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Updated: f.ago(time.Hour)})
			f.agent(A{ID: "a1", Status: "stalled", Hook: "i1"})
		}},
		{name: "idle agent hooked with heartbeat 60 s ago", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Updated: f.ago(time.Hour)})
			f.agent(A{ID: "a1", Hook: "i1", Activity: f.ago(60 * time.Second)})
		}},
		{name: "idle agent hooked, heartbeat 2 min ago: AG-4 and BD-3 both reset", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Updated: f.ago(time.Hour)})
			f.agent(A{ID: "a1", Hook: "i1", Activity: f.ago(2 * time.Minute)})
		}, want: append([]string{
			"unhook_agent{agent=a1,reason=idle agent hooked to live bead (dispatch failed)}",
			"transition_bead{bead=i1,from=in_progress,to=open,actor=system,reason=agent went idle without completing work — reset for re-dispatch}",
		}, reset...)},
		{name: "active while draining", opts: Options{Draining: true}, build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Updated: f.ago(time.Hour)})
		}, want: reset},
	})
}

func TestBD4_OrphanedInReviewIssue(t *testing.T) {
	src := func(f *fixture) { f.bead(B{ID: "i1", Status: model.StatusInReview, Updated: f.ago(6 * time.Minute)}) }
	mr := func(f *fixture, id, status string) {
		f.mr(M{B: B{ID: id, Status: status}})
		f.dep(id, "i1", model.DepTracks)
	}
	runCases(t, []ruleCase{
		{name: "an MR merged: close", build: func(f *fixture) {
			src(f)
			mr(f, "m1", model.StatusFailed)
			mr(f, "m2", model.StatusClosed)
		}, want: []string{"transition_bead{bead=i1,from=in_review,to=closed,actor=system,reason=MR merged (reconciler safety net)}"}},
		{name: "all failed: reopen", build: func(f *fixture) {
			src(f)
			mr(f, "m1", model.StatusFailed)
		}, want: []string{
			"transition_bead{bead=i1,from=in_review,to=open,actor=system,reason=all reviews failed}",
			"clear_bead_assignee{bead=i1}",
		}},
		{name: "an MR still open", build: func(f *fixture) {
			src(f)
			mr(f, "m1", model.StatusClosed)
			mr(f, "m2", model.StatusOpen)
		}},
		{name: "no MR", build: src},
		{name: "tracking bead that is not an MR is ignored", build: func(f *fixture) {
			src(f)
			f.bead(B{ID: "x1", Type: model.TypeMolecule, Status: model.StatusClosed})
			f.dep("x1", "i1", model.DepTracks)
		}},
		{name: "fresh", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInReview, Updated: f.ago(4 * time.Minute)})
			mr(f, "m1", model.StatusClosed)
		}},
	})
}

func TestBDCB_BreakerNotice(t *testing.T) {
	f := newFixture(t)
	f.openBreaker(25)
	f.bead(B{ID: "i1", Status: model.StatusInReview, Updated: f.ago(time.Hour)})
	f.mr(M{B: B{ID: "m1", Status: model.StatusClosed}})
	f.dep("m1", "i1", model.DepTracks)
	as := f.expect(Options{},
		"transition_bead{bead=i1,from=in_review,to=closed,actor=system,reason=MR merged (reconciler safety net)}",
		notice)
	want := "Dispatch circuit breaker is OPEN: 25 dispatch failures in the last 30 minutes. All dispatch actions are paused until failures clear."
	if as[1].Message != want {
		t.Errorf("message = %q, want %q", as[1].Message, want)
	}
}

func TestBreaker(t *testing.T) {
	cases := []struct {
		name string
		bead func(f *fixture, id string) B
		n    int
		open bool
	}{
		{"19 recent dispatches", func(f *fixture, id string) B {
			return B{ID: id, Type: model.TypeMolecule, Attempts: 1, LastAttempt: f.ago(time.Minute)}
		}, 19, false},
		{"20 recent dispatches", func(f *fixture, id string) B {
			return B{ID: id, Type: model.TypeMolecule, Attempts: 1, LastAttempt: f.ago(time.Minute)}
		}, 20, true},
		{"failed beads count", func(f *fixture, id string) B {
			return B{ID: id, Type: model.TypeMolecule, Status: model.StatusFailed, Attempts: 5, LastAttempt: f.ago(29 * time.Minute)}
		}, 20, true},
		{"closed beads do not count", func(f *fixture, id string) B {
			return B{ID: id, Type: model.TypeMolecule, Status: model.StatusClosed, Attempts: 1, LastAttempt: f.ago(time.Minute)}
		}, 30, false},
		{"older than 30 min do not count", func(f *fixture, id string) B {
			return B{ID: id, Type: model.TypeMolecule, Attempts: 1, LastAttempt: f.ago(30 * time.Minute)}
		}, 30, false},
		{"zero attempts do not count", func(f *fixture, id string) B {
			return B{ID: id, Type: model.TypeMolecule, LastAttempt: f.ago(time.Minute)}
		}, 30, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			for i := 0; i < c.n; i++ {
				f.bead(c.bead(f, fmt.Sprintf("b%02d", i)))
			}
			p := &rulePass{t: f.town, db: f.town.DB(), now: f.now, k: f.town.Knobs()}
			cb, err := p.breaker()
			if err != nil {
				t.Fatal(err)
			}
			if (len(cb) > 0) != c.open {
				t.Errorf("breaker open = %v, want %v", len(cb) > 0, c.open)
			}
			var want []string
			if c.open {
				want = []string{notice}
			}
			f.expect(Options{}, want...)
		})
	}
}

func TestCooldownLadder(t *testing.T) {
	ladder := []struct {
		attempts int
		wait     time.Duration
	}{{0, 30 * time.Second}, {1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute},
		{4, 5 * time.Minute}, {5, 10 * time.Minute}, {9, 10 * time.Minute}}
	for _, l := range ladder {
		if got := model.DefaultKnobs().Cooldown(l.attempts); got != l.wait {
			t.Errorf("Cooldown(%d) = %v, want %v", l.attempts, got, l.wait)
		}
	}
	// Through BD-1 (a rig cap of 10 lets attempts 5+ reach the ladder):
	// strictly more than the step has to pass.
	for _, l := range ladder[1:] {
		for _, elapsed := range []time.Duration{l.wait, l.wait + time.Millisecond} {
			f := newFixture(t)
			f.rig("r1", `{"max_dispatch_attempts":10}`, "")
			f.bead(B{ID: "i1", Rig: "r1", Attempts: l.attempts, LastAttempt: f.ago(elapsed)})
			var want []string
			if elapsed > l.wait {
				want = []string{"dispatch_agent{bead=i1,rig=r1}"}
			}
			as := f.reconcile(Options{Config: cfg()})
			if strings.Join(strs(as), ";") != strings.Join(want, ";") {
				t.Errorf("attempts %d, %v since last attempt: got %v, want %v", l.attempts, elapsed, strs(as), want)
			}
		}
	}
	// A NULL last attempt has always elapsed.
	f := newFixture(t)
	f.bead(B{ID: "i1", Rig: "r1", Attempts: 4})
	f.expect(Options{}, "dispatch_agent{bead=i1,rig=r1}")
}
