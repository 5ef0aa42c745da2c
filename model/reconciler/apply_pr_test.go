package reconciler

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// prMR creates a source issue in review and its in-progress MR with a PR.
func (f *applyFix) prMR(prURL string) (mr, src string) {
	f.t.Helper()
	src = f.issue("src")
	_, err := f.town.UpdateBeadStatus(f.env.Clock, src, model.StatusInReview, "", nil)
	f.must(err)
	mr = f.mr(src, prURL)
	_, err = f.town.UpdateBeadStatus(f.env.Clock, mr, model.StatusInProgress, "", nil)
	f.must(err)
	return mr, src
}

// poll applies poll_pr on mr and runs its effect, which must not reject.
func (f *applyFix) poll(mr, prURL string) {
	f.t.Helper()
	if err := f.applyRun(Action{Type: PollPR, BeadID: mr, PRURL: prURL}); err != nil {
		f.t.Fatalf("poll_pr effect rejected: %v", err)
	}
}

func prOpen(mergeable string) model.Result {
	return model.Result{PR: model.PRStatus{OK: true, State: "open", MergeableState: mergeable}}
}

func prFailed(kind string, status int) model.Result {
	return model.Result{PR: model.PRStatus{ErrKind: kind, HTTPStatus: status}}
}

func feedback(fb model.PRFeedback) model.Result { return model.Result{Feedback: &fb} }

// greenFeedback is feedback that lets auto-merge proceed.
var greenFeedback = model.PRFeedback{AllChecksPass: true, ReviewDecision: "APPROVED", MergeStateStatus: "CLEAN"}

