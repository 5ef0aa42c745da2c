package model

import (
	"strings"
	"testing"
	"time"
)

// evWithoutTable drops one table's section from a Dump.
func evWithoutTable(dump, table string) string {
	var out []string
	for _, sec := range strings.Split(dump, "== ") {
		if !strings.HasPrefix(sec, table+" (") {
			out = append(out, sec)
		}
	}
	return strings.Join(out, "== ")
}

// deferredEnv is an InstantEnv whose fire-and-forget tasks wait until the
// test runs them, so the state between an RPC and its async dispatch can
// be asserted.
type deferredEnv struct {
	*InstantEnv
	queue []func()
}

// Go queues the task.
func (e *deferredEnv) Go(task func()) { e.queue = append(e.queue, task) }

// run runs and clears the queued tasks.
func (e *deferredEnv) run() {
	q := e.queue
	e.queue = nil
	for _, task := range q {
		task()
	}
}

// lifecycleState is what the §8.1 walk-through has built so far.
type lifecycleState struct {
	f         *evFix
	env       *deferredEnv
	P, B, M   string
	F, prURL  string
	clockStep int
}

// tick advances the clock by one second and returns the new now.
func (s *lifecycleState) tick() time.Time {
	s.clockStep++
	s.env.Clock = evAt(time.Duration(s.clockStep) * time.Second)
	return s.env.Clock
}

// drain runs Phase 0 at the next second and checks nothing failed.
func (s *lifecycleState) drain(want DrainResult) {
	s.f.t.Helper()
	cfg, err := s.f.town.ReadTownConfig()
	s.f.must(err)
	res, err := s.f.town.DrainEvents(s.tick(), cfg)
	s.f.must(err)
	eq(s.f.t, "drain", res, want)
}

// lifecycleToRefineryDone runs model.md §8.1 steps 1–7, asserting the
// rows after each step.
func lifecycleToRefineryDone(t *testing.T) *lifecycleState {
	f := evNew(t)
	f.rig("R", true)
	env := &deferredEnv{InstantEnv: f.env}
	s := &lifecycleState{f: f, env: env, prURL: "https://github.com/o/R/pull/1"}

	// 1. slingBead(R, "Fix x").
	now := s.tick()
	B, P, err := f.town.SlingBead(env, SlingInput{RigID: "R", Title: "Fix x"})
	f.must(err)
	s.B, s.P = B, P
	eq(t, "1 B", f.b(B, "type")+"/"+f.b(B, "status")+"/"+f.b(B, "rig_id")+"/"+f.b(B, "assignee_agent_bead_id"), "issue/open/R/"+P)
	eq(t, "1 P", f.b(P, "title")+"/"+f.a(P, "role")+"/"+f.a(P, "status")+"/"+f.a(P, "current_hook_bead_id"), "Toast/polecat/idle/"+B)
	eq(t, "1 P last_activity_at", f.a(P, "last_activity_at"), ISO(now))
	eqSlice(t, "1 town events", f.pendingPayloads(), []string{`bead_created {"bead_type":"issue","has_blockers":false,"rig_id":"R"}`})
	eqSlice(t, "1 bead events", f.list(`SELECT event_type FROM bead_events WHERE bead_id = ? ORDER BY rowid`, B), []string{"created", "hooked"})
	eq(t, "1 alarm", f.alarm(), time.Second+ActiveInterval)

	// 2. The async dispatch.
	env.run()
	eq(t, "2 B", f.b(B, "status")+"/"+f.b(B, "dispatch_attempts")+"/"+f.b(B, "last_dispatch_attempt_at"), "in_progress/1/"+ISO(now))
	eq(t, "2 status_changed", f.q(`SELECT old_value || '>' || new_value FROM bead_events WHERE bead_id = ? AND event_type = 'status_changed'`, B), "open>in_progress")
	eq(t, "2 P", f.a(P, "status")+"/"+f.a(P, "dispatch_attempts"), "working/0")

	// 3. gt_done(branch b, pr_url u): an event, no state change.
	before := evWithoutTable(f.dump(), "town_events")
	f.must(f.town.AgentDone(s.tick(), P, AgentDoneInput{Branch: "b", PRURL: s.prURL}))
	eq(t, "3 pending", f.n(`SELECT count(*) FROM town_events WHERE processed_at IS NULL`), 2)
	eq(t, "3 no state change", evWithoutTable(f.dump(), "town_events"), before)

	// 4. Next tick, Phase 0.
	s.drain(DrainResult{Drained: 2, Applied: 2})
	M := f.q(`SELECT bead_id FROM beads WHERE type = 'merge_request'`)
	s.M = M
	eq(t, "4 M", f.b(M, "status")+"/"+f.b(M, "title")+"/"+f.b(M, "rig_id")+"/"+f.b(M, "labels")+"/"+f.b(M, "created_by"),
		"open/Review: b/R/[\"gt:merge-request\"]/"+P)
	m := evJSON(t, f.b(M, "metadata"))
	eq(t, "4 M source", m["source_bead_id"], any(B))
	eq(t, "4 M agent", m["source_agent_id"], any(P))
	eq(t, "4 M pr_url", m["pr_url"], any(s.prURL))
	eq(t, "4 review_metadata", f.q(`SELECT branch || '/' || target_branch || '/' || pr_url FROM review_metadata WHERE bead_id = ?`, M), "b/main/"+s.prURL)
	eq(t, "4 tracks", f.n(`SELECT count(*) FROM bead_dependencies WHERE bead_id = ? AND depends_on_bead_id = ? AND dependency_type = 'tracks'`, M, B), 1)
	eqSlice(t, "4 bead events", f.list(`SELECT event_type FROM bead_events WHERE bead_id = ? ORDER BY rowid`, B),
		[]string{"created", "hooked", "status_changed", "review_submitted", "unhooked", "status_changed"})
	eq(t, "4 P", f.a(P, "status")+"/"+f.a(P, "current_hook_bead_id")+"/"+f.a(P, "checkpoint"), "idle/<NULL>/<NULL>")
	eq(t, "4 B", f.b(B, "status")+"/"+f.b(B, "assignee_agent_bead_id"), "in_review/"+P)

	// 5. Process exit.
	f.must(f.town.AgentCompleted(s.tick(), P, AgentCompletedInput{Status: "completed"}))
	s.drain(DrainResult{Drained: 1, Applied: 1})
	eq(t, "5 P", f.a(P, "status")+"/"+f.a(P, "dispatch_attempts"), "idle/0")
	eq(t, "5 B untouched", f.b(B, "status"), StatusInReview)

	// 6. [reconcile] refinery hook and dispatch through the operations.
	now = s.tick()
	F, err := f.town.GetOrCreateAgent(now, RoleRefinery, "R")
	f.must(err)
	s.F = F.ID
	eq(t, "6 F name", F.Name, "refinery")
	f.must(f.town.HookBead(now, F.ID, M))
	eq(t, "6 M assignee", f.b(M, "assignee_agent_bead_id"), F.ID)
	if !f.town.DispatchAgent(env, F.ID, M, DispatchOptions{}) {
		t.Fatal("6 refinery not dispatched")
	}
	eq(t, "6 M", f.b(M, "status"), StatusInProgress)
	eq(t, "6 F keeps its counter", f.a(F.ID, "status")+"/"+f.a(F.ID, "dispatch_attempts"), "working/1")

	// 7. The refinery's gt_done with the PR URL.
	f.must(f.town.AgentDone(s.tick(), F.ID, AgentDoneInput{PRURL: s.prURL}))
	s.drain(DrainResult{Drained: 1, Applied: 1})
	eq(t, "7 M stays in_progress", f.b(M, "status"), StatusInProgress)
	eq(t, "7 pr_created", f.q(`SELECT new_value FROM bead_events WHERE bead_id = ? AND event_type = 'pr_created'`, M), s.prURL)
	eq(t, "7 F", f.a(F.ID, "status")+"/"+f.a(F.ID, "current_hook_bead_id"), "idle/<NULL>")
	return s
}

