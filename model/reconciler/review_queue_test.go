package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

const prURL = "https://github.com/o/r/pull/1"

// reviewOff is a rig override turning code review off.
const reviewOff = `{"code_review":false}`

func TestRQ1_PollPR(t *testing.T) {
	poll := "poll_pr{bead=m1,pr_url=" + prURL + "}"
	merge := "merge_pr{bead=m1,pr_url=" + prURL + "}"
	withMeta := func(meta string) func(f *fixture) {
		return func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Meta: meta}, PRURL: prURL})
		}
	}
	runCases(t, "RQ-1", []ruleCase{
		{name: "never polled", build: withMeta(""), want: []string{poll}},
		{name: "polled 30 s ago", build: withMeta(`{"last_poll_at":"` + f0(30*time.Second) + `"}`)},
		{name: "polled 60 s ago (>=)", build: withMeta(`{"last_poll_at":"` + f0(60*time.Second) + `"}`), want: []string{poll}},
		{name: "last_poll_at not a string: due", build: withMeta(`{"last_poll_at":12345}`), want: []string{poll}},
		{name: "auto merge pending", build: withMeta(`{"auto_merge_pending":1}`), want: []string{poll, merge}},
		{name: "auto merge pending, recently polled", build: withMeta(`{"auto_merge_pending":true,"last_poll_at":"` + f0(time.Second) + `"}`),
			want: []string{merge}},
		{name: "auto_merge_pending 0 is falsy", build: withMeta(`{"auto_merge_pending":0,"last_poll_at":"` + f0(time.Second) + `"}`)},
		{name: "open MR is not polled", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1"}, PRURL: prURL})
		}},
		{name: "empty pr_url is no PR", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress}, PRURL: "''"})
		}},
		{name: "no review_metadata: invisible", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Updated: f.ago(time.Hour)}, NoReview: true})
		}},
		{name: "active while draining", opts: Options{Draining: true}, build: withMeta(""), want: []string{poll}},
	})
}

func TestRQ2_StuckReview(t *testing.T) {
	stuck := "transition_bead{bead=m1,from=in_progress,to=open,actor=system,reason=stuck review, no working agent}"
	abandoned := "transition_bead{bead=m1,from=in_progress,to=open,actor=system,reason=abandoned, no agent hooked}"
	mr := func(f *fixture) {
		f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Updated: f.ago(31 * time.Minute)}})
	}
	runCases(t, "RQ-2", []ruleCase{
		{name: "nobody hooked: RQ-2 then RQ-3 duplicate", rules: []string{"RQ-2", "RQ-3"}, build: mr, want: []string{stuck, abandoned}},
		{name: "idle refinery hooked: unhook it; RQ-6 re-dispatches from the snapshot", rules: []string{"RQ-2", "RQ-2", "RQ-6"}, build: func(f *fixture) {
			mr(f)
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Hook: "m1"})
		}, want: []string{stuck, "unhook_agent{agent=ref,reason=stuck review cleanup}", "dispatch_agent{bead=m1,agent=ref}"}},
		{name: "working refinery hooked", build: func(f *fixture) {
			mr(f)
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Status: "working", Hook: "m1"})
		}},
		{name: "unresolved rework blocks both", build: func(f *fixture) {
			mr(f)
			f.bead(B{ID: "rw", Labels: `["gt:rework"]`})
			f.dep("m1", "rw", model.DepBlocks)
		}},
		{name: "resolved rework does not block", rules: []string{"RQ-2", "RQ-3"}, build: func(f *fixture) {
			mr(f)
			f.bead(B{ID: "rw", Status: model.StatusClosed})
			f.dep("m1", "rw", model.DepBlocks)
		}, want: []string{stuck, abandoned}},
		{name: "29 min: only RQ-3", rules: []string{"RQ-3"}, build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Updated: f.ago(29 * time.Minute)}})
		}, want: []string{abandoned}},
		{name: "PR-backed MRs are not stuck", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Updated: f.ago(31 * time.Minute),
				Meta: `{"last_poll_at":"` + f0(time.Second) + `"}`}, PRURL: prURL})
		}},
	})
}

func TestRQ3_AbandonedMR(t *testing.T) {
	abandoned := "transition_bead{bead=m1,from=in_progress,to=open,actor=system,reason=abandoned, no agent hooked}"
	runCases(t, "RQ-3", []ruleCase{
		{name: "nobody hooked for 2 min", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Updated: f.ago(2*time.Minute + time.Millisecond)}})
		}, want: []string{abandoned}},
		{name: "fresh", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Updated: f.ago(2 * time.Minute)}})
		}},
		{name: "someone hooked (even idle)", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Updated: f.ago(3 * time.Minute)}})
			f.agent(A{ID: "p1", Status: "working", Hook: "m1"})
		}},
		{name: "blocked", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Updated: f.ago(3 * time.Minute)}})
			f.bead(B{ID: "fb", Labels: `["gt:pr-feedback"]`})
			f.dep("m1", "fb", model.DepBlocks)
		}},
		{name: "open MRs are not abandoned", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Updated: f.ago(time.Hour)}})
		}},
	})
}