// TestApplyPollPR covers poll_pr's synchronous stamp and its successful
// outcomes (§3.3 "On ok").
func TestApplyPollPR(t *testing.T) {
	t.Run("sync part stamps updated_at and last_poll_at", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.advance(time.Minute)
		e := f.apply(Action{Type: PollPR, BeadID: mr, PRURL: applyPRURL})
		wantEq(t, "updated_at", f.bead(mr, "updated_at"), f.now())
		wantEq(t, "last_poll_at", f.meta(mr, "last_poll_at"), f.now())
		if e == nil || len(f.env.Calls) != 0 {
			t.Fatalf("effect %v, calls %s", e, f.callKinds())
		}
	})

	for _, state := range []string{"merged", "closed"} {
		t.Run(state+" resets counters and inserts pr_status_changed", func(t *testing.T) {
			f := newApplyFix(t)
			mr, _ := f.prMR(applyPRURL)
			f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.poll_transient_count', 4, '$.poll_error_kind', 'http_error') WHERE bead_id = ?`, mr)
			f.answer(model.CallPRStatus, model.Result{PR: model.PRStatus{OK: true, State: state}})
			f.poll(mr, applyPRURL)
			wantEq(t, "transient", f.meta(mr, "poll_transient_count"), "0")
			wantEq(t, "non-transient", f.meta(mr, "poll_non_transient_count"), "0")
			wantEq(t, "error kind type", f.str(`SELECT json_type(metadata, '$.poll_error_kind') FROM beads WHERE bead_id = ?`, mr), "null")
			ev := f.townEvents()
			want := `pr_status_changed ` + mr + ` {"pr_url":"` + applyPRURL + `","pr_state":"` + state + `"}`
			if len(ev) != 1 || !sameJSONEvent(ev[0], want) {
				t.Fatalf("town events = %q, want %q", ev, want)
			}
			wantEq(t, "calls", f.callKinds(), "github.pr_status")
			wantEq(t, "MR status (applied next tick)", f.bead(mr, "status"), "in_progress")
		})
	}

	t.Run("open unknown does nothing more", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.has_conflicts', 1) WHERE bead_id = ?`, mr)
		f.answer(model.CallPRStatus, prOpen("unknown"))
		f.poll(mr, applyPRURL)
		wantEq(t, "calls", f.callKinds(), "github.pr_status")
		wantEq(t, "has_conflicts kept", f.meta(mr, "has_conflicts"), "1")
		wantNum(t, "town events", len(f.townEvents()), 0)
	})

	t.Run("dirty marks the conflict once and resets the timer", func(t *testing.T) {
		f := newApplyFix(t)
		mr, src := f.prMR(applyPRURL)
		f.exec(`UPDATE review_metadata SET auto_merge_ready_since = ? WHERE bead_id = ?`, f.now(), mr)
		f.answer(model.CallPRStatus, prOpen("dirty"))
		f.advance(time.Minute)
		f.poll(mr, applyPRURL)
		wantEq(t, "has_conflicts", f.meta(mr, "has_conflicts"), "1")
		wantEq(t, "conflicts_detected_at", f.meta(mr, "conflicts_detected_at"), f.now())
		wantEq(t, "ready_since", f.review(mr, "auto_merge_ready_since"), "<NULL>")
		branch := f.review(mr, "branch")
		want := `pr_conflict_detected ` + mr + ` {"mr_bead_id":"` + mr + `","source_bead_id":"` + src +
			`","pr_url":"` + applyPRURL + `","branch":"` + branch + `"}`
		if ev := f.townEvents(); len(ev) != 1 || !sameJSONEvent(ev[0], want) {
			t.Fatalf("town events = %q, want %q", ev, want)
		}
		f.advance(time.Minute)
		f.poll(mr, applyPRURL)
		wantNum(t, "conflict events after a second dirty poll", len(f.townEvents()), 1)
		wantEq(t, "detected_at kept", f.meta(mr, "conflicts_detected_at"), model.ISO(applyT0.Add(time.Minute)))
		wantEq(t, "no feedback call", f.callKinds(), "github.pr_status,github.pr_status")
	})

	t.Run("clean clears the conflict flag", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.has_conflicts', 1, '$.conflicts_detected_at', 'x') WHERE bead_id = ?`, mr)
		f.answer(model.CallPRStatus, prOpen("clean"))
		f.answer(model.CallPRFeedback, feedback(greenFeedback))
		f.poll(mr, applyPRURL)
		wantEq(t, "has_conflicts", f.meta(mr, "has_conflicts"), "<NULL>")
		wantEq(t, "conflicts_detected_at", f.meta(mr, "conflicts_detected_at"), "<NULL>")
	})

	t.Run("hazard 7: a town without refinery config only polls status", func(t *testing.T) {
		f := newApplyFix(t)
		if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.Refinery = nil }); err != nil {
			f.t.Fatal(err)
		}
		mr, _ := f.prMR(applyPRURL)
		f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.has_conflicts', 1) WHERE bead_id = ?`, mr)
		f.answer(model.CallPRStatus, prOpen("clean"))
		f.poll(mr, applyPRURL)
		wantEq(t, "calls", f.callKinds(), "github.pr_status")
		wantEq(t, "has_conflicts kept", f.meta(mr, "has_conflicts"), "1")
	})

	t.Run("hazard 7: rig overrides are ignored by the poll", func(t *testing.T) {
		f := newApplyFix(t)
		off := false
		f.must(f.town.SetRigOverrides(applyRig, model.RigConfig{AutoResolvePRFeedback: &off}))
		if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.Refinery.AutoMergeDelayMinutes = nil }); err != nil {
			f.t.Fatal(err)
		}
		mr, _ := f.prMR(applyPRURL)
		f.answer(model.CallPRStatus, prOpen("clean"))
		f.answer(model.CallPRFeedback, feedback(model.PRFeedback{HasFailingChecks: true}))
		f.poll(mr, applyPRURL)
		wantEq(t, "calls", f.callKinds(), "github.pr_status,github.pr_feedback,github.pr_status")
		wantNum(t, "pr_feedback_detected despite the rig's off switch", len(f.townEvents()), 1)
	})

	t.Run("auto-resolve re-checks the PR and reports feedback", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.answer(model.CallPRStatus, prOpen("blocked"))
		f.answer(model.CallPRFeedback, feedback(model.PRFeedback{HasUnresolvedComments: true, HasFailingChecks: true}))
		f.advance(time.Minute)
		f.poll(mr, applyPRURL)
		wantEq(t, "calls", f.callKinds(), "github.pr_status,github.pr_feedback,github.pr_status")
		ev := f.townEvents()
		want := `pr_feedback_detected ` + mr + ` {"mr_bead_id":"` + mr + `","pr_url":"` + applyPRURL +
			`","pr_number":42,"repo":"acme/widgets","branch":"` + f.review(mr, "branch") +
			`","has_unresolved_comments":true,"has_failing_checks":true,"has_unchecked_runs":false}`
		if len(ev) != 1 || !sameJSONEvent(ev[0], want) {
			t.Fatalf("town events = %q, want %q", ev, want)
		}
		wantEq(t, "last_feedback_check_at", f.review(mr, "last_feedback_check_at"), f.now())
		wantEq(t, "ready_since (not green)", f.review(mr, "auto_merge_ready_since"), "<NULL>")
	})

	t.Run("auto-resolve skips when a live feedback bead blocks the MR", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		fb, err := f.town.CreateBead(f.env.Clock, model.CreateBeadInput{Type: model.TypeIssue, Title: "fix feedback",
			RigID: applyRig, Labels: []string{model.LabelPRFeedback}})
		f.must(err)
		f.must(f.town.InsertDependency(mr, fb.ID, model.DepBlocks))
		f.answer(model.CallPRStatus, prOpen("clean"))
		f.answer(model.CallPRFeedback, feedback(model.PRFeedback{HasUncheckedRuns: true}))
		f.poll(mr, applyPRURL)
		wantNum(t, "town events", len(f.townEvents()), 0)
		wantEq(t, "last_feedback_check_at", f.review(mr, "last_feedback_check_at"), f.now())
	})

	t.Run("auto-resolve skips a PR merged during the feedback check", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		n := 0
		f.answers[model.CallPRStatus] = func(model.Call) model.Result {
			n++
			if n == 1 {
				return prOpen("clean")
			}
			return model.Result{PR: model.PRStatus{OK: true, State: "merged"}}
		}
		f.answer(model.CallPRFeedback, feedback(model.PRFeedback{HasFailingChecks: true}))
		f.poll(mr, applyPRURL)
		wantNum(t, "town events", len(f.townEvents()), 0)
		wantEq(t, "last_feedback_check_at", f.review(mr, "last_feedback_check_at"), "<NULL>")
	})

	t.Run("auto-merge timer", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.answer(model.CallPRStatus, prOpen("clean"))
		f.answer(model.CallPRFeedback, feedback(greenFeedback))
		f.poll(mr, applyPRURL)
		start := f.now()
		wantEq(t, "ready_since", f.review(mr, "auto_merge_ready_since"), start)
		f.advance(4*time.Minute + 59*time.Second)
		f.poll(mr, applyPRURL)
		wantNum(t, "events before the 5 min delay", len(f.townEvents()), 0)
		f.advance(time.Second)
		f.poll(mr, applyPRURL)
		f.advance(time.Minute)
		f.poll(mr, applyPRURL)
		ev := f.townEvents()
		want := `pr_auto_merge ` + mr + ` {"mr_bead_id":"` + mr + `","pr_url":"` + applyPRURL + `"}`
		if len(ev) != 2 || !sameJSONEvent(ev[0], want) || !sameJSONEvent(ev[1], want) {
			t.Fatalf("town events = %q, want two %q (one per poll)", ev, want)
		}
		wantEq(t, "ready_since kept", f.review(mr, "auto_merge_ready_since"), start)
		f.answer(model.CallPRFeedback, feedback(model.PRFeedback{AllChecksPass: true, ReviewDecision: "CHANGES_REQUESTED"}))
		f.poll(mr, applyPRURL)
		wantEq(t, "ready_since after changes requested", f.review(mr, "auto_merge_ready_since"), "<NULL>")
	})

	t.Run("no feedback wanted means no feedback call", func(t *testing.T) {
		f := newApplyFix(t)
		if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.Refinery.AutoResolvePRFeedback = false }); err != nil {
			f.t.Fatal(err)
		}
		if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.Refinery.AutoMergeDelayMinutes = nil }); err != nil {
			f.t.Fatal(err)
		}
		mr, _ := f.prMR(applyPRURL)
		f.answer(model.CallPRStatus, prOpen("clean"))
		f.poll(mr, applyPRURL)
		wantEq(t, "calls", f.callKinds(), "github.pr_status")
		wantEq(t, "awaiting_approval", f.meta(mr, "awaiting_approval"), "<NULL>")
	})
}

