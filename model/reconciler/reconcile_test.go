package reconciler

import (
	"errors"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// TestReconcileOrder: the seven sub-reconcilers are concatenated in
// production's order, whatever order the state was built in.
func TestReconcileOrder(t *testing.T) {
	f := newFixture(t)
	f.mr(M{B: B{ID: "w1", Status: model.StatusClosed, Meta: wl("it1", "")}, PRURL: prURL})     // wasteland
	f.agent(A{ID: "gc", Activity: "NULL"})                                                     // GC
	f.bead(B{ID: "i2", Status: model.StatusInProgress, Assignee: "gp"})                        // GUPP's hook
	f.agent(A{ID: "gp", Status: "working", Hook: "i2", EventAt: f.ago(20 * time.Minute)})      // GUPP
	f.convoy(C{B: B{ID: "c1"}, Total: 1, Closed: 1, MergeMode: model.MergeModeReviewAndMerge}) // convoys
	f.bead(B{ID: "ci", Status: model.StatusClosed})                                            //
	f.dep("ci", "c1", model.DepTracks)                                                         //
	f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress}, PRURL: prURL})                      // review queue
	f.bead(B{ID: "i1", Rig: "r1"})                                                             // beads
	f.agent(A{ID: "ag", Attempts: 5, Activity: f.ago(time.Hour)})                              // agents
	f.expect(Options{},
		"reset_agent_dispatch_attempts{agent=ag}",
		"dispatch_agent{bead=i1,rig=r1}",
		"poll_pr{bead=m1,pr_url="+prURL+"}",
		"close_convoy{convoy=c1}",
		"send_nudge{agent=gp,tier=warn}",
		"delete_agent{agent=gc,reason=GC: idle > 24h}",
		"report_wasteland_done{canonical=w1,wasteland=w1,item=it1}",
	)
}

// TestReconcileReadOnly: a pass writes nothing, so two passes agree.
func TestReconcileReadOnly(t *testing.T) {
	f := newFixture(t)
	f.bead(B{ID: "i1", Rig: "r1"})
	f.agent(A{ID: "a1", Status: "working"})
	want := []string{
		"transition_agent{agent=a1,from=working,to=idle,reason=working agent has no hook (gt_done already completed)}",
		"dispatch_agent{bead=i1,rig=r1}",
	}
	f.expect(Options{}, want...)
	f.expect(Options{}, want...)
}

// TestReconcileErrors: rows that fail production's schema parse, and JSON
// reads that throw in JavaScript, fail the whole pass.
func TestReconcileErrors(t *testing.T) {
	cases := []struct {
		name  string
		build func(f *fixture)
		is    error
	}{
		{"issue labels that are not JSON", func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Labels: "gt:held"})
		}, nil},
		{"in_progress issue labels NULL", func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, RawLabelsNull: true})
		}, nil},
		{"MR metadata that is not JSON", func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Meta: "{"}})
		}, nil},
		{"MR metadata that is JSON null", func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Meta: "null"}})
		}, nil},
		{"convoy merge_mode outside the enum", func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, MergeMode: "land-now"})
		}, nil},
		{"convoy metadata null", func(f *fixture) {
			f.convoy(C{B: B{ID: "c1", Meta: "null"}})
		}, errNullProperty},
		{"active_tools null at the warn tier", func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", EventAt: f.ago(20 * time.Minute), Tools: "null"})
		}, errNullProperty},
		{"a wasteland bead with an unknown status", func(f *fixture) {
			f.bead(B{ID: "i1", Status: "archived", Meta: wl("it1", "")})
		}, nil},
		{"a refinery hooked to a bead with an unknown status", func(f *fixture) {
			f.bead(B{ID: "i1", Status: "archived"})
			f.agent(A{ID: "r1", Role: model.RoleRefinery, Status: "working", Hook: "i1"})
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			c.build(f)
			as, err := Reconcile(f.town, f.now, Options{})
			if err == nil {
				t.Fatalf("no error; actions %v", strs(as))
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v, want %v", err, c.is)
			}
			if as != nil {
				t.Errorf("actions returned with the error: %v", strs(as))
			}
		})
	}
	// The same null active_tools below the warn tier is never parsed.
	f := newFixture(t)
	f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
	f.agent(A{ID: "a1", Status: "working", Hook: "i1", EventAt: f.ago(time.Minute), Tools: "null"})
	f.expect(Options{})
}

