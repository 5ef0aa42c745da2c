package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

const featureBranch = "convoy/feat/c1/head"

// landingConvoy builds an open review-then-land convoy c1 with a feature
// branch, metadata meta, closed_beads = closedBeads, and the tracked
// issues given as id:status pairs on rig r1.
func landingConvoy(f *fixture, meta string, closedBeads int, issues ...[2]string) {
	f.convoy(C{B: B{ID: "c1", Meta: meta}, Total: len(issues), Closed: closedBeads,
		FeatureBranch: featureBranch, MergeMode: model.MergeModeReviewThenLand})
	for _, is := range issues {
		f.bead(B{ID: is[0], Status: is[1], Rig: "r1"})
		f.dep(is[0], "c1", model.DepTracks)
	}
}

// landingMR adds a landing MR (created by system, no rig) tracking c1.
func landingMR(f *fixture, id, status, meta string) {
	f.mr(M{B: B{ID: id, Status: status, CreatedBy: "system", Meta: meta}})
	f.dep(id, "c1", model.DepTracks)
}

var done2 = [][2]string{{"i1", model.StatusClosed}, {"i2", model.StatusFailed}}

func TestCV1_CountTrackedIssues(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "closed and failed issues count; the landing MR does not", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 3, MergeMode: model.MergeModeReviewAndMerge})
			for _, id := range []string{"i1", "i2", "i3"} {
				f.bead(B{ID: id, Status: model.StatusClosed})
				f.dep(id, "c1", model.DepTracks)
			}
			f.exec(`UPDATE beads SET status = 'failed' WHERE bead_id = 'i3'`)
			f.mr(M{B: B{ID: "lm", Status: model.StatusClosed}})
			f.dep("lm", "c1", model.DepTracks)
		}, want: []string{"update_convoy_progress{convoy=c1,closed_beads=3}", "close_convoy{convoy=c1}"}},
		{name: "blocks edges and non-issues are not tracked issues", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 1, MergeMode: model.MergeModeReviewAndMerge})
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.dep("i1", "c1", model.DepBlocks)
			f.bead(B{ID: "x1", Type: model.TypeMolecule, Status: model.StatusClosed})
			f.dep("x1", "c1", model.DepTracks)
		}},
		{name: "closed convoys are ignored", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1", Status: model.StatusClosed}, Total: 1})
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.dep("i1", "c1", model.DepTracks)
		}},
		{name: "a convoy without convoy_metadata is invisible", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, NoMeta: true})
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.dep("i1", "c1", model.DepTracks)
		}},
	})
}

func TestCV2_LandingMetadata(t *testing.T) {
	create := "create_landing_mr{rig=r1,convoy=c1,target=main,feature_branch=" + featureBranch + "}"
	runCases(t, []ruleCase{
		{name: "attempts that are not a number count as 0", build: func(f *fixture) {
			landingConvoy(f, `{"ready_to_land":1,"landing_mr_attempts":"7","last_landing_mr_attempt_at":"`+f.ago(time.Second)+`"}`, 2, done2...)
		}, want: []string{create}},
		{name: "last attempt time that is not a string: no wait", build: func(f *fixture) {
			landingConvoy(f, `{"ready_to_land":1,"landing_mr_attempts":2,"last_landing_mr_attempt_at":5}`, 2, done2...)
		}, want: []string{create}},
	})
}

// TestCV2_UnparsableMetadata: reconcileConvoys reads malformed convoy
// metadata as {} — but the same text makes the wasteland pass's
// json_extract throw, so the whole reconcile fails, as in production.
func TestCV2_UnparsableMetadata(t *testing.T) {
	f := newFixture(t)
	landingConvoy(f, "{oops", 2, done2...)
	p := &rulePass{t: f.town, db: f.town.DB(), now: f.now, k: f.town.Knobs()}
	as, err := p.reconcileConvoys()
	if err != nil {
		t.Fatal(err)
	}
	assertActions(t, as, []string{"set_convoy_ready_to_land{convoy=c1}"})
	if _, err := Reconcile(f.town, f.now, Options{}); err == nil {
		t.Error("Reconcile with malformed metadata: no error, want json_extract's")
	}
}