// TestHazard22_ObservedAtRewritten: awaiting_approval_observed_at is
// rewritten on every awaiting poll, so the "resolved" duration is about
// one poll interval, not the whole wait.
func TestHazard22_ObservedAtRewritten(t *testing.T) {
	f := newApplyFix(t)
	mr, _ := f.prMR(applyPRURL)
	f.answer(model.CallPRStatus, prOpen("blocked"))
	f.answer(model.CallPRFeedback, feedback(model.PRFeedback{AllChecksPass: true, ReviewDecision: "REVIEW_REQUIRED"}))
	f.advance(10 * time.Minute)
	f.poll(mr, applyPRURL)
	wantEq(t, "awaiting", f.meta(mr, "awaiting_approval"), "1")
	wantEq(t, "review_decision", f.meta(mr, "review_decision"), "REVIEW_REQUIRED")
	wantEq(t, "merge_state_status type", f.str(`SELECT json_type(metadata, '$.merge_state_status') FROM beads WHERE bead_id = ?`, mr), "null")
	wantEq(t, "observed_at", f.meta(mr, "awaiting_approval_observed_at"), f.now())
	det := f.events("pr.awaiting_approval_detected")
	if len(det) != 1 || det[0].DurationMs != 600000 || det[0].Label != "REVIEW_REQUIRED" || det[0].BeadID != mr ||
		det[0].Delivery != "internal" {
		t.Fatalf("detected = %+v, want one with durationMs 600000 (since MR creation)", det)
	}
	for i := 0; i < 3; i++ {
		f.advance(time.Minute)
		f.poll(mr, applyPRURL)
	}
	wantNum(t, "detected events while still awaiting", len(f.events("pr.awaiting_approval_detected")), 1)
	wantEq(t, "observed_at rewritten", f.meta(mr, "awaiting_approval_observed_at"), f.now())

	f.answer(model.CallPRFeedback, feedback(greenFeedback))
	f.advance(time.Minute)
	f.poll(mr, applyPRURL)
	res := f.events("pr.awaiting_approval_resolved")
	if len(res) != 1 || res[0].DurationMs != 60000 || res[0].Label != "APPROVED" || res[0].Reason != "CLEAN" {
		t.Fatalf("resolved = %+v, want durationMs 60000 (one poll interval, not the 4 min wait)", res)
	}
	wantEq(t, "awaiting", f.meta(mr, "awaiting_approval"), "0")
	wantEq(t, "observed_at removed", f.meta(mr, "awaiting_approval_observed_at"), "<NULL>")
}