// TestRQ6_UnparsableMetadata: RQ-6 reads malformed MR metadata as {} (the
// full pass would fail earlier, in group 1's schema parse).
func TestRQ6_UnparsableMetadata(t *testing.T) {
	f := newFixture(t)
	f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Rig: "r1", Meta: "not json"}})
	f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1", Hook: "m1"})
	p := &rulePass{t: f.town, db: f.town.DB(), now: f.now, k: f.town.Knobs()}
	as, err := p.redispatchRefineries(false)
	if err != nil {
		t.Fatal(err)
	}
	assertActions(t, as, []string{"dispatch_agent{bead=m1,agent=ref,rig=r1}"})
}

// TestDrainingMatrix is §2.8: each rule's actions with and without the
// drain flag.
func TestDrainingMatrix(t *testing.T) {
	rows := []struct {
		rule          string
		build         func(f *fixture)
		want, drained []string
	}{
		{"AG-1 suppressed", func(f *fixture) { f.agent(A{ID: "a1", Status: "working"}) },
			[]string{"transition_agent{agent=a1,from=working,to=idle,reason=working agent has no hook (gt_done already completed)}"}, nil},
		{"AG-2 suppressed", func(f *fixture) { f.agent(A{ID: "a1", Status: "stalled", StalledAt: f.ago(3 * time.Hour)}) },
			[]string{"transition_agent{agent=a1,from=stalled,to=idle,reason=stalled_timeout (exceeded 2h 30min)}"}, nil},
		{"AG-3 active", func(f *fixture) { f.agent(A{ID: "a1", Attempts: 5, Activity: f.ago(time.Hour)}) },
			[]string{"reset_agent_dispatch_attempts{agent=a1}"}, []string{"reset_agent_dispatch_attempts{agent=a1}"}},
		{"AG-4 active", func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.agent(A{ID: "a1", Hook: "i1"})
		}, []string{"unhook_agent{agent=a1,reason=hooked bead is terminal}", "clear_agent_checkpoint{agent=a1}"},
			[]string{"unhook_agent{agent=a1,reason=hooked bead is terminal}", "clear_agent_checkpoint{agent=a1}"}},
		{"BD-1 suppressed, cap included", func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1"})
			f.bead(B{ID: "i2", Rig: "r1", Attempts: 5})
		}, []string{"dispatch_agent{bead=i1,rig=r1}",
			"transition_bead{bead=i2,from=open,to=failed,actor=system,reason=max dispatch attempts exceeded (5)}"}, nil},
		{"BD-1b active", func(f *fixture) { f.bead(B{ID: "i1", Rig: "r1", Assignee: "gone"}) },
			[]string{"clear_bead_assignee{bead=i1}"}, []string{"clear_bead_assignee{bead=i1}"}},
		{"BD-2 cap active, dispatch suppressed", func(f *fixture) {
			f.bead(B{ID: "i1", Rig: "r1", Assignee: "a1"})
			f.agent(A{ID: "a1", Hook: "i1"})
			f.bead(B{ID: "i2", Rig: "r1", Assignee: "a2", Attempts: 5})
			f.agent(A{ID: "a2", Hook: "i2"})
		}, []string{"dispatch_agent{bead=i1,agent=a1,rig=r1}",
			"transition_bead{bead=i2,from=null,to=failed,actor=system,reason=max dispatch attempts exceeded (5)}",
			"unhook_agent{agent=a2,reason=max dispatch attempts}"},
			[]string{"transition_bead{bead=i2,from=null,to=failed,actor=system,reason=max dispatch attempts exceeded (5)}",
				"unhook_agent{agent=a2,reason=max dispatch attempts}"}},
		{"BD-3 active", func(f *fixture) { f.bead(B{ID: "i1", Status: model.StatusInProgress, Updated: f.ago(time.Hour)}) },
			[]string{"transition_bead{bead=i1,from=in_progress,to=open,actor=system,reason=agent lost}", "clear_bead_assignee{bead=i1}"},
			[]string{"transition_bead{bead=i1,from=in_progress,to=open,actor=system,reason=agent lost}", "clear_bead_assignee{bead=i1}"}},
		{"BD-4 active", func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInReview, Updated: f.ago(time.Hour)})
			f.mr(M{B: B{ID: "m1", Status: model.StatusClosed}})
			f.dep("m1", "i1", model.DepTracks)
		}, []string{"transition_bead{bead=i1,from=in_review,to=closed,actor=system,reason=MR merged (reconciler safety net)}"},
			[]string{"transition_bead{bead=i1,from=in_review,to=closed,actor=system,reason=MR merged (reconciler safety net)}"}},
		{"BD-CB active", func(f *fixture) { f.openBreaker(20) }, []string{notice}, []string{notice}},
		{"RQ-1…RQ-3 active", func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress}, PRURL: prURL})
			f.mr(M{B: B{ID: "m2", Status: model.StatusInProgress, Updated: f.ago(3 * time.Minute)}})
		}, []string{"poll_pr{bead=m1,pr_url=" + prURL + "}",
			"transition_bead{bead=m2,from=in_progress,to=open,actor=system,reason=abandoned, no agent hooked}"},
			[]string{"poll_pr{bead=m1,pr_url=" + prURL + "}",
				"transition_bead{bead=m2,from=in_progress,to=open,actor=system,reason=abandoned, no agent hooked}"}},
		{"RQ-5 suppressed", func(f *fixture) { f.mr(M{B: B{ID: "m1", Rig: "r1"}}) },
			[]string{"transition_bead{bead=m1,from=open,to=in_progress,actor=system,reason=popped for review (creating refinery)}",
				"dispatch_agent{bead=m1,rig=r1}"}, nil},
		{"RQ-6 suppressed before the cap", func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Rig: "r1", Attempts: 5}})
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1", Hook: "m1"})
		}, []string{"transition_bead{bead=m1,from=null,to=failed,actor=system,reason=refinery max dispatch attempts exceeded (5)}",
			"unhook_agent{agent=ref,reason=max dispatch attempts}"}, nil},
		{"RQ-7 active", func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusClosed}})
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Status: "working", Hook: "m1"})
		}, []string{"stop_agent{agent=ref,reason=MR bead m1 is closed}", "unhook_agent{agent=ref,reason=MR bead closed — cleanup}",
			"transition_agent{agent=ref,from=working,to=idle,reason=MR bead closed — cleanup}"},
			[]string{"stop_agent{agent=ref,reason=MR bead m1 is closed}", "unhook_agent{agent=ref,reason=MR bead closed — cleanup}",
				"transition_agent{agent=ref,from=working,to=idle,reason=MR bead closed — cleanup}"}},
		{"convoys active", func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 1, Closed: 1})
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.dep("i1", "c1", model.DepTracks)
		}, []string{"close_convoy{convoy=c1}"}, []string{"close_convoy{convoy=c1}"}},
		{"GUPP suppressed", func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
			f.agent(A{ID: "a1", Status: "working", Hook: "i1", EventAt: f.ago(20 * time.Minute)})
		}, []string{"send_nudge{agent=a1,tier=warn}"}, nil},
		{"GC active", func(f *fixture) { f.agent(A{ID: "a1", Activity: "NULL"}) },
			[]string{"delete_agent{agent=a1,reason=GC: idle > 24h}"}, []string{"delete_agent{agent=a1,reason=GC: idle > 24h}"}},
		{"wasteland active", func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusClosed, Meta: wl("it1", "")}, PRURL: prURL})
		}, []string{"report_wasteland_done{canonical=m1,wasteland=w1,item=it1}"},
			[]string{"report_wasteland_done{canonical=m1,wasteland=w1,item=it1}"}},
	}
	for _, r := range rows {
		t.Run(r.rule, func(t *testing.T) {
			f := newFixture(t)
			r.build(f)
			f.expect(Options{}, r.want...)
			f.expect(Options{Draining: true}, r.drained...)
		})
	}
}