func TestCV3_InflightReviews(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "an issue's MR still in progress holds the convoy", build: func(f *fixture) {
			landingConvoy(f, "", 2, done2...)
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Meta: `{"last_poll_at":"` + f.ago(time.Second) + `"}`}, PRURL: prURL})
			f.dep("m1", "i1", model.DepTracks)
		}},
		{name: "open MR too", build: func(f *fixture) {
			landingConvoy(f, "", 2, done2...)
			f.mr(M{B: B{ID: "m1"}})
			f.dep("m1", "i2", model.DepTracks)
		}},
		{name: "terminal MRs do not", build: func(f *fixture) {
			landingConvoy(f, "", 2, done2...)
			f.mr(M{B: B{ID: "m1", Status: model.StatusClosed}})
			f.dep("m1", "i1", model.DepTracks)
		}, want: []string{"set_convoy_ready_to_land{convoy=c1}"}},
	})
}

func TestCV4_AllDone(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "no tracked issue is never done", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, MergeMode: model.MergeModeReviewAndMerge})
		}},
		{name: "one issue still open", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 2, Closed: 1, MergeMode: model.MergeModeReviewAndMerge})
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.bead(B{ID: "i2", Status: model.StatusInReview})
			f.dep("i1", "c1", model.DepTracks)
			f.dep("i2", "c1", model.DepTracks)
		}},
		{name: "all closed", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 1, Closed: 1, MergeMode: model.MergeModeReviewAndMerge})
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.dep("i1", "c1", model.DepTracks)
		}, want: []string{"close_convoy{convoy=c1}"}},
	})
}

func TestCV5_UpdateConvoyProgress(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "stale count corrected although not done", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 2, Closed: 0})
			f.bead(B{ID: "i1", Status: model.StatusFailed})
			f.bead(B{ID: "i2", Status: model.StatusInProgress})
			f.dep("i1", "c1", model.DepTracks)
			f.dep("i2", "c1", model.DepTracks)
		}, want: []string{"update_convoy_progress{convoy=c1,closed_beads=1}"}},
		{name: "a count above the rule's is lowered (two writers, hazard 14)", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 1, Closed: 2})
			f.bead(B{ID: "i1", Status: model.StatusInProgress})
			f.dep("i1", "c1", model.DepTracks)
		}, want: []string{"update_convoy_progress{convoy=c1,closed_beads=0}"}},
		{name: "up to date: nothing", build: func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 1, Closed: 0})
			f.bead(B{ID: "i1", Status: model.StatusInProgress})
			f.dep("i1", "c1", model.DepTracks)
		}},
	})
}

func TestCV6_NotDoneStops(t *testing.T) {
	// Ready to land and past every landing check, but not done: nothing
	// past the progress update.
	f := newFixture(t)
	landingConvoy(f, `{"ready_to_land":1}`, 0, [2]string{"i1", model.StatusClosed}, [2]string{"i2", model.StatusOpen})
	f.exec(`UPDATE beads SET assignee_agent_bead_id = 'system' WHERE bead_id = 'i2'`)
	f.expect(Options{}, "update_convoy_progress{convoy=c1,closed_beads=1}")
}