func TestRQ4_OrphanedPRReview(t *testing.T) {
	failed := "transition_bead{bead=m1,from=in_progress,to=failed,actor=system,reason=PR review orphaned}"
	// A poll 10 s ago keeps RQ-1 quiet; updated_at 31 min ago is what
	// RQ-4 reads (in production each poll bumps it: hazard 8).
	mr := func(meta string) func(f *fixture) {
		return func(f *fixture) {
			f.rig("r1", "", "")
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Rig: "r1", Updated: f.ago(31 * time.Minute),
				Meta: meta}, PRURL: prURL})
		}
	}
	recent := `{"last_poll_at":"` + f0(10*time.Second) + `"}`
	runCases(t, "RQ-4", []ruleCase{
		{name: "no working agent", opts: Options{Config: cfg()}, build: mr(recent), want: []string{failed}},
		{name: "no town config: code review on", build: mr(recent), want: []string{failed}},
		{name: "awaiting approval", opts: Options{Config: cfg()},
			build: mr(`{"awaiting_approval":true,"last_poll_at":"` + f0(10*time.Second) + `"}`)},
		{name: "code review off for the rig", opts: Options{Config: cfg()}, build: func(f *fixture) {
			mr(recent)(f)
			f.exec(`UPDATE rigs SET config = ? WHERE id = 'r1'`, reviewOff)
		}},
		{name: "working refinery hooked", opts: Options{Config: cfg()}, build: func(f *fixture) {
			mr(recent)(f)
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Status: "working", Hook: "m1", Rig: "r1"})
		}},
		{name: "no rig", opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Updated: f.ago(time.Hour), Meta: recent}, PRURL: prURL})
		}},
		{name: "29 min", opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress, Rig: "r1", Updated: f.ago(29 * time.Minute), Meta: recent}, PRURL: prURL})
		}},
	})
}

func TestRQFT_FastTrack(t *testing.T) {
	fast := "transition_bead{bead=m1,from=open,to=in_progress,actor=system,reason=refinery code review disabled — skip to poll_pr}"
	runCases(t, "RQ-FT", []ruleCase{
		{name: "open MR with PR skips the refinery", opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.rig("r1", reviewOff, "")
			f.mr(M{B: B{ID: "m1", Rig: "r1", CreatedBy: "p1"}, PRURL: prURL})
		}, want: []string{fast}},
		{name: "town-level code review off", opts: Options{Config: func() *model.TownConfig {
			c := cfg()
			c.Refinery.CodeReview = false
			return c
		}()}, build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Rig: "r1"}, PRURL: prURL})
		}, want: []string{fast}},
		{name: "review on: RQ-5 pops it instead", rules: []string{"RQ-5", "RQ-5"}, opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.rig("r1", "", "")
			f.mr(M{B: B{ID: "m1", Rig: "r1"}, PRURL: prURL})
		}, want: []string{
			"transition_bead{bead=m1,from=open,to=in_progress,actor=system,reason=popped for review (creating refinery)}",
			"dispatch_agent{bead=m1,rig=r1}",
		}},
		{name: "review-and-merge child: left to the refinery", rules: []string{"RQ-5", "RQ-5"}, opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.rig("r1", reviewOff, "")
			f.convoy(C{B: B{ID: "c1"}, Total: 1, MergeMode: model.MergeModeReviewAndMerge})
			f.mr(M{B: B{ID: "m1", Rig: "r1", Parent: "c1"}, PRURL: prURL})
		}, want: []string{
			"transition_bead{bead=m1,from=open,to=in_progress,actor=system,reason=popped for review (creating refinery)}",
			"dispatch_agent{bead=m1,rig=r1}",
		}},
		{name: "landing MR with PR: RQ-FT and RQ-5 overlap", rules: []string{"RQ-FT", "RQ-5", "RQ-5"}, opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.rig("r1", reviewOff, "")
			f.mr(M{B: B{ID: "m1", Rig: "r1", CreatedBy: "system"}, PRURL: prURL})
		}, want: []string{
			fast,
			"transition_bead{bead=m1,from=open,to=in_progress,actor=system,reason=popped for review (creating refinery)}",
			"dispatch_agent{bead=m1,rig=r1}",
		}},
	})
}