// ---- same-tick interactions (§2.9, Addendum C) ----

// TestSameTick_AG4LThenRQ6: an idle refinery on an in_progress MR with a
// stale heartbeat is unhooked and its MR reopened by AG-4(L), then RQ-6,
// reading the same snapshot, dispatches it onto that MR anyway.
func TestSameTick_AG4LThenRQ6(t *testing.T) {
	f := newFixture(t)
	f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Rig: "r1"}})
	f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1", Hook: "m1", Activity: f.ago(5 * time.Minute)})
	f.expect(Options{},
		"unhook_agent{agent=ref,reason=idle agent hooked to live bead (dispatch failed)}",
		"transition_bead{bead=m1,from=in_progress,to=open,actor=system,reason=agent went idle without completing work — reset for re-dispatch}",
		"dispatch_agent{bead=m1,agent=ref,rig=r1}",
	)
}

// TestSameTick_AG1ThenGUPP: AG-1 idles a working agent, GUPP's later
// force stop re-stalls it (the later action wins at apply time).
func TestSameTick_AG1ThenGUPP(t *testing.T) {
	f := newFixture(t)
	f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1", Updated: f.ago(time.Minute)})
	f.agent(A{ID: "a1", Status: "working", Hook: "i1", Activity: f.ago(3 * time.Hour)})
	f.expect(Options{},
		"transition_agent{agent=a1,from=working,to=idle,reason=heartbeat lost (3 missed cycles)}",
		"transition_agent{agent=a1,from=working,to=stalled,reason=GUPP force stop — no SDK activity for 2h}",
		"stop_agent{agent=a1,reason=exceeded 2h GUPP limit}",
		"create_triage_request{agent=a1,triage_type=stuck_agent,reason=GUPP force stop}",
	)
}

