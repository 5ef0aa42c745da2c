package scenarios

import (
	"bufio"
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/sim"
)

// traceLine is one parsed trace record.
type traceLine struct {
	at   time.Time
	kind string
	text string // the fields, as written
}

// run is a finished brief run of a named scenario and its trace.
type run struct {
	t     *testing.T
	s     Scenario
	res   *sim.Result
	cov   Coverage
	lines []traceLine
}

// runBriefly runs the named scenario for d of simulated time (its own
// duration when d is 0) with its trace kept in memory.
func runBriefly(t *testing.T, name string, d time.Duration) *run {
	t.Helper()
	s, err := ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if d > 0 {
		s.Config.Duration = d
	}
	var buf bytes.Buffer
	rep, err := s.Check(CheckOptions{Run: sim.RunOptions{Trace: &buf}})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	suite.addNamed(name, rep)
	for _, v := range rep.Failures {
		t.Errorf("%s: property failed: %v", name, v)
	}
	r := &run{t: t, s: s, res: rep.Result, cov: rep.Coverage}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		ms, rest, _ := strings.Cut(sc.Text(), " ")
		kind, text, _ := strings.Cut(rest, " ")
		n, err := strconv.ParseInt(ms, 10, 64)
		if err != nil {
			t.Fatalf("trace line %q: %v", sc.Text(), err)
		}
		r.lines = append(r.lines, traceLine{at: time.UnixMilli(n).UTC(), kind: kind, text: text})
	}
	return r
}