// TestApplyPollPRErrors covers poll_pr's error outcomes (§3.3 "On error").
func TestApplyPollPRErrors(t *testing.T) {
	t.Run("transient 5xx fails at the 10th consecutive error", func(t *testing.T) {
		f := newApplyFix(t)
		mr, src := f.prMR(applyPRURL)
		f.answer(model.CallPRStatus, prFailed("http_error", 503))
		for i := 1; i <= 9; i++ {
			f.advance(time.Minute)
			f.poll(mr, applyPRURL)
		}
		wantEq(t, "status after 9", f.bead(mr, "status"), "in_progress")
		wantEq(t, "transient after 9", f.meta(mr, "poll_transient_count"), "9")
		wantEq(t, "non-transient", f.meta(mr, "poll_non_transient_count"), "0")
		wantEq(t, "error kind", f.meta(mr, "poll_error_kind"), "http_error")
		wantNum(t, "poll_failed before the threshold", len(f.events("pr.poll_failed")), 0)
		f.advance(time.Minute)
		f.poll(mr, applyPRURL)
		wantEq(t, "status", f.bead(mr, "status"), "failed")
		wantEq(t, "failureReason", f.meta(mr, "failureReason"), "pr_poll_failed")
		wantEq(t, "failureKind", f.meta(mr, "failureKind"), "http_error")
		if f.meta(mr, "failureMessage") == "<NULL>" {
			t.Error("no failureMessage")
		}
		wantEq(t, "status event has no reason object",
			f.str(`SELECT metadata FROM bead_events WHERE bead_id = ? AND new_value = 'failed'`, mr), "{}")
		want := model.AnalyticsEvent{Event: "pr.poll_failed", Delivery: "internal", TownID: applyTownID,
			RigID: applyRig, BeadID: mr, Reason: "http_error", Label: "github", StatusCode: 503}
		if got := f.events("pr.poll_failed"); len(got) != 1 || got[0] != want {
			t.Fatalf("pr.poll_failed = %+v, want %+v", got, want)
		}
		wantEq(t, "source stays in_review", f.bead(src, "status"), "in_review")
	})

	t.Run("429 is transient and legacy poll_null_count carries over", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.poll_null_count', 8) WHERE bead_id = ?`, mr)
		f.answer(model.CallPRStatus, prFailed("http_error", 429))
		f.poll(mr, applyPRURL)
		wantEq(t, "transient", f.meta(mr, "poll_transient_count"), "9")
		wantEq(t, "status", f.bead(mr, "status"), "in_progress")
		f.poll(mr, applyPRURL)
		wantEq(t, "status at 10", f.bead(mr, "status"), "failed")
	})

	t.Run("404 fails at once", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.answer(model.CallPRStatus, prFailed("http_error", 404))
		f.poll(mr, applyPRURL)
		wantEq(t, "status", f.bead(mr, "status"), "failed")
		wantEq(t, "failureKind", f.meta(mr, "failureKind"), "http_error")
		if got := f.events("pr.poll_failed"); len(got) != 1 || got[0].StatusCode != 404 {
			t.Fatalf("pr.poll_failed = %+v", got)
		}
		wantEq(t, "counters untouched", f.meta(mr, "poll_transient_count"), "<NULL>")
	})

	t.Run("invalid_response fails at the 3rd and resets the transient count", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.answer(model.CallPRStatus, prFailed("http_error", 502))
		f.poll(mr, applyPRURL)
		f.poll(mr, applyPRURL)
		f.answer(model.CallPRStatus, prFailed("invalid_response", 0))
		f.poll(mr, applyPRURL)
		wantEq(t, "transient reset", f.meta(mr, "poll_transient_count"), "0")
		wantEq(t, "non-transient", f.meta(mr, "poll_non_transient_count"), "1")
		f.answer(model.CallPRStatus, prFailed("http_error", 500))
		f.poll(mr, applyPRURL)
		wantEq(t, "non-transient reset", f.meta(mr, "poll_non_transient_count"), "0")
		f.answer(model.CallPRStatus, model.Result{}) // unparsable body
		for i := 0; i < 2; i++ {
			f.poll(mr, applyPRURL)
		}
		wantEq(t, "status after 2", f.bead(mr, "status"), "in_progress")
		f.poll(mr, applyPRURL)
		wantEq(t, "status after 3", f.bead(mr, "status"), "failed")
		wantEq(t, "failureKind", f.meta(mr, "failureKind"), "invalid_response")
		if got := f.events("pr.poll_failed"); len(got) != 1 || got[0].StatusCode != 0 || got[0].Label != "github" {
			t.Fatalf("pr.poll_failed = %+v", got)
		}
	})

	t.Run("a successful poll resets the counters", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.answer(model.CallPRStatus, prFailed("http_error", 503))
		f.poll(mr, applyPRURL)
		f.answer(model.CallPRStatus, prOpen("unknown"))
		f.poll(mr, applyPRURL)
		wantEq(t, "transient", f.meta(mr, "poll_transient_count"), "0")
		wantEq(t, "error kind type", f.str(`SELECT json_type(metadata, '$.poll_error_kind') FROM beads WHERE bead_id = ?`, mr), "null")
	})

	immediate := []struct {
		name, url, kind, label string
		setup                  func(f *applyFix)
		wantCalls              string
	}{
		{name: "no GitHub token", url: applyPRURL, kind: "no_token", label: "github",
			setup: func(f *applyFix) {
				if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.GitAuth.GitHubToken = "" }); err != nil {
					f.t.Fatal(err)
				}
			}},
		{name: "no GitLab token", url: "https://gitlab.com/acme/widgets/-/merge_requests/7", kind: "no_token", label: "gitlab"},
		{name: "unrecognized url", url: "https://bitbucket.org/acme/widgets/pull-requests/1", kind: "unrecognized_url", label: ""},
		{name: "GitLab host mismatch", url: "https://git.evil.example/acme/widgets/-/merge_requests/7", kind: "host_mismatch", label: "gitlab",
			setup: func(f *applyFix) {
				if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.GitAuth.GitLabToken = "glpat" }); err != nil {
					f.t.Fatal(err)
				}
				if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.GitAuth.GitLabInstanceURL = "https://git.acme.example" }); err != nil {
					f.t.Fatal(err)
				}
			}},
	}
	for _, c := range immediate {
		t.Run(c.name+" fails at once without a call", func(t *testing.T) {
			f := newApplyFix(t)
			if c.setup != nil {
				c.setup(f)
			}
			mr, _ := f.prMR(c.url)
			f.poll(mr, c.url)
			wantEq(t, "calls", f.callKinds(), "")
			wantEq(t, "status", f.bead(mr, "status"), "failed")
			wantEq(t, "failureKind", f.meta(mr, "failureKind"), c.kind)
			got := f.events("pr.poll_failed")
			if len(got) != 1 || got[0].Label != c.label || got[0].Reason != c.kind || got[0].StatusCode != 0 {
				t.Fatalf("pr.poll_failed = %+v", got)
			}
		})
	}

	t.Run("GitLab on the configured host is polled", func(t *testing.T) {
		f := newApplyFix(t)
		if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.GitAuth.GitLabToken = "glpat" }); err != nil {
			f.t.Fatal(err)
		}
		if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.GitAuth.GitLabInstanceURL = "https://git.acme.example:8443" }); err != nil {
			f.t.Fatal(err)
		}
		url := "https://GIT.acme.example/group/sub/widgets/-/merge_requests/7"
		mr, _ := f.prMR(url)
		f.answer(model.CallPRStatus, prOpen("dirty"))
		f.poll(mr, url)
		// GitLab has no mergeable_state and no feedback: nothing but the status call.
		wantEq(t, "calls", f.callKinds(), "github.pr_status")
		wantEq(t, "has_conflicts", f.meta(mr, "has_conflicts"), "<NULL>")
	})

	t.Run("a thrown error changes no counter", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.poll_transient_count', 3) WHERE bead_id = ?`, mr)
		f.answer(model.CallPRStatus, model.Result{Err: "fetch failed"})
		f.poll(mr, applyPRURL)
		wantEq(t, "transient", f.meta(mr, "poll_transient_count"), "3")
		wantEq(t, "error kind", f.meta(mr, "poll_error_kind"), "<NULL>")
		wantEq(t, "status", f.bead(mr, "status"), "in_progress")
	})

	t.Run("a config that fails to read is a thrown error", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.town.KV().ConfigErr = errConfig
		f.poll(mr, applyPRURL)
		wantEq(t, "calls", f.callKinds(), "")
		wantEq(t, "error kind", f.meta(mr, "poll_error_kind"), "<NULL>")
		wantEq(t, "last_poll_at still stamped", f.meta(mr, "last_poll_at"), f.now())
	})

	t.Run("a deleted MR throws in the failure path", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		e := f.apply(Action{Type: PollPR, BeadID: mr, PRURL: applyPRURL})
		_, err := f.town.DeleteBead(f.env.Clock, mr, "")
		f.must(err)
		f.answer(model.CallPRStatus, prFailed("http_error", 404))
		if err := e.Run(f.env); err != nil {
			t.Fatalf("effect rejected: %v", err)
		}
		wantNum(t, "poll_failed", len(f.events("pr.poll_failed")), 0)
	})
}