// TestSameTick_RQ2RQ3Duplicate: both rules reopen the same MR.
func TestSameTick_RQ2RQ3Duplicate(t *testing.T) {
	f := newFixture(t)
	f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Updated: f.ago(time.Hour)}})
	f.expect(Options{},
		"transition_bead{bead=m1,from=in_progress,to=open,actor=system,reason=stuck review, no working agent}",
		"transition_bead{bead=m1,from=in_progress,to=open,actor=system,reason=abandoned, no agent hooked}",
	)
}

// TestSameTick_BD1bThenBD1: a stale assignee is cleared this tick; BD-1
// does not see the bead until the next.
func TestSameTick_BD1bThenBD1(t *testing.T) {
	f := newFixture(t)
	f.bead(B{ID: "i1", Rig: "r1", Assignee: "gone"})
	f.expect(Options{}, "clear_bead_assignee{bead=i1}")
	f.exec(`UPDATE beads SET assignee_agent_bead_id = NULL WHERE bead_id = 'i1'`)
	f.expect(Options{}, "dispatch_agent{bead=i1,rig=r1}")
}

// ---- hazards (§8) that are about rules ----

// TestHazard01_BreakerCountsSuccesses: 20 healthy in-progress beads
// dispatched within 30 min open the breaker and stop new dispatches.
func TestHazard01_BreakerCountsSuccesses(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 20; i++ {
		id := "w" + itoa(i)
		f.bead(B{ID: "b" + id, Status: model.StatusInProgress, Rig: "r1", Assignee: id, Attempts: 1, LastAttempt: f.ago(10 * time.Minute)})
		f.agent(A{ID: id, Status: "working", Hook: "b" + id})
	}
	f.bead(B{ID: "new", Rig: "r1"})
	as := f.expect(Options{}, notice)
	if as[0].Message == "" {
		t.Error("notice without message")
	}
	// One of them closes: the breaker shuts and BD-1 dispatches.
	f.exec(`UPDATE beads SET status = 'closed' WHERE bead_id = 'bw0'`)
	f.exec(`UPDATE agent_metadata SET current_hook_bead_id = NULL, status = 'idle' WHERE bead_id = 'w0'`)
	f.expect(Options{}, "dispatch_agent{bead=new,rig=r1}")
}