func TestRQOR_OrphanCleanup(t *testing.T) {
	fail := func(id string) string {
		return "transition_bead{bead=" + id + ",from=open,to=failed,actor=system,reason=MR bead has no pr_url and code review is disabled — polecat failed to create PR}"
	}
	reopen := func(id string) string {
		return "transition_bead{bead=" + id + ",from=in_review,to=open,actor=system,reason=MR failed (no PR created) — reopening for retry}"
	}
	off := func(f *fixture) { f.rig("r1", reviewOff, "") }
	runCases(t, "RQ-OR", []ruleCase{
		{name: "PR-less MR failed, source reopened", opts: Options{Config: cfg()}, build: func(f *fixture) {
			off(f)
			f.bead(B{ID: "s1", Status: model.StatusInReview})
			f.mr(M{B: B{ID: "m1", Rig: "r1", CreatedBy: "p1"}})
			f.dep("m1", "s1", model.DepTracks)
		}, want: []string{fail("m1"), reopen("s1")}},
		{name: "no tracks edge: failure only", opts: Options{Config: cfg()}, build: func(f *fixture) {
			off(f)
			f.mr(M{B: B{ID: "m1", Rig: "r1", CreatedBy: "p1"}})
		}, want: []string{fail("m1")}},
		{name: "landing MR (created by system) goes to the refinery", rules: []string{"RQ-5", "RQ-5"}, opts: Options{Config: cfg()}, build: func(f *fixture) {
			off(f)
			f.mr(M{B: B{ID: "m1", Rig: "r1", CreatedBy: "system"}})
		}, want: []string{
			"transition_bead{bead=m1,from=open,to=in_progress,actor=system,reason=popped for review (creating refinery)}",
			"dispatch_agent{bead=m1,rig=r1}",
		}},
		{name: "review on: nothing failed", rules: []string{"AG-1"}, opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.rig("r1", "", "")
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1", Status: "working"})
			f.mr(M{B: B{ID: "m1", Rig: "r1", CreatedBy: "p1"}})
		}, want: []string{"transition_agent{agent=ref,from=working,to=idle,reason=working agent has no hook (gt_done already completed)}"}},
		{name: "active while draining", opts: Options{Config: cfg(), Draining: true}, build: func(f *fixture) {
			off(f)
			f.mr(M{B: B{ID: "m1", Rig: "r1", CreatedBy: "p1"}})
		}, want: []string{fail("m1")}},
	})
}

func TestRQ5_PopOldestMR(t *testing.T) {
	pop := []string{
		"transition_bead{bead=m1,from=open,to=in_progress,actor=system,reason=popped for review}",
		"hook_agent{bead=m1,agent=ref}",
		"dispatch_agent{bead=m1,agent=ref,rig=r1}",
	}
	create := []string{
		"transition_bead{bead=m1,from=open,to=in_progress,actor=system,reason=popped for review (creating refinery)}",
		"dispatch_agent{bead=m1,rig=r1}",
	}
	mrs := func(f *fixture) {
		f.mr(M{B: B{ID: "m2", Rig: "r1", Created: f.ago(time.Hour)}})
		f.mr(M{B: B{ID: "m1", Rig: "r1", Created: f.ago(2 * time.Hour)}})
	}
	runCases(t, "RQ-5", []ruleCase{
		{name: "idle refinery gets the oldest", build: func(f *fixture) {
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1"})
			mrs(f)
		}, want: pop},
		{name: "no refinery: create one", build: mrs, want: create},
		{name: "another rig's refinery does not count", build: func(f *fixture) {
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r2"})
			mrs(f)
		}, want: create},
		{name: "first refinery of the rig decides (insertion order)", build: func(f *fixture) {
			f.agent(A{ID: "busy", Role: model.RoleRefinery, Rig: "r1", Status: "dead"})
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1"})
			mrs(f)
		}},
		{name: "refinery busy", build: func(f *fixture) {
			f.bead(B{ID: "x", Status: model.StatusInProgress})
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1", Status: "working", Hook: "x"})
			mrs(f)
		}},
		{name: "PR-less MR in progress blocks the rig", build: func(f *fixture) {
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1"})
			mrs(f)
			f.mr(M{B: B{ID: "m0", Rig: "r1", Status: model.StatusInProgress}})
		}},
		{name: "PR-backed MR in progress does not block", build: func(f *fixture) {
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1"})
			mrs(f)
			f.mr(M{B: B{ID: "m0", Rig: "r1", Status: model.StatusInProgress,
				Meta: `{"last_poll_at":"` + f0(time.Second) + `"}`}, PRURL: prURL})
		}, want: pop},
		{name: "draining", opts: Options{Draining: true}, build: func(f *fixture) {
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1"})
			mrs(f)
		}},
		{name: "breaker open", rules: []string{"BD-CB"}, build: func(f *fixture) {
			f.openBreaker(20)
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1"})
			mrs(f)
		}, want: []string{notice}},
		{name: "code review off: ordinary PR-less MRs do not qualify", opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.rig("r1", reviewOff, "")
			f.mr(M{B: B{ID: "m1", Rig: "r1"}})
		}},
		{name: "rigs in first-seen order", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Rig: "r1"}})
			f.mr(M{B: B{ID: "m9", Rig: "r0"}})
		}, want: append(append([]string(nil), create...),
			"transition_bead{bead=m9,from=open,to=in_progress,actor=system,reason=popped for review (creating refinery)}",
			"dispatch_agent{bead=m9,rig=r0}")},
	})
}