// grep returns the trace records of kind whose text holds every part.
func (r *run) grep(kind string, parts ...string) []traceLine {
	var out []traceLine
	for _, l := range r.lines {
		if l.kind != kind {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l.text, p)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// expectActions checks that every action type of the scenario's
// Expect.Actions was emitted at least once.
func (r *run) expectActions() {
	r.t.Helper()
	for _, a := range r.s.Expect.Actions {
		if r.res.ActionsByType[a] == 0 {
			r.t.Errorf("%s: no %s action in %v; got %v", r.s.Name, a, r.s.Config.Duration, r.res.ActionsByType)
		}
	}
}

// traceField returns the value of key in a trace record's text ("" if absent).
func traceField(text, key string) string {
	i := strings.Index(" "+text, " "+key+"=")
	if i < 0 {
		return ""
	}
	v := text[i+len(key)+1:]
	if strings.HasPrefix(v, `"`) {
		if q, err := strconv.QuotedPrefix(v); err == nil {
			s, _ := strconv.Unquote(q)
			return s
		}
	}
	v, _, _ = strings.Cut(v, " ")
	return v
}

// Every named scenario is valid, has a unique name and a one-line
// purpose, and ByName finds it.
func TestNamedScenariosAreValid(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range All() {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
		if seen[s.Name] {
			t.Errorf("two scenarios are named %q", s.Name)
		}
		seen[s.Name] = true
		if s.Purpose == "" || strings.Contains(s.Purpose, "\n") {
			t.Errorf("%s: purpose %q is not one line", s.Name, s.Purpose)
		}
		if len(s.Expect.Actions) == 0 {
			t.Errorf("%s: Expect.Actions is empty", s.Name)
		}
		got, err := ByName(s.Name)
		if err != nil || got.Name != s.Name {
			t.Errorf("ByName(%q) = %q, %v", s.Name, got.Name, err)
		}
	}
	if _, err := ByName("no-such-town"); err == nil || !strings.Contains(err.Error(), "healthy-steady") {
		t.Errorf("ByName of an unknown name: %v; want an error listing the names", err)
	}
	if d, _ := ByName("default"); d.Config.Seed != Default().Seed || d.Config.Agents != Default().Agents {
		t.Errorf("the default scenario is not Default()")
	}
}

// scenarioTest is a brief run of a named scenario and what it must show.
type scenarioTest struct {
	name  string
	d     time.Duration // 0 = the scenario's own duration
	check func(t *testing.T, r *run)
}

// checkNoAutoMerge: a town with auto-merge off (by a null delay or by
// refinery.auto_merge false) never asks for a merge.
func checkNoAutoMerge(t *testing.T, r *run) {
	if n := r.res.ActionsByType["merge_pr"]; n != 0 {
		t.Errorf("%d merge_pr actions with auto-merge off; want none", n)
	}
}

// Each scenario reaches the rules and actions it exists for, in a brief run.
func TestScenarioReaches(t *testing.T) {
	tests := []scenarioTest{
		{"default", 30 * time.Minute, func(t *testing.T, r *run) {
			if r.res.Beads.Closed == 0 {
				t.Errorf("no issue closed: %+v", r.res.Beads)
			}
		}},
		{"healthy-steady", 0, func(t *testing.T, r *run) {
			// The workload stops at 80 min; 40 min later every issue is done.
			b := r.res.Beads
			if b.Created < 20 || b.Open != 0 {
				t.Errorf("issues %+v; want all of them closed or failed 40 min after the workload stopped", b)
			}
			if r.res.TickErrors != 0 || len(r.res.World.Faults) != 0 {
				t.Errorf("tick errors %d, faults %v; want none in a healthy town", r.res.TickErrors, r.res.World.Faults)
			}
		}},
		{"cold-start-storm", 20 * time.Minute, func(t *testing.T, r *run) {
			// AG-1 idles agents whose cold start outlasts 90 s without a heartbeat.
			if n := len(r.grep("action", "transition_agent", "from=working,to=idle", "reason=heartbeat lost")); n == 0 {
				t.Errorf("AG-1 never idled a cold-starting agent")
			}
		}},
		{"crash-loops", time.Hour, func(t *testing.T, r *run) {
			if r.res.World.Faults["crashed"] < 10 {
				t.Errorf("crashes %v; want many", r.res.World.Faults)
			}
			if len(r.grep("action", "transition_bead", "to=open", "reason=agent lost")) == 0 {
				t.Errorf("BD-3 never reopened a bead whose agent crashed")
			}
		}},
		{"eviction-drain", time.Hour, func(t *testing.T, r *run) {
			sig := r.grep("container", "event=sigterm")
			if len(sig) == 0 {
				t.Fatalf("no eviction")
			}
			resumed := false
			for _, l := range r.grep("action", "dispatch_agent") {
				resumed = resumed || l.at.After(sig[0].at)
			}
			if !resumed {
				t.Errorf("no dispatch after the first eviction at %v", sig[0].at)
			}
		}},
		{"long-drain", time.Hour, func(t *testing.T, r *run) {
			sig, gone := r.grep("container", "event=sigterm"), r.grep("container", "event=gone")
			if len(sig) == 0 || len(gone) == 0 {
				t.Fatalf("sigterm %d, gone %d; want an eviction that ends", len(sig), len(gone))
			}
			if d := gone[0].at.Sub(sig[0].at); d <= 90*time.Second {
				t.Errorf("the first drain lasted %v; want more than 90 s", d)
			}
		}},
		{"container-outage", 2 * time.Hour, func(t *testing.T, r *run) {
			var down time.Duration
			var back time.Time
			for _, l := range r.grep("container", "event=boot") {
				ready, err := time.Parse(time.RFC3339Nano, traceField(l.text, "ready"))
				if err != nil {
					t.Fatalf("boot record %q: %v", l.text, err)
				}
				if d := ready.Sub(l.at); d > down {
					down, back = d, ready
				}
			}
			if down < 30*time.Minute {
				t.Fatalf("the longest boot took %v; want a container down for 30-90 min", down)
			}
			resumed := false
			for _, l := range r.grep("action", "dispatch_agent") {
				resumed = resumed || l.at.After(back)
			}
			if !resumed {
				t.Errorf("no dispatch after the container came back at %v", back)
			}
		}},
		{"github-outage", 30 * time.Minute, func(t *testing.T, r *run) {
			failed := len(r.grep("call", "kind=github.pr_status", "code=502")) +
				len(r.grep("call", "kind=github.pr_status", "code=429")) +
				len(r.grep("call", "kind=github.pr_status", "err=")) // thrown fetch errors
			if failed == 0 {
				t.Errorf("no failed PR status call")
			}
		}},
		{"github-flaky", 40 * time.Minute, func(t *testing.T, r *run) {
			// Errors of both classes interleaved with normal answers.
			failed := len(r.grep("call", "kind=github.pr_status", "code=502")) + len(r.grep("call", "kind=github.pr_status", "code=429"))
			ok := len(r.grep("call", "kind=github.pr_status", "code=200"))
			if failed == 0 || ok == 0 || r.res.World.Faults["github_invalid"] == 0 {
				t.Errorf("PR status answers: %d transient errors, %d normal, faults %v; want transient errors, unparsable bodies and normal answers", failed, ok, r.res.World.Faults)
			}
		}},
		{"review-feedback-loops", 40 * time.Minute, func(t *testing.T, r *run) {
			if len(r.grep("proc", "job=feedback"))+len(r.grep("proc", "job=conflict")) == 0 {
				t.Errorf("no polecat worked on PR feedback or a conflict")
			}
			if r.res.World.ChangeRequests == 0 {
				t.Errorf("no review requested changes")
			}
		}},
		{"rework-loops", 40 * time.Minute, func(t *testing.T, r *run) {
			if len(r.grep("rpc", "op=request_changes", `err=""`)) == 0 {
				t.Errorf("no refinery requested changes")
			}
			if len(r.grep("proc", "job=rework")) == 0 {
				t.Errorf("no polecat worked on a rework bead")
			}
		}},
		{"convoy-review-then-land", 2 * time.Hour, func(t *testing.T, r *run) {
			if len(r.grep("rpc", "op=sling_convoy", "mode=review-then-land")) == 0 {
				t.Errorf("no review-then-land convoy")
			}
		}},
		{"convoy-review-and-merge", 2 * time.Hour, func(t *testing.T, r *run) {
			if len(r.grep("rpc", "op=sling_convoy", "mode=review-and-merge")) == 0 {
				t.Errorf("no review-and-merge convoy")
			}
			if n := r.res.ActionsByType["create_landing_mr"]; n != 0 {
				t.Errorf("%d landing MRs in review-and-merge mode; want none", n)
			}
		}},
		{"held-and-blocked", 30 * time.Minute, func(t *testing.T, r *run) {
			if len(r.grep("rpc", "op=create_held_bead")) == 0 {
				t.Errorf("no held bead")
			}
			if r.res.Beads.Open == 0 {
				t.Errorf("no issue left waiting: %+v", r.res.Beads)
			}
		}},
		{"cancellations", 40 * time.Minute, func(t *testing.T, r *run) {
			if len(r.grep("rpc", "op=set_bead_status", "status=failed")) == 0 ||
				len(r.grep("rpc", "op=set_bead_status", "status=closed")) == 0 {
				t.Errorf("users did not both close and fail issues")
			}
		}},
		{"stuck-agents", 75 * time.Minute, func(t *testing.T, r *run) {
			if len(r.grep("action", "send_nudge", "tier=warn")) == 0 {
				t.Errorf("GUPP never warned a stuck agent")
			}
			if len(r.grep("action", "send_nudge", "tier=escalate")) == 0 {
				t.Errorf("GUPP never escalated after an hour")
			}
		}},
		{"long-stall", 0, func(t *testing.T, r *run) {
			if len(r.grep("action", "transition_agent", "to=stalled", "GUPP force stop")) == 0 {
				t.Errorf("GUPP never force-stopped a frozen agent")
			}
			if len(r.grep("action", "transition_bead", "stuck review, no working agent")) == 0 {
				t.Errorf("RQ-2 never returned a frozen refinery's merge request")
			}
		}},
		{"start-failures", 0, func(t *testing.T, r *run) {
			if r.res.World.Analytics["agent.dispatch_failed"] == 0 {
				t.Errorf("no dispatch failed")
			}
			if len(r.grep("action", "transition_agent", "to=idle", "heartbeat lost")) == 0 {
				t.Errorf("AG-1 never idled an agent whose start failed")
			}
		}},
		{"direct-review-off", 0, func(t *testing.T, r *run) {
			if len(r.grep("action", "transition_bead", "to=failed", "code review is disabled")) == 0 {
				t.Errorf("RQ-OR never failed a PR-less merge request on a rig with code review off")
			}
		}},
		{"fresh-town", 0, func(t *testing.T, r *run) {
			// No token: PR polls fail before any GitHub call, the merge
			// requests fail, and BD-4 reopens their issues.
			if n := len(r.grep("call", "kind=github.pr_status")); n != 0 {
				t.Errorf("%d PR status calls without a token", n)
			}
			if len(r.grep("action", "poll_pr")) == 0 || len(r.grep("action", "all reviews failed")) == 0 {
				t.Errorf("no failed poll reworked an issue")
			}
			// No kilocode token: ensureMayor defers the mayor's start.
			if n := r.res.World.Analytics["mayor.ensure_decision"]; n != 0 {
				t.Errorf("%d mayor.ensure_decision events without a kilocode token; want the start deferred", n)
			}
		}},
		{"swarm", 0, func(t *testing.T, r *run) {
			f := r.res.Faults
			if len(f.Mix) < 8 || len(f.Fired) < 5 {
				t.Errorf("mix %v fired %v; want a swarm of kinds on and firing", f.Mix, f.Fired)
			}
			heal := r.s.Config.Start.Add(r.s.Config.Faults.Heal)
			for _, l := range r.grep("fault") {
				if !l.at.Before(heal) {
					t.Errorf("a fault after the heal: %s", l.text)
				}
			}
		}},
		{"town-deleted", 0, func(t *testing.T, r *run) {
			// The destroy RPC ran, and no tick started after it.
			var destroyed time.Time
			for _, l := range r.lines {
				if l.kind == "rpc" && strings.Contains(l.text, "op=destroy") {
					destroyed = l.at
				}
			}
			if destroyed.IsZero() {
				t.Fatal("the town was never destroyed")
			}
			// Only platform retries of a tick the destroy cut short may
			// fire after it (they stop at the T1 guard: an accepted finding).
			for _, rec := range r.res.TickRecords {
				if rec.At.After(destroyed.Add(time.Second)) && !rec.Retry {
					t.Fatalf("a tick at %v after the destroy at %v", rec.At, destroyed)
				}
			}
		}},
		{"idle-town", 0, func(t *testing.T, r *run) {
			// After the work is done and the mayor's session ended, the
			// tick runs at the idle cadence (5 min).
			recs := r.res.TickRecords
			from := r.s.Config.Start.Add(r.s.Config.Duration / 2)
			n := 0
			for i := 1; i < len(recs); i++ {
				if recs[i].At.Before(from) {
					continue
				}
				n++
				if gap := recs[i].At.Sub(recs[i-1].At); gap < 4*time.Minute {
					t.Fatalf("ticks %v apart at %v; want the idle cadence", gap, recs[i].At)
				}
			}
			if n == 0 {
				t.Errorf("no tick in the second half")
			}
			if r.res.World.Analytics["container.idle_stop"] == 0 {
				t.Errorf("the idle container was never stopped")
			}
		}},
		{"pr-awaiting-approval", 45 * time.Minute, func(t *testing.T, r *run) {
			if r.res.World.Analytics["pr.awaiting_approval_detected"] == 0 {
				t.Errorf("no MR flagged awaiting approval: %v", r.res.World.Analytics)
			}
		}},
		{"auto-merge-off", 30 * time.Minute, checkNoAutoMerge},
		{"auto-merge-flag-off", 30 * time.Minute, func(t *testing.T, r *run) {
			checkNoAutoMerge(t, r)
			if r.res.ActionsByType["poll_pr"] == 0 {
				t.Errorf("no PR polled")
			}
		}},
		{"merges-failing", 45 * time.Minute, func(t *testing.T, r *run) {
			if n := len(r.grep("call", "kind=github.merge_pr", "code=405")); n < 5 {
				t.Errorf("%d failed merge calls; want at least 5", n)
			}
			if n := len(r.grep("pr", "event=merged_by_api")); n != 0 {
				t.Errorf("%d PRs merged by the API; want none", n)
			}
		}},
		{"landing-mr-failing", 3 * time.Hour, func(t *testing.T, r *run) {
			byConvoy := map[string]int{}
			most := 0
			for _, l := range r.grep("action", "create_landing_mr") {
				c := l.text[strings.Index(l.text, "convoy="):]
				byConvoy[c]++
				most = max(most, byConvoy[c])
			}
			if most < 2 {
				t.Errorf("no convoy created a second landing MR after a failed one: %v", byConvoy)
			}
		}},
		{"late-exit-reports", 30 * time.Minute, func(t *testing.T, r *run) {
			if r.res.World.Faults[sim.FaultLateDone] == 0 {
				t.Errorf("no gt_done came after its exit report: faults %v", r.res.World.Faults)
			}
		}},
		{"code-review-off", time.Hour, func(t *testing.T, r *run) {
			if len(r.grep("action", "transition_bead", "to=in_progress", "code review disabled")) == 0 {
				t.Errorf("RQ-FT never fast-tracked an MR of a rig with code review off")
			}
		}},
		{"town-review-off", time.Hour, func(t *testing.T, r *run) {
			if len(r.grep("action", "transition_bead", "to=in_progress", "code review disabled")) == 0 {
				t.Errorf("RQ-FT never fast-tracked an MR in a town with code review off")
			}
			if n := len(r.grep("proc", "state=cold_start", "job=review")); n != 0 {
				t.Errorf("%d refinery reviews started in a town with code review off", n)
			}
		}},
		{"triage-start-fails", 75 * time.Minute, func(t *testing.T, r *run) {
			if r.res.World.Faults["triage_start_fail"] == 0 {
				t.Errorf("no triage agent start failed: %v", r.res.World.Faults)
			}
		}},
		{"beads-deleted", 40 * time.Minute, func(t *testing.T, r *run) {
			w := r.res.World
			if w.Deletions == 0 || w.DeletedWithPending == 0 {
				t.Errorf("deletions %d, with pending events %d; want both", w.Deletions, w.DeletedWithPending)
			}
			if r.res.Beads.Deleted != w.Deletions {
				t.Errorf("Beads.Deleted %d, deletions %d", r.res.Beads.Deleted, w.Deletions)
			}
		}},
		{"pr-late-change", 0, func(t *testing.T, r *run) {
			// Something held a merge back just as auto-merge was due.
			if len(r.grep("pr", "event=late_")) == 0 {
				t.Errorf("no late change on any PR")
			}
			// CI ran again or a review was re-requested before auto-merge was due.
			if len(r.grep("pr", "event=early_")) == 0 {
				t.Errorf("no early change on any PR")
			}
		}},
		{"conflicts-escalated", 0, func(t *testing.T, r *run) {
			// PRs conflicted; their conflicts went to triage (escalations),
			// never to a polecat's conflict bead.
			if len(r.grep("pr", "event=opened", "plan=conflict")) == 0 {
				t.Errorf("no PR conflicted")
			}
			if len(r.grep("proc", "job=triage")) == 0 {
				t.Errorf("no triage batch ran")
			}
			if n := len(r.grep("proc", "job=conflict")); n > 0 {
				t.Errorf("%d conflict-bead jobs although conflicts are escalated", n)
			}
		}},
		{"github-token-refused", 0, func(t *testing.T, r *run) {
			// The providers refused status calls with 401, 403 or 410.
			if len(r.grep("fault", "kind=github_401"))+len(r.grep("fault", "kind=github_403"))+len(r.grep("fault", "kind=github_410")) == 0 {
				t.Errorf("no 401, 403 or 410 answer")
			}
		}},
		{"gone-mid-flight", time.Hour, func(t *testing.T, r *run) {
			// TestGoneMidFlight judges the whole run; here the trace shows
			// each kind of removal reached the Town within the first hour.
			for _, op := range []string{"op=delete_beads", "op=delete_agent", "op=admin_force_reset_agent"} {
				if len(r.grep("rpc", op)) == 0 {
					t.Errorf("no %s in the first hour", op)
				}
			}
			if len(r.grep("rpc", "op=delete_agent", "mid_work=true")) == 0 {
				t.Errorf("no agent deleted mid-work in the first hour")
			}
		}},
		{"hand-merged-at-delay", time.Hour, func(t *testing.T, r *run) {
			// Humans merged PRs by hand as auto-merge was due and closed
			// their merge requests (TestHandMergedAtDelayReaches judges the
			// queued pr_auto_merge).
			if len(r.grep("pr", "event=merged_by_hand_at_delay")) == 0 ||
				len(r.grep("rpc", "op=set_bead_status", "by=hand_merge", `err=""`)) == 0 {
				t.Errorf("no PR merged by hand with its merge request closed in the first hour")
			}
		}},
		{"large-fleet", 5 * time.Minute, func(t *testing.T, r *run) {
			if len(r.grep("action", "notify_mayor")) == 0 {
				t.Errorf("the dispatch breaker never opened")
			}
		}},
	}
	tests = append(tests, worldScenarioTests()...)
	tests = append(tests, historyScenarioTests()...)
	tests = append(tests, quietScenarioTests()...)
	tests = append(tests, reviewScenarioTests()...)
	tests = append(tests, queueScenarioTests()...)
	tests = append(tests, resetScenarioTests()...)
	tests = append(tests, cutScenarioTests()...)
	tests = append(tests, convoyScenarioTests()...)
	tests = append(tests, blockedScenarioTests()...)
	tests = append(tests, scmScenarioTests()...)
	tests = append(tests, agentScenarioTests()...)
	for _, n := range Names() {
		if !slices.ContainsFunc(tests, func(tt scenarioTest) bool { return tt.name == n }) {
			t.Errorf("scenario %s has no test in TestScenarioReaches", n)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each run has its own world and in-memory database
			r := runBriefly(t, tt.name, tt.d)
			r.expectActions()
			tt.check(t, r)
		})
	}
	if !slices.Equal(Names()[:1], []string{"default"}) {
		t.Errorf("the first scenario is %q; want default", Names()[0])
	}
}