// TestHazard08_RQ4DeadWhilePolling: after a poll bumps updated_at, RQ-4
// cannot see the MR as orphaned; polling goes on.
func TestHazard08_RQ4DeadWhilePolling(t *testing.T) {
	f := newFixture(t)
	f.rig("r1", "", "")
	polled := f.ago(61 * time.Second)
	f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Rig: "r1", Updated: polled,
		Meta: `{"last_poll_at":"` + polled + `"}`}, PRURL: prURL})
	f.expect(Options{Config: cfg()}, "poll_pr{bead=m1,pr_url="+prURL+"}")
}

// TestHazard09_GUPPForceStopRepeats: a force-stopped (stalled) agent gets
// the force stop again every tick until AG-2 idles it.
func TestHazard09_GUPPForceStopRepeats(t *testing.T) {
	f := newFixture(t)
	f.bead(B{ID: "i1", Status: model.StatusInProgress, Assignee: "a1"})
	f.agent(A{ID: "a1", Status: "stalled", Hook: "i1", StalledAt: f.ago(10 * time.Minute), EventAt: f.ago(3 * time.Hour)})
	for tick := 0; tick < 3; tick++ {
		f.now = fixtureNow.Add(time.Duration(tick) * 5 * time.Second)
		f.expect(Options{},
			"transition_agent{agent=a1,from=stalled,to=stalled,reason=GUPP force stop — no SDK activity for 2h}",
			"stop_agent{agent=a1,reason=exceeded 2h GUPP limit}",
			"create_triage_request{agent=a1,triage_type=stuck_agent,reason=GUPP force stop}")
	}
	f.now = fixtureNow.Add(2*time.Hour + 21*time.Minute)
	f.expect(Options{},
		"transition_agent{agent=a1,from=stalled,to=idle,reason=stalled_timeout (exceeded 2h 30min)}",
		"unhook_agent{agent=a1,reason=stalled_timeout (exceeded 2h 30min)}")
}

// TestHazard10_GCNullActivity: an unhooked idle polecat that never
// heartbeat is deleted on the first pass.
func TestHazard10_GCNullActivity(t *testing.T) {
	f := newFixture(t)
	f.agent(A{ID: "p1", Activity: "NULL"})
	f.agent(A{ID: "p2", Activity: f.ago(time.Minute)})
	f.expect(Options{}, "delete_agent{agent=p1,reason=GC: idle > 24h}")
}

// TestHazard13_DeadLandingPRGuard: the "tracked MRs need a PR URL" guard
// never applies to review-then-land, so a landing MR is created although
// no tracked MR has a PR URL.
func TestHazard13_DeadLandingPRGuard(t *testing.T) {
	f := newFixture(t)
	landingConvoy(f, `{"ready_to_land":1}`, 2, done2...)
	f.mr(M{B: B{ID: "m1", Status: model.StatusClosed}})
	f.dep("m1", "i1", model.DepTracks)
	f.expect(Options{}, "create_landing_mr{rig=r1,convoy=c1,target=main,feature_branch="+featureBranch+"}")
}