func TestRQ6_RedispatchRefinery(t *testing.T) {
	dispatch := "dispatch_agent{bead=m1,agent=ref,rig=r1}"
	held := func(mr B) func(f *fixture) {
		return func(f *fixture) {
			mr.ID, mr.Status = "m1", or(mr.Status, model.StatusInProgress)
			f.mr(M{B: mr})
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "ra", Hook: "m1"})
		}
	}
	runCases(t, "RQ-6", []ruleCase{
		{name: "re-dispatch on the MR's rig", build: held(B{Rig: "r1"}), want: []string{dispatch}},
		{name: "MR without rig: the refinery's", build: held(B{}), want: []string{"dispatch_agent{bead=m1,agent=ref,rig=ra}"}},
		{name: "awaiting approval", build: held(B{Rig: "r1", Meta: `{"awaiting_approval":1}`})},
		{name: "draining", opts: Options{Draining: true}, build: held(B{Rig: "r1", Attempts: 9})},
		{name: "cap on the MR bead's counter", build: held(B{Rig: "r1", Attempts: 5, LastAttempt: f0(time.Second)}),
			want: []string{
				"transition_bead{bead=m1,from=null,to=failed,actor=system,reason=refinery max dispatch attempts exceeded (5)}",
				"unhook_agent{agent=ref,reason=max dispatch attempts}",
			}},
		{name: "per-rig cap", opts: Options{Config: cfg()}, build: func(f *fixture) {
			f.rig("r1", `{"max_dispatch_attempts":2}`, "")
			held(B{Rig: "r1", Attempts: 2, LastAttempt: f.ago(time.Hour)})(f)
		}, want: []string{
			"transition_bead{bead=m1,from=null,to=failed,actor=system,reason=refinery max dispatch attempts exceeded (2)}",
			"unhook_agent{agent=ref,reason=max dispatch attempts}",
		}},
		{name: "cooldown", build: held(B{Rig: "r1", Attempts: 1, LastAttempt: f0(10 * time.Second)})},
		{name: "breaker", rules: []string{"BD-CB"}, build: func(f *fixture) {
			f.openBreaker(20)
			held(B{Rig: "r1"})(f)
		}, want: []string{notice}},
		{name: "open MR: RQ-5 territory", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Rig: "r1"}})
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Rig: "r1", Hook: "m1"})
		}},
	})
}

func TestRQ7_StopFinishedRefinery(t *testing.T) {
	runCases(t, "RQ-7", []ruleCase{
		{name: "working refinery on a merged MR", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusClosed}})
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Status: "working", Hook: "m1"})
		}, want: []string{
			"stop_agent{agent=ref,reason=MR bead m1 is closed}",
			"unhook_agent{agent=ref,reason=MR bead closed — cleanup}",
			"transition_agent{agent=ref,from=working,to=idle,reason=MR bead closed — cleanup}",
		}},
		{name: "stalled refinery on a failed MR, while draining", opts: Options{Draining: true}, build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusFailed}})
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Status: "stalled", Hook: "m1"})
		}, want: []string{
			"stop_agent{agent=ref,reason=MR bead m1 is failed}",
			"unhook_agent{agent=ref,reason=MR bead failed — cleanup}",
			"transition_agent{agent=ref,from=stalled,to=idle,reason=MR bead failed — cleanup}",
		}},
		{name: "MR still in progress", build: func(f *fixture) {
			f.mr(M{B: B{ID: "m1", Status: model.StatusInProgress}})
			f.agent(A{ID: "ref", Role: model.RoleRefinery, Status: "working", Hook: "m1"})
		}},
		{name: "polecats are not stopped", build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.agent(A{ID: "p1", Status: "working", Hook: "i1"})
		}},
	})
}