// TestApplyMergePR covers merge_pr (§3.4).
func TestApplyMergePR(t *testing.T) {
	pending := func(f *applyFix, mr string) {
		f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.auto_merge_pending', 1) WHERE bead_id = ?`, mr)
		f.exec(`UPDATE review_metadata SET auto_merge_ready_since = ? WHERE bead_id = ?`, f.now(), mr)
	}

	t.Run("repository mismatch clears the flag with no effect", func(t *testing.T) {
		f := newApplyFix(t)
		url := "https://github.com/evil/widgets/pull/9"
		mr, _ := f.prMR(url)
		pending(f, mr)
		f.advance(time.Minute)
		e, err := Apply(f.town, f.env, Action{Type: MergePR, BeadID: mr, PRURL: url})
		if err != nil || e != nil {
			t.Fatalf("Apply = %v, %v; want no effect", e, err)
		}
		wantEq(t, "auto_merge_pending", f.meta(mr, "auto_merge_pending"), "<NULL>")
		wantEq(t, "updated_at", f.bead(mr, "updated_at"), f.now())
		wantEq(t, "ready_since kept", f.review(mr, "auto_merge_ready_since"), model.ISO(applyT0))
	})

	t.Run("an MR whose rig has no git url is merged", func(t *testing.T) {
		f := newApplyFix(t)
		f.must(f.town.AddRig(applyT0, applyRig, "widgets", "", "main"))
		url := "https://github.com/evil/widgets/pull/9"
		mr, _ := f.prMR(url)
		if f.apply(Action{Type: MergePR, BeadID: mr, PRURL: url}) == nil {
			t.Fatal("no effect")
		}
	})

	t.Run("green feedback and a merge insert pr_status_changed", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		pending(f, mr)
		f.answer(model.CallPRFeedback, feedback(greenFeedback))
		f.answer(model.CallMergePR, model.Result{OK: true})
		f.must(f.applyRun(Action{Type: MergePR, BeadID: mr, PRURL: applyPRURL}))
		wantEq(t, "calls", f.callKinds(), "github.pr_feedback,github.merge_pr")
		want := `pr_status_changed ` + mr + ` {"pr_url":"` + applyPRURL + `","pr_state":"merged"}`
		if ev := f.townEvents(); len(ev) != 1 || !sameJSONEvent(ev[0], want) {
			t.Fatalf("town events = %q, want %q", ev, want)
		}
		wantEq(t, "auto_merge_pending kept", f.meta(mr, "auto_merge_pending"), "1")
	})

	clearing := []struct {
		name      string
		answer    func(f *applyFix)
		wantCalls string
	}{
		{name: "merge refused", wantCalls: "github.pr_feedback,github.merge_pr", answer: func(f *applyFix) {
			f.answer(model.CallPRFeedback, feedback(greenFeedback))
			f.answer(model.CallMergePR, model.Result{OK: false})
		}},
		{name: "fresh feedback not green", wantCalls: "github.pr_feedback", answer: func(f *applyFix) {
			f.answer(model.CallPRFeedback, feedback(model.PRFeedback{AllChecksPass: true, MergeStateStatus: "BLOCKED"}))
		}},
		{name: "feedback fetch failing reads as all-false", wantCalls: "github.pr_feedback", answer: func(f *applyFix) {
			f.answer(model.CallPRFeedback, model.Result{Err: "graphql down"})
		}},
		{name: "merge call throws", wantCalls: "github.pr_feedback,github.merge_pr", answer: func(f *applyFix) {
			f.answer(model.CallPRFeedback, feedback(greenFeedback))
			f.answer(model.CallMergePR, model.Result{Err: "socket hang up"})
		}},
		{name: "no token: no feedback, no merge", wantCalls: "", answer: func(f *applyFix) {
			if err := f.town.EditTownConfig(func(c *model.TownConfig) { c.GitAuth.GitHubToken = "" }); err != nil {
				f.t.Fatal(err)
			}
		}},
	}
	for _, c := range clearing {
		t.Run(c.name+" clears the pending flag and the timer", func(t *testing.T) {
			f := newApplyFix(t)
			mr, _ := f.prMR(applyPRURL)
			pending(f, mr)
			c.answer(f)
			f.advance(time.Minute)
			if err := f.applyRun(Action{Type: MergePR, BeadID: mr, PRURL: applyPRURL}); err != nil {
				t.Fatalf("effect rejected: %v", err)
			}
			wantEq(t, "calls", f.callKinds(), c.wantCalls)
			wantEq(t, "auto_merge_pending", f.meta(mr, "auto_merge_pending"), "<NULL>")
			wantEq(t, "updated_at", f.bead(mr, "updated_at"), f.now())
			wantEq(t, "ready_since", f.review(mr, "auto_merge_ready_since"), "<NULL>")
			wantNum(t, "town events", len(f.townEvents()), 0)
		})
	}

	t.Run("the effect rejects only when the clearing itself fails", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		e := f.apply(Action{Type: MergePR, BeadID: mr, PRURL: applyPRURL})
		f.answer(model.CallPRFeedback, feedback(model.PRFeedback{HasFailingChecks: true}))
		f.exec(`DROP TABLE review_metadata`)
		if err := e.Run(f.env); err == nil {
			t.Fatal("effect fulfilled although the clearing in its catch failed")
		}
		wantEq(t, "auto_merge_pending cleared before the failure", f.meta(mr, "auto_merge_pending"), "<NULL>")
	})
}