// TestHazard14_NullMergeMode: a NULL merge_mode (review-then-land for the
// state model's recount) closes the convoy directly here, feature branch
// or not, and the rule's count leaves out the landing MR.
func TestHazard14_NullMergeMode(t *testing.T) {
	f := newFixture(t)
	f.convoy(C{B: B{ID: "c1"}, Total: 1, Closed: 2, FeatureBranch: featureBranch})
	f.bead(B{ID: "i1", Status: model.StatusClosed})
	f.dep("i1", "c1", model.DepTracks)
	f.mr(M{B: B{ID: "lm", Status: model.StatusClosed, CreatedBy: "system"}})
	f.dep("lm", "c1", model.DepTracks)
	f.expect(Options{}, "update_convoy_progress{convoy=c1,closed_beads=1}", "close_convoy{convoy=c1}")
}

// TestHazard18_UndispatchableOpenIssues: held, staged-convoy and blocked
// issues are never dispatched (and keep hasActiveWork true).
func TestHazard18_UndispatchableOpenIssues(t *testing.T) {
	f := newFixture(t)
	f.bead(B{ID: "held", Rig: "r1", Labels: `["gt:held"]`})
	f.convoy(C{B: B{ID: "c1"}, Total: 1, Staged: true})
	f.bead(B{ID: "staged", Rig: "r1"})
	f.dep("staged", "c1", model.DepTracks)
	f.bead(B{ID: "blocker", Assignee: "system"})
	f.bead(B{ID: "blocked", Rig: "r1"})
	f.dep("blocked", "blocker", model.DepBlocks)
	f.expect(Options{})
	active, err := f.town.HasActiveWork(f.now)
	if err != nil || !active {
		t.Errorf("HasActiveWork = %v, %v; want true", active, err)
	}
}

// TestHazard25_RQORPerEdgeAndNullCreatedBy: RQ-OR fails an MR once per
// tracks edge, and never an MR whose created_by is NULL.
func TestHazard25_RQORPerEdgeAndNullCreatedBy(t *testing.T) {
	f := newFixture(t)
	f.rig("r1", reviewOff, "")
	f.bead(B{ID: "s1", Status: model.StatusInReview})
	f.bead(B{ID: "s2", Status: model.StatusInReview})
	f.mr(M{B: B{ID: "m1", Rig: "r1", CreatedBy: "p1"}})
	f.dep("m1", "s1", model.DepTracks)
	f.dep("m1", "s2", model.DepTracks)
	f.mr(M{B: B{ID: "m2", Rig: "r1"}})
	fail := "transition_bead{bead=m1,from=open,to=failed,actor=system,reason=MR bead has no pr_url and code review is disabled — polecat failed to create PR}"
	f.expect(Options{Config: cfg()},
		fail,
		"transition_bead{bead=s1,from=in_review,to=open,actor=system,reason=MR failed (no PR created) — reopening for retry}",
		fail,
		"transition_bead{bead=s2,from=in_review,to=open,actor=system,reason=MR failed (no PR created) — reopening for retry}",
	)
}

// TestHazard26_UnparsableLastPollAt: an MR whose last_poll_at does not
// parse is never polled again, and RQ-4 fails it 30 min later.
func TestHazard26_UnparsableLastPollAt(t *testing.T) {
	f := newFixture(t)
	f.rig("r1", "", "")
	f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Rig: "r1", Updated: f.ago(29 * time.Minute),
		Meta: `{"last_poll_at":"not a time"}`}, PRURL: prURL})
	f.expect(Options{Config: cfg()})
	f.now = f.now.Add(time.Minute + time.Second)
	f.expect(Options{Config: cfg()},
		"transition_bead{bead=m1,from=in_progress,to=failed,actor=system,reason=PR review orphaned}")
}