func TestCV7_LandingMR(t *testing.T) {
	create := "create_landing_mr{rig=r1,convoy=c1,target=main,feature_branch=" + featureBranch + "}"
	ready := func(extra string) string { return `{"ready_to_land":1` + extra + `}` }
	attempts := func(n int, ago time.Duration) string {
		return ready(`,"landing_mr_attempts":` + itoa(n) + `,"last_landing_mr_attempt_at":"` + f0(ago) + `"`)
	}
	runCases(t, []ruleCase{
		{name: "not ready yet: mark ready and stop", build: func(f *fixture) {
			landingConvoy(f, "", 0, done2...)
		}, want: []string{"update_convoy_progress{convoy=c1,closed_beads=2}", "set_convoy_ready_to_land{convoy=c1}"}},
		{name: "ready: create the landing MR", build: func(f *fixture) {
			landingConvoy(f, ready(""), 2, done2...)
		}, want: []string{create}},
		{name: "target branch is the rig's default branch", build: func(f *fixture) {
			f.rig("r1", "", "develop")
			landingConvoy(f, ready(""), 2, done2...)
		}, want: []string{"create_landing_mr{rig=r1,convoy=c1,target=develop,feature_branch=" + featureBranch + "}"}},
		{name: "no tracked bead with a rig: nothing", build: func(f *fixture) {
			landingConvoy(f, ready(""), 2, done2...)
			f.exec(`UPDATE beads SET rig_id = NULL WHERE bead_id IN ('i1', 'i2')`)
		}},
		{name: "landing MR merged: close", build: func(f *fixture) {
			landingConvoy(f, ready(""), 2, done2...)
			landingMR(f, "lm1", model.StatusFailed, "")
			landingMR(f, "lm2", model.StatusClosed, "")
		}, want: []string{"close_convoy{convoy=c1}"}},
		{name: "landing MR open: wait", build: func(f *fixture) {
			landingConvoy(f, ready(""), 2, done2...)
			landingMR(f, "lm1", model.StatusOpen, "")
		}},
		{name: "landing MR failed awaiting approval: respawn suppressed, every tick", build: func(f *fixture) {
			landingConvoy(f, attempts(2, time.Hour), 2, done2...)
			landingMR(f, "lm1", model.StatusFailed, `{"awaiting_approval":true}`)
		}, want: []string{"emit_event{event=reconciler.respawn_suppressed,convoyId=c1,suppressedAttempt=3}"}},
		{name: "failed landing MR without approval: retry", build: func(f *fixture) {
			landingConvoy(f, attempts(1, time.Hour), 2, done2...)
			landingMR(f, "lm1", model.StatusFailed, `{"awaiting_approval":false}`)
		}, want: []string{create}},
		{name: "5 attempts: fail the convoy", build: func(f *fixture) {
			landingConvoy(f, attempts(5, time.Hour), 2, done2...)
		}, want: []string{"fail_convoy{convoy=c1,reason=Landing MR creation failed after 5 attempts}"}},
		{name: "attempt 1 waits 60 s", build: func(f *fixture) {
			landingConvoy(f, attempts(1, 59*time.Second), 2, done2...)
		}},
		{name: "attempt 1 after 60 s", build: func(f *fixture) {
			landingConvoy(f, attempts(1, 60*time.Second), 2, done2...)
		}, want: []string{create}},
		{name: "attempt 4 waits 480 s", build: func(f *fixture) {
			landingConvoy(f, attempts(4, 479*time.Second), 2, done2...)
		}},
		{name: "attempt 4 after 480 s", build: func(f *fixture) {
			landingConvoy(f, attempts(4, 480*time.Second), 2, done2...)
		}, want: []string{create}},
		{name: "unparsable last attempt never waits", build: func(f *fixture) {
			landingConvoy(f, ready(`,"landing_mr_attempts":3,"last_landing_mr_attempt_at":"soon"`), 2, done2...)
		}, want: []string{create}},
		{name: "active while draining", opts: Options{Draining: true}, build: func(f *fixture) {
			landingConvoy(f, ready(""), 2, done2...)
		}, want: []string{create}},
	})
}

func TestCV8_CloseDirectly(t *testing.T) {
	done := func(mode, branch string) func(f *fixture) {
		return func(f *fixture) {
			f.convoy(C{B: B{ID: "c1"}, Total: 1, Closed: 1, MergeMode: mode, FeatureBranch: branch})
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.dep("i1", "c1", model.DepTracks)
		}
	}
	runCases(t, []ruleCase{
		{name: "review-and-merge", build: done(model.MergeModeReviewAndMerge, featureBranch), want: []string{"close_convoy{convoy=c1}"}},
		{name: "review-then-land without a feature branch", build: done(model.MergeModeReviewThenLand, ""), want: []string{"close_convoy{convoy=c1}"}},
		{name: "review-then-land with an empty feature branch", build: done(model.MergeModeReviewThenLand, "''"), want: []string{"close_convoy{convoy=c1}"}},
		{name: "review-then-land with a feature branch lands instead", build: done(model.MergeModeReviewThenLand, featureBranch),
			want: []string{"set_convoy_ready_to_land{convoy=c1}"}},
	})
}

// itoa avoids strconv in the table literals.
func itoa(n int) string { return model.JSNumber(float64(n)) }