// TestPollFailureMessage pins the failureMessage texts poll_pr persists on
// an MR it fails: they are production's words, per error kind.
func TestPollFailureMessage(t *testing.T) {
	githubChain := []string{"town.github_cli_pat", "platform integration (none configured)", "town.git_auth.github_token"}
	cases := []struct {
		name string
		err  prError
		want string
	}{
		{"no GitHub token", prError{Kind: "no_token", Provider: "github", Resolution: githubChain},
			"No GitHub token resolved for this town. Tried (in order): `town.github_cli_pat`, " +
				"`platform integration (none configured)`, `town.git_auth.github_token`. Configure one of these " +
				"in town or rig settings. Note: polecat agents use their own container credentials and may have " +
				"created the PR successfully — that does not imply the town worker can poll PR status."},
		{"no GitLab token", prError{Kind: "no_token", Provider: "gitlab", Resolution: []string{"town.git_auth.gitlab_token"}},
			"No GitLab token resolved for this town. Tried (in order): `town.git_auth.gitlab_token`. Configure one of " +
				"these in town or rig settings. Note: polecat agents use their own container credentials and may have " +
				"created the PR successfully — that does not imply the town worker can poll PR status."},
		{"401", prError{Kind: "http_error", Provider: "github", Status: 401},
			"Town's GitHub token is invalid or expired (HTTP 401). Refresh the token in town settings."},
		{"403 GitHub", prError{Kind: "http_error", Provider: "github", Status: 403},
			"Town's GitHub token lacks permission for this PR (HTTP 403). Ensure the token has `pull-requests: read` " +
				"scope on the repo, or check for a secondary rate limit."},
		{"403 GitLab", prError{Kind: "http_error", Provider: "gitlab", Status: 403},
			"Town's GitLab token lacks permission for this PR (HTTP 403). Ensure the token has permission to read " +
				"merge requests in the project."},
		{"404 GitHub", prError{Kind: "http_error", Provider: "github", Status: 404},
			"PR not found (HTTP 404). Was the branch deleted before it could be polled, or is the URL wrong?"},
		{"404 GitLab", prError{Kind: "http_error", Provider: "gitlab", Status: 404},
			"MR not found (HTTP 404). Was the branch deleted before it could be polled, or is the URL wrong?"},
		{"transient 503", prError{Kind: "http_error", Provider: "github", Status: 503},
			"github API returned HTTP 503 Service Unavailable. Retrying."},
		{"non-transient 422", prError{Kind: "http_error", Provider: "gitlab", Status: 422},
			"gitlab API returned HTTP 422 Unprocessable Entity. Not retryable."},
		{"invalid response", prError{Kind: "invalid_response", Provider: "github", Reason: "json_parse"},
			"github API returned an unexpected response shape (json_parse). Please file a bug — the API contract may have drifted."},
		{"unrecognized url", prError{Kind: "unrecognized_url", URL: "https://bitbucket.org/a/b/pull-requests/1"},
			"PR URL format not recognized: https://bitbucket.org/a/b/pull-requests/1. Expected GitHub PR or GitLab MR URL."},
		{"host mismatch", prError{Kind: "host_mismatch", Provider: "gitlab", Expected: "gitlab.com", Got: "git.evil.example"},
			"Refusing to send GitLab token to unexpected host `git.evil.example` (configured: `gitlab.com`)."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantEq(t, "message", c.err.message(), c.want) })
	}

	// checkPRStatus (src/dos/town/town-scm.ts) tells a body that is not
	// JSON (json_parse) from JSON of the wrong shape (schema_mismatch, with
	// Object.keys(json).slice(0, 8)); the message (src/dos/town/actions.ts)
	// lists those keys. Both fail the MR at the third strike.
	t.Run("schema mismatch and json parse are told apart", func(t *testing.T) {
		keys := []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}
		cases := []struct {
			name string
			pr   model.PRStatus
			want string
		}{
			{"wrong shape", model.PRStatus{ErrKind: "invalid_response", InvalidReason: "schema_mismatch", Keys: keys},
				"github API returned an unexpected response shape (schema_mismatch); top-level keys: " +
					"k1, k2, k3, k4, k5, k6, k7, k8. Please file a bug — the API contract may have drifted."},
			{"wrong shape, no keys", model.PRStatus{ErrKind: "invalid_response", InvalidReason: "schema_mismatch"},
				"github API returned an unexpected response shape (schema_mismatch); top-level keys: . " +
					"Please file a bug — the API contract may have drifted."},
			{"not JSON", model.PRStatus{ErrKind: "invalid_response", InvalidReason: "json_parse", Keys: keys},
				"github API returned an unexpected response shape (json_parse). Please file a bug — the API contract may have drifted."},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f := newApplyFix(t)
				mr, _ := f.prMR(applyPRURL)
				f.answer(model.CallPRStatus, model.Result{StatusCode: 200, PR: c.pr})
				f.poll(mr, applyPRURL)
				f.poll(mr, applyPRURL)
				wantEq(t, "status after 2", f.bead(mr, "status"), "in_progress")
				f.poll(mr, applyPRURL)
				wantEq(t, "status after 3", f.bead(mr, "status"), "failed")
				wantEq(t, "failureKind", f.meta(mr, "failureKind"), "invalid_response")
				wantEq(t, "failureMessage", f.meta(mr, "failureMessage"), c.want)
			})
		}
	})

	t.Run("the text is what the failed MR stores", func(t *testing.T) {
		f := newApplyFix(t)
		mr, _ := f.prMR(applyPRURL)
		f.answer(model.CallPRStatus, prFailed("http_error", 404))
		f.poll(mr, applyPRURL)
		wantEq(t, "failureMessage", f.meta(mr, "failureMessage"),
			"PR not found (HTTP 404). Was the branch deleted before it could be polled, or is the URL wrong?")
	})
}