// TestLifecycle_StandaloneIssueMerged is model.md §8.1 end to end through
// the RPCs, the drain and the operations.
func TestLifecycle_StandaloneIssueMerged(t *testing.T) {
	s := lifecycleToRefineryDone(t)
	f := s.f
	// 8. The poll sees the PR merged.
	_, err := f.town.InsertEvent(s.tick(), EventPRStatusChanged, "", s.M, map[string]any{"pr_url": s.prURL, "pr_state": "merged"})
	f.must(err)
	s.drain(DrainResult{Drained: 1, Applied: 1})
	now := ISO(s.env.Clock)
	eq(t, "8 M", f.b(s.M, "status")+"/"+f.b(s.M, "closed_at"), "closed/"+now)
	eq(t, "8 review_completed", f.q(`SELECT new_value FROM bead_events WHERE bead_id = ? AND event_type = 'review_completed'`, s.B), "merged")
	eq(t, "8 B", f.b(s.B, "status")+"/"+f.b(s.B, "closed_at"), "closed/"+now)
	eq(t, "queue empty", f.n(`SELECT count(*) FROM town_events WHERE processed_at IS NULL`), 0)
}

// TestLifecycle_StandaloneIssuePRClosed is §8.1's variant: the PR is
// closed without merge.
func TestLifecycle_StandaloneIssuePRClosed(t *testing.T) {
	s := lifecycleToRefineryDone(t)
	f := s.f
	_, err := f.town.InsertEvent(s.tick(), EventPRStatusChanged, "", s.M, map[string]any{"pr_url": s.prURL, "pr_state": "closed"})
	f.must(err)
	s.drain(DrainResult{Drained: 1, Applied: 1})
	eq(t, "M", f.b(s.M, "status"), StatusFailed)
	eq(t, "review_completed", f.q(`SELECT new_value FROM bead_events WHERE bead_id = ? AND event_type = 'review_completed'`, s.B), "failed")
	eq(t, "B", f.b(s.B, "status")+"/"+f.b(s.B, "assignee_agent_bead_id"), "open/<NULL>")
}