// TestMergePRRepositoryCheck covers merge_pr's synchronous repository
// check with production's git-URL parsing: only github.com and gitlab.com
// remotes parse, a GitHub remote's owner/repo are its first two path
// segments, and an unparsable remote skips the check.
func TestMergePRRepositoryCheck(t *testing.T) {
	cases := []struct {
		name, gitURL, prURL string
		refused             bool
	}{
		{"same GitHub repo", "https://github.com/acme/widgets.git", "https://github.com/acme/widgets/pull/9", false},
		{"other GitHub repo", "https://github.com/acme/widgets.git", "https://github.com/evil/widgets/pull/9", true},
		{"scp-like GitHub remote", "git@github.com:acme/widgets.git", "https://github.com/evil/widgets/pull/9", true},
		{"credentials are ignored", "https://x-access-token:tok@github.com/acme/widgets", "https://github.com/acme/widgets/pull/9", false},
		{"GitHub remote with extra segments", "https://github.com/acme/widgets/tree/main", "https://github.com/acme/widgets/pull/9", false},
		{"GitLab subgroup", "https://gitlab.com/group/sub/widgets.git", "https://gitlab.com/group/sub/widgets/-/merge_requests/3", false},
		{"GitLab other project", "https://gitlab.com/group/sub/widgets.git", "https://gitlab.com/group/other/-/merge_requests/3", true},
		{"self-hosted remote is not checked", "https://git.acme.example/acme/widgets.git", "https://github.com/evil/widgets/pull/9", false},
		{"ssh:// remote is not checked", "ssh://git@github.com/acme/widgets.git", "https://github.com/evil/widgets/pull/9", false},
		{"unparsable PR URL is not checked", "https://github.com/acme/widgets.git", "https://bitbucket.org/evil/widgets/pull-requests/9", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newApplyFix(t)
			f.exec(`UPDATE rigs SET git_url = ? WHERE id = ?`, c.gitURL, applyRig)
			mr, _ := f.prMR(c.prURL)
			f.exec(`UPDATE beads SET metadata = json_set(metadata, '$.auto_merge_pending', 1) WHERE bead_id = ?`, mr)
			e, err := Apply(f.town, f.env, Action{Type: MergePR, BeadID: mr, PRURL: c.prURL})
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if refused := e == nil; refused != c.refused {
				t.Fatalf("refused = %v, want %v", refused, c.refused)
			}
			want := "1"
			if c.refused {
				want = "<NULL>"
			}
			wantEq(t, "auto_merge_pending", f.meta(mr, "auto_merge_pending"), want)
		})
	}
}

// A brand-new town has no GitHub token (NEW_TOWN_CONFIG_DEFAULTS in
// src/dos/town/config.ts), so its first poll fails the MR at once with
// no_token and the resolution chain (checkPRStatus in town-scm.ts), without
// calling GitHub. The PR poller passes no rig integration (its SCM context
// in src/dos/Town.do.ts has none), so a rig-only integration does not
// help; a town integration or a stored token does.
func TestNoTokenOnFirstPoll(t *testing.T) {
	cases := []struct {
		name   string
		auth   model.GitAuth
		rigInt string
		polled bool
		tried  string
	}{
		{name: "fresh town", tried: "`town.github_cli_pat`, `platform integration (none configured)`, `town.git_auth.github_token`"},
		{name: "rig integration only", rigInt: "inst-rig",
			tried: "`town.github_cli_pat`, `platform integration (none configured)`, `town.git_auth.github_token`"},
		{name: "town integration", auth: model.GitAuth{PlatformIntegrationID: "inst-town"}, polled: true},
		{name: "stored token", auth: model.GitAuth{GitHubToken: "ghp"}, polled: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newApplyFix(t)
			if err := f.town.EditTownConfig(func(cfg *model.TownConfig) { cfg.GitAuth = c.auth }); err != nil {
				t.Fatal(err)
			}
			rc, _ := f.town.RigRuntimeConfig(applyRig)
			rc.PlatformIntegrationID = c.rigInt
			if err := f.town.ConfigureRig(applyT0, rc); err != nil {
				t.Fatal(err)
			}
			mr, _ := f.prMR(applyPRURL)
			f.answer(model.CallPRStatus, prOpen("clean"))
			f.poll(mr, applyPRURL)
			calls := 0
			for _, call := range f.env.Calls {
				if call.Kind == model.CallPRStatus {
					calls++
				}
			}
			if c.polled {
				wantEq(t, "status", f.bead(mr, "status"), "in_progress")
				wantEq(t, "GitHub calls", strconv.Itoa(calls), "1")
				return
			}
			wantEq(t, "GitHub calls", strconv.Itoa(calls), "0")
			wantEq(t, "status", f.bead(mr, "status"), "failed")
			wantEq(t, "failureKind", f.meta(mr, "failureKind"), "no_token")
			if msg := f.meta(mr, "failureMessage"); !strings.Contains(msg, "Tried (in order): "+c.tried+".") {
				t.Fatalf("failureMessage %q does not list %s", msg, c.tried)
			}
		})
	}
}
