package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Alarm arming (reconciler.md §1.1, Addendum C), as offsets from evT0:
// -1 = no alarm.
const (
	noAlarm = time.Duration(-1)
	armed   = ActiveInterval // now+5 s with now = evT0
)

func TestRPCHeartbeat(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	p := f.agent(RolePolecat, "Toast", "r1")
	f.exec(`UPDATE agent_metadata SET dispatch_attempts = 3 WHERE bead_id = ?`, p)

	nonce, err := f.town.Heartbeat(evT0, p, HeartbeatInput{Watermark: &Watermark{LastEventType: "tool", LastEventAt: ISO(evT0)}})
	f.must(err)
	eq(t, "nonce", nonce, "")
	eq(t, "idle agent revived (§7.12)", f.a(p, "status"), AgentWorking)
	eq(t, "attempts reset", f.a(p, "dispatch_attempts"), "0")
	eq(t, "last_activity_at", f.a(p, "last_activity_at"), ISO(evT0))
	eq(t, "armed", f.alarm(), armed)

	// armAlarmIfNeeded never moves a future alarm; it replaces a past one.
	f.town.SetAlarm(evAt(time.Minute))
	_, err = f.town.Heartbeat(evT0, p, HeartbeatInput{})
	f.must(err)
	eq(t, "future alarm kept", f.alarm(), time.Minute)
	f.town.SetAlarm(evAt(-time.Second))
	_, err = f.town.Heartbeat(evT0, p, HeartbeatInput{})
	f.must(err)
	eq(t, "past alarm re-armed", f.alarm(), armed)

	// Without town:id nothing arms.
	f.town.DeleteAlarm()
	f.town.KV().TownID = ""
	_, err = f.town.Heartbeat(evT0, p, HeartbeatInput{})
	f.must(err)
	eq(t, "no town id", f.alarm(), noAlarm)
}

func TestRPCHeartbeat_ContainerInstanceClearsDrain(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	p := f.agent(RolePolecat, "Toast", "r1")

	// First instance id while draining: nothing stored yet, no clear.
	nonce, err := f.town.RecordContainerEviction(evT0)
	f.must(err)
	got, err := f.town.Heartbeat(evT0, p, HeartbeatInput{ContainerInstanceID: "inst-A"})
	f.must(err)
	eq(t, "nonce returned", got, nonce)
	eq(t, "still draining", f.town.KV().Draining, true)
	eq(t, "stored", f.town.KV().ContainerInstanceID, "inst-A")

	// Same instance: still draining.
	got, err = f.town.Heartbeat(evT0, p, HeartbeatInput{ContainerInstanceID: "inst-A"})
	f.must(err)
	eq(t, "same instance", got, nonce)

	// No instance id: nothing compared.
	got, err = f.town.Heartbeat(evT0, p, HeartbeatInput{})
	f.must(err)
	eq(t, "no instance id", got, nonce)

	// A new instance clears the drain flag and is stored.
	got, err = f.town.Heartbeat(evT0, p, HeartbeatInput{ContainerInstanceID: "inst-B"})
	f.must(err)
	eq(t, "nonce after clear", got, "")
	kv := f.town.KV()
	eq(t, "draining", kv.Draining, false)
	eq(t, "drain start", kv.DrainStartedAt.IsZero(), true)
	eq(t, "stored", kv.ContainerInstanceID, "inst-B")
}

func TestRPCAgentDone(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	hookedPolecat(f, RolePolecat)
	before := f.list(`SELECT status FROM beads ORDER BY rowid`)
	f.must(f.town.AgentDone(evT0, f.ids["P"], AgentDoneInput{Branch: "b"}))
	f.must(f.town.AgentDone(evT0, f.ids["P"], AgentDoneInput{Branch: "", PRURL: "https://github.com/o/r/pull/1", Summary: "done"}))
	eqSlice(t, "events", f.pendingPayloads(), []string{
		`agent_done {"branch":"b"}`,
		`agent_done {"branch":"","pr_url":"https://github.com/o/r/pull/1","summary":"done"}`})
	eq(t, "agent_id", f.q(`SELECT agent_id FROM town_events LIMIT 1`), f.ids["P"])
	eqSlice(t, "no state change", f.list(`SELECT status FROM beads ORDER BY rowid`), before)
	eq(t, "hook kept", f.a(f.ids["P"], "current_hook_bead_id"), f.ids["B"])
	eq(t, "armed", f.alarm(), armed)
}

func TestRPCAgentCompleted(t *testing.T) {
	f := evNew(t)
	f.must(f.town.AgentCompleted(evT0, "", AgentCompletedInput{Status: "completed"}))
	eq(t, "no mayor: agent_id ''", f.q(`SELECT agent_id FROM town_events`), "")
	eq(t, "armed", f.alarm(), armed)

	m, err := f.town.RegisterAgent(evT0, RoleMayor, "mayor", "mayor-x", "")
	f.must(err)
	f.must(f.town.AgentCompleted(evT0, "", AgentCompletedInput{Status: "failed", Reason: "container eviction"}))
	eqSlice(t, "payloads", f.pendingPayloads(), []string{
		`agent_completed {"status":"completed"}`, `agent_completed {"reason":"container eviction","status":"failed"}`})
	eq(t, "resolved to the mayor", f.q(`SELECT agent_id FROM town_events ORDER BY rowid DESC LIMIT 1`), m.ID)
	e, ok := f.find("agent.exited")
	eq(t, "agent.exited", ok, true)
	eq(t, "role", e.Role, RoleMayor)
}

func TestRPCSlingBead(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	f.town.SetAlarm(evAt(time.Minute))
	bead, agent, err := f.town.SlingBead(f.env, SlingInput{RigID: "r1", Title: "Fix x", Priority: "urgent!",
		Labels: []string{"l1"}, Metadata: map[string]any{"k": "v"}})
	f.must(err)
	eq(t, "priority invalid → medium", f.b(bead, "priority"), "medium")
	eq(t, "labels", f.b(bead, "labels"), `["l1"]`)
	eq(t, "metadata", f.meta(bead, "k"), "v")
	eq(t, "assignee", f.b(bead, "assignee_agent_bead_id"), agent)
	eq(t, "agent name", f.b(agent, "title"), "Toast")
	eq(t, "hook", f.a(agent, "current_hook_bead_id"), bead)
	eqSlice(t, "town events", f.pendingPayloads(), []string{`bead_created {"bead_type":"issue","has_blockers":false,"rig_id":"r1"}`})
	eqSlice(t, "bead events", f.list(`SELECT event_type FROM bead_events WHERE bead_id = ? ORDER BY rowid`, bead),
		[]string{"created", "hooked", "status_changed"})
	// The dispatch ran through env.Go (at once with InstantEnv).
	eq(t, "dispatch call", f.env.Calls[0].Kind, CallStartAgent)
	eq(t, "bead", f.b(bead, "status"), StatusInProgress)
	eq(t, "agent", f.a(agent, "status"), AgentWorking)
	eq(t, "escalated (pulled earlier)", f.alarm(), armed)

	_, _, err = f.town.SlingBead(f.env, SlingInput{RigID: "r1", Title: "y", Priority: "high"})
	f.must(err)
	eq(t, "valid priority kept", f.q(`SELECT priority FROM beads WHERE title = 'y'`), "high")
}

func TestRPCCreateAndStartHeldBead(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	id, err := f.town.CreateHeldBead(evT0, SlingInput{Title: "held", Labels: []string{LabelHeld, "x"}})
	f.must(err)
	eq(t, "rig", f.b(id, "rig_id"), "<NULL>")
	eqSlice(t, "event", f.pendingPayloads(), []string{`bead_created {"bead_type":"issue","has_blockers":false,"rig_id":null}`})
	eq(t, "no alarm", f.alarm(), noAlarm)

	if err := f.town.StartHeldBead(evT0, id, "r1"); err == nil || !strings.Contains(err.Error(), "does not belong to rig r1") {
		t.Errorf("wrong rig: err = %v", err)
	}
	if err := f.town.StartHeldBead(evT0, "88888888-8888-4888-8888-888888888888", "r1"); !isMissingEntity(err) {
		t.Errorf("missing bead: err = %v", err)
	}
	eq(t, "no alarm after errors", f.alarm(), noAlarm)

	id2, err := f.town.CreateHeldBead(evT0, SlingInput{RigID: "r1", Title: "held2", Labels: []string{LabelHeld, "x"}})
	f.must(err)
	f.must(f.town.StartHeldBead(evAt(time.Second), id2, "r1"))
	eq(t, "labels", f.b(id2, "labels"), `["x"]`)
	eq(t, "fields_updated", f.q(`SELECT agent_id FROM bead_events WHERE bead_id = ? AND event_type = 'fields_updated'`, id2), "system")
	eq(t, "escalated", f.alarm(), time.Second+ActiveInterval)
}

func TestConvoySlugRules(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Feat", "feat"},
		{"  Add OAuth 2.0 -- login!  ", "add-oauth-2-0-login"},
		{"!!!", "convoy"},
		{"", "convoy"},
		{"Ünïcode Tïtle", "n-code-t-tle"},
		{strings.Repeat("ab ", 20), "ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-a"},
		{strings.Repeat("a", 39) + " b", strings.Repeat("a", 39) + "-"},
	} {
		eq(t, "slug "+c.in, convoySlug(c.in), c.want)
	}
}

func TestRPCSlingConvoy(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)

	// The cycle check runs before any write.
	_, _, err := f.town.SlingConvoy(evT0, SlingConvoyInput{RigID: "r1", Title: "Loop",
		Tasks: []ConvoyTask{{Title: "a", DependsOn: []int{1}}, {Title: "b", DependsOn: []int{0}}}})
	if err == nil || !strings.Contains(err.Error(), "cycle — 2 tasks") {
		t.Fatalf("cycle: err = %v", err)
	}
	eq(t, "no beads written", f.n(`SELECT count(*) FROM beads`), 0)

	// Staged by the new-town default: no alarm.
	cid, ids, err := f.town.SlingConvoy(evT0, SlingConvoyInput{RigID: "r1", Title: "Feat",
		Tasks:    []ConvoyTask{{Title: "T1"}, {Title: "T2", Body: "b", DependsOn: []int{0, 0, 1, 7, -1}}},
		Metadata: map[string]any{"origin": "w", "convoy_id": "caller"}})
	f.must(err)
	branch := "convoy/feat/" + cid[:8] + "/head"
	eq(t, "convoy labels", f.b(cid, "labels"), `["gt:convoy"]`)
	eq(t, "convoy rig", f.b(cid, "rig_id"), "<NULL>")
	eq(t, "convoy metadata branch", f.meta(cid, "feature_branch"), branch)
	eq(t, "convoy metadata caller key", f.meta(cid, "origin"), "w")
	eq(t, "convoy_metadata", f.q(`SELECT total_beads || '/' || closed_beads || '/' || feature_branch || '/' || merge_mode || '/' || staged
		FROM convoy_metadata WHERE bead_id = ?`, cid), "2/0/"+branch+"/review-then-land/1")
	eq(t, "tasks", len(ids), 2)
	eq(t, "reserved key wins", f.meta(ids[0], "convoy_id"), cid)
	eq(t, "task branch", f.meta(ids[1], "feature_branch"), branch)
	eq(t, "task caller key", f.meta(ids[1], "origin"), "w")
	eq(t, "task body", f.b(ids[1], "body"), "b")
	eq(t, "task rig", f.b(ids[1], "rig_id"), "r1")
	eq(t, "no assignee", f.b(ids[0], "assignee_agent_bead_id"), "<NULL>")
	eqSlice(t, "edges", f.list(`SELECT bead_id || '>' || dependency_type || '>' || depends_on_bead_id FROM bead_dependencies ORDER BY rowid`),
		[]string{ids[0] + ">tracks>" + cid, ids[1] + ">tracks>" + cid, ids[1] + ">blocks>" + ids[0]})
	eqSlice(t, "events", f.pendingPayloads(), []string{
		`bead_created {"bead_type":"issue","convoy_id":"` + cid + `","has_blockers":false,"rig_id":"r1"}`,
		`bead_created {"bead_type":"issue","convoy_id":"` + cid + `","has_blockers":true,"rig_id":"r1"}`})
	eq(t, "staged: no alarm", f.alarm(), noAlarm)

	// Explicitly unstaged with an explicit merge mode: escalates.
	no := false
	cid2, _, err := f.town.SlingConvoy(evT0, SlingConvoyInput{RigID: "r1", Title: "Other", Staged: &no,
		MergeMode: MergeModeReviewAndMerge, Tasks: []ConvoyTask{{Title: "x"}}})
	f.must(err)
	eq(t, "unstaged", f.q(`SELECT staged || merge_mode FROM convoy_metadata WHERE bead_id = ?`, cid2), "0review-and-merge")
	eq(t, "escalated", f.alarm(), armed)
}

func TestRPCConvoyLifecycle(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	for _, bad := range []struct {
		title string
		beads []ConvoyBeadRef
	}{{"", []ConvoyBeadRef{{"a", "r1"}}}, {"t", nil}, {"t", []ConvoyBeadRef{{"", "r1"}}}} {
		if _, err := f.town.CreateConvoy(evT0, bad.title, bad.beads, ""); err == nil {
			t.Errorf("CreateConvoy(%q, %v) accepted", bad.title, bad.beads)
		}
	}
	eq(t, "nothing written", f.n(`SELECT count(*) FROM beads`), 0)

	p := f.agent(RolePolecat, "Toast", "r1")
	b1 := f.bead(CreateBeadInput{Title: "one", RigID: "r1"})
	b2 := f.bead(CreateBeadInput{Title: "two", RigID: "r1"})
	b3 := f.bead(CreateBeadInput{Title: "three", RigID: "r1"})
	f.exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, b3)
	f.hook(p, b1)
	c, err := f.town.CreateConvoy(evT0, "Group", []ConvoyBeadRef{{b1, "r1"}, {b2, "r1"}, {b3, "r1"}}, "user-1")
	f.must(err)
	eq(t, "convoy_metadata", f.q(`SELECT total_beads || '/' || staged || '/' || coalesce(feature_branch, 'NULL') || '/' || merge_mode
		FROM convoy_metadata WHERE bead_id = ?`, c), "3/0/NULL/review-then-land")
	eq(t, "created_by", f.b(c, "created_by"), "user-1")
	eq(t, "no town events", f.n(`SELECT count(*) FROM town_events`), 0)

	// Not staged: StartConvoy fails.
	if err := f.town.StartConvoy(evT0, c); err == nil || !strings.Contains(err.Error(), "not staged") {
		t.Errorf("StartConvoy(unstaged) err = %v", err)
	}
	if err := f.town.StartConvoy(evT0, "nope"); err == nil || !strings.Contains(err.Error(), "Convoy not found") {
		t.Errorf("StartConvoy(missing) err = %v", err)
	}
	eq(t, "no alarm", f.alarm(), noAlarm)

	f.exec(`UPDATE convoy_metadata SET staged = 1 WHERE bead_id = ?`, c)
	f.must(f.town.StartConvoy(evT0, c))
	eq(t, "staged cleared", f.q(`SELECT staged FROM convoy_metadata WHERE bead_id = ?`, c), "0")
	eqSlice(t, "event", f.pendingPayloads(), []string{`convoy_started {"convoy_id":"` + c + `"}`})
	eq(t, "escalated", f.alarm(), armed)

	f.town.DeleteAlarm()
	f.must(f.town.CloseConvoy(evAt(time.Minute), c))
	eq(t, "tracked closed", f.b(b1, "status")+f.b(b2, "status"), StatusClosed+StatusClosed)
	eq(t, "failed stays failed", f.b(b3, "status"), StatusFailed)
	eq(t, "assignee unhooked", f.a(p, "current_hook_bead_id"), "<NULL>")
	eq(t, "convoy closed", f.b(c, "status"), StatusClosed)
	eq(t, "closed_beads = total", f.q(`SELECT closed_beads || '/' || landed_at FROM convoy_metadata WHERE bead_id = ?`, c), "3/"+ISO(evAt(time.Minute)))
	eq(t, "no alarm", f.alarm(), noAlarm)
	f.must(f.town.CloseConvoy(evT0, "missing"))
}

func TestRPCSetBeadStatus(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	hookedPolecat(f, RolePolecat)

	f.must(f.town.SetBeadStatus(f.env, f.ids["B"], StatusInProgress, f.ids["P"]))
	eq(t, "non-terminal: no event", f.n(`SELECT count(*) FROM town_events`), 0)
	e, _ := f.find("bead.status_changed")
	eq(t, "status_changed label", e.Label, StatusInProgress)

	f.env.Clock = evAt(time.Minute)
	f.must(f.town.SetBeadStatus(f.env, f.ids["B"], StatusClosed, "user"))
	eqSlice(t, "bead_cancelled", f.pendingPayloads(), []string{`bead_cancelled {"cancel_status":"closed"}`})
	eq(t, "closed", f.b(f.ids["B"], "status"), StatusClosed)
	eq(t, "hook stays until the event is drained", f.a(f.ids["P"], "current_hook_bead_id"), f.ids["B"])
	e, _ = f.find("bead.closed")
	eq(t, "closed duration", e.DurationMs, float64(time.Minute.Milliseconds()))
	eq(t, "no alarm", f.alarm(), noAlarm)

	// The event goes in before the status change: a missing bead leaves it.
	err := f.town.SetBeadStatus(f.env, "99999999-9999-4999-8999-999999999999", StatusFailed, "user")
	if !isMissingEntity(err) {
		t.Fatalf("err = %v", err)
	}
	eq(t, "event kept", f.n(`SELECT count(*) FROM town_events WHERE bead_id = '99999999-9999-4999-8999-999999999999'`), 1)
}

func TestRPCUpdateBead(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	a := f.bead(CreateBeadInput{Title: "a", RigID: "r1"})
	b := f.bead(CreateBeadInput{Title: "b", RigID: "r1"})
	title := "renamed"
	f.must(f.town.UpdateBead(f.env, a, BeadFields{Title: &title}, []string{b, a}, "user"))
	eq(t, "title", f.b(a, "title"), "renamed")
	eqSlice(t, "edges (self ignored)", f.list(`SELECT depends_on_bead_id FROM bead_dependencies WHERE bead_id = ?`, a), []string{b})
	eq(t, "no event", f.n(`SELECT count(*) FROM town_events`), 0)

	f.must(f.town.UpdateBead(f.env, a, BeadFields{}, []string{}, "user"))
	eq(t, "empty list clears", f.n(`SELECT count(*) FROM bead_dependencies WHERE bead_id = ?`, a), 0)

	failed := StatusFailed
	f.must(f.town.UpdateBead(f.env, a, BeadFields{Status: &failed}, nil, "user"))
	eqSlice(t, "bead_cancelled", f.pendingPayloads(), []string{`bead_cancelled {"cancel_status":"failed"}`})
	eq(t, "failed", f.b(a, "status"), StatusFailed)
	eq(t, "no alarm", f.alarm(), noAlarm)
}

func TestRPCRequestChanges(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	openMR(f)
	f.exec(`UPDATE beads SET priority = 'high' WHERE bead_id = ?`, f.ids["S"])
	r := f.agent(RoleRefinery, "refinery", "r1")

	if _, err := f.town.RequestChanges(evT0, f.ids["P"], "x", nil); err == nil || !strings.Contains(err.Error(), "Only refineries") {
		t.Errorf("polecat: err = %v", err)
	}
	if _, err := f.town.RequestChanges(evT0, r, "x", nil); err == nil || !strings.Contains(err.Error(), "is not hooked to a bead") {
		t.Errorf("unhooked: err = %v", err)
	}
	if _, err := f.town.RequestChanges(evT0, "33333333-3333-4333-8333-333333333333", "x", nil); !isMissingEntity(err) {
		t.Errorf("missing: err = %v", err)
	}
	eq(t, "no alarm after errors", f.alarm(), noAlarm)

	f.hook(r, f.ids["M"])
	rw, err := f.town.RequestChanges(evT0, r, "please fix", []string{"a.go"})
	f.must(err)
	eq(t, "title", f.b(rw, "title"), "Rework: src")
	eq(t, "body", f.b(rw, "body"), "please fix")
	eq(t, "priority from source", f.b(rw, "priority"), "high")
	eq(t, "parent", f.b(rw, "parent_bead_id"), f.ids["M"])
	eq(t, "labels", f.b(rw, "labels"), `["gt:rework"]`)
	m := evJSON(t, f.b(rw, "metadata"))
	eq(t, "rework_for", m["rework_for"], any(f.ids["S"]))
	eq(t, "branch", m["branch"], any("feat"))
	eq(t, "target", m["target_branch"], any("main"))
	eq(t, "blocks", f.n(`SELECT count(*) FROM bead_dependencies WHERE bead_id = ? AND depends_on_bead_id = ? AND dependency_type = 'blocks'`, f.ids["M"], rw), 1)
	eqSlice(t, "event", f.pendingPayloads(), []string{`bead_created {"bead_type":"issue","rig_id":"r1"}`})
	eq(t, "rework_requested", f.q(`SELECT new_value FROM bead_events WHERE bead_id = ? AND event_type = 'rework_requested'`, f.ids["M"]), rw)
	eq(t, "escalated", f.alarm(), armed)
}

func TestRPCCompleteReview(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	openMR(f)
	// A bead blocked by the source, assigned to an idle polecat.
	q := f.agent(RolePolecat, "Maple", "r1")
	next := f.bead(CreateBeadInput{Title: "next", RigID: "r1"})
	f.must(f.town.InsertDependency(next, f.ids["S"], DepBlocks))
	f.hook(q, next)

	f.must(f.town.CompleteReview(f.env, ReviewResult{EntryID: f.ids["M"], Status: "merged"}))
	eq(t, "MR", f.b(f.ids["M"], "status"), StatusClosed)
	eq(t, "source", f.b(f.ids["S"], "status"), StatusClosed)
	eq(t, "unblocked bead dispatched", f.b(next, "status"), StatusInProgress)
	eq(t, "call", f.env.Calls[0].AgentID, q)
	_, ok := f.find("review.completed")
	eq(t, "review.completed", ok, true)
	eq(t, "no alarm", f.alarm(), noAlarm)

	if err := f.town.CompleteReview(f.env, ReviewResult{EntryID: "44444444-4444-4444-8444-444444444444", Status: "failed"}); !isMissingEntity(err) {
		t.Errorf("missing MR: err = %v", err)
	}
}

func TestRPCResetAgent(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	hookedPolecat(f, RolePolecat)
	if !f.town.DispatchAgent(f.env, f.ids["P"], f.ids["B"], DispatchOptions{}) {
		t.Fatal("not dispatched")
	}
	f.exec(`UPDATE agent_metadata SET dispatch_attempts = 4 WHERE bead_id = ?`, f.ids["P"])

	f.must(f.town.ResetAgentDispatchAttempts(evT0, f.ids["P"]))
	eq(t, "agent attempts", f.a(f.ids["P"], "dispatch_attempts"), "0")
	eq(t, "bead attempts", f.b(f.ids["B"], "dispatch_attempts")+f.b(f.ids["B"], "last_dispatch_attempt_at"), "0<NULL>")
	eq(t, "still hooked", f.a(f.ids["P"], "current_hook_bead_id"), f.ids["B"])

	f.exec(`UPDATE beads SET dispatch_attempts = 2 WHERE bead_id = ?`, f.ids["B"])
	f.must(f.town.ResetAgent(evT0, f.ids["P"]))
	eq(t, "bead open", f.b(f.ids["B"], "status"), StatusOpen)
	eq(t, "bead attempts", f.b(f.ids["B"], "dispatch_attempts"), "0")
	eq(t, "unhooked", f.a(f.ids["P"], "current_hook_bead_id"), "<NULL>")
	eq(t, "agent", f.a(f.ids["P"], "status")+"/"+f.a(f.ids["P"], "dispatch_attempts"), "idle/0")
	eq(t, "reset event", f.q(`SELECT json_extract(metadata, '$.reason') FROM bead_events WHERE bead_id = ? AND event_type = 'unhooked' AND new_value = 'open'`, f.ids["B"]), "agent_reset")
	eq(t, "no alarm", f.alarm(), noAlarm)

	for _, err := range []error{f.town.ResetAgent(evT0, "33333333-3333-4333-8333-333333333333"),
		f.town.ResetAgentDispatchAttempts(evT0, "33333333-3333-4333-8333-333333333333")} {
		if !isMissingEntity(err) {
			t.Errorf("missing agent: err = %v", err)
		}
	}
}

func TestRPCContainerEvictionAndReady(t *testing.T) {
	f := evNew(t)
	eq(t, "not draining → true", f.town.AcknowledgeContainerReady(evT0, "x"), true)
	nonce, err := f.town.RecordContainerEviction(evAt(time.Second))
	f.must(err)
	eqSlice(t, "event", f.pendingPayloads(), []string{"container_eviction {}"})
	kv := f.town.KV()
	eq(t, "draining", kv.Draining, true)
	eq(t, "nonce", kv.DrainNonce, nonce)
	eq(t, "started", kv.DrainStartedAt, evAt(time.Second))
	eq(t, "wrong nonce", f.town.AcknowledgeContainerReady(evT0, "other"), false)
	eq(t, "still draining", kv.Draining, true)
	eq(t, "right nonce", f.town.AcknowledgeContainerReady(evT0, nonce), true)
	eq(t, "cleared", kv.Draining || kv.DrainNonce != "" || !kv.DrainStartedAt.IsZero(), false)
	eq(t, "no alarm", f.alarm(), noAlarm)
}

func TestRPCMayor(t *testing.T) {
	f := evNew(t)
	_, err := f.town.UpdateTownConfig(TownConfigUpdate{KilocodeToken: Ptr("kilo-town")})
	f.must(err)
	// Not running, a kilocode token: EnsureMayor registers and starts it.
	m, err := f.town.EnsureMayor(f.env)
	f.must(err)
	eq(t, "identity", m.Identity, "mayor-"+evTownID[:8])
	eq(t, "no rig", m.RigID.Valid, false)
	eq(t, "working", m.Status, AgentWorking)
	eqSlice(t, "calls", f.calls(), []string{string(CallAgentStatus), string(CallStartAgent)})
	eq(t, "start rig", f.env.Calls[1].RigID, "mayor-"+evTownID)
	eq(t, "no alarm", f.alarm(), noAlarm)

	// Running: no new start, the same mayor.
	f.env.Respond = evRespond(200, "", "running", true)
	m2, err := f.town.EnsureMayor(f.env)
	f.must(err)
	eq(t, "same mayor", m2.ID, m.ID)
	eq(t, "calls", len(f.env.Calls), 3)

	// MayorWaiting: working → waiting; other statuses stay.
	f.must(f.town.MayorWaiting(evT0, ""))
	eq(t, "waiting", f.a(m.ID, "status"), AgentWaiting)
	f.must(f.town.MayorWaiting(evT0, m.ID))
	eq(t, "still waiting", f.a(m.ID, "status"), AgentWaiting)
	eq(t, "no alarm", f.alarm(), noAlarm)

	// A message to a waiting mayor sets the alarm to now+5 s directly.
	f.town.SetAlarm(evAt(time.Hour))
	f.must(f.town.SendMayorMessage(f.env, "hello"))
	eq(t, "message", f.env.Calls[len(f.env.Calls)-1], Call{Kind: CallSendMessage, AgentID: m.ID, Role: RoleMayor, Message: "hello"})
	eq(t, "working again", f.a(m.ID, "status"), AgentWorking)
	eq(t, "alarm pulled in directly", f.alarm(), armed)

	// Message refused: nothing changes; the alarm only arms if needed.
	f.exec(`UPDATE agent_metadata SET status = 'waiting' WHERE bead_id = ?`, m.ID)
	f.env.Respond = evRespond(200, "", "running", false)
	f.town.SetAlarm(evAt(time.Hour))
	f.must(f.town.SendMayorMessage(f.env, "again"))
	eq(t, "still waiting", f.a(m.ID, "status"), AgentWaiting)
	eq(t, "future alarm kept", f.alarm(), time.Hour)

	// Not running: start with the message; an unreadable config fails.
	f.env.Respond = evRespond(200, "", "exited", true)
	f.town.KV().ConfigErr = errors.New("bad")
	if err := f.town.SendMayorMessage(f.env, "x"); err == nil {
		t.Error("SendMayorMessage with unreadable config succeeded")
	}
	f.town.KV().ConfigErr = nil
	f.town.DeleteAlarm()
	f.must(f.town.SendMayorMessage(f.env, "start me"))
	last := f.env.Calls[len(f.env.Calls)-1]
	eq(t, "start with message", last.Kind == CallStartAgent && last.Message == "start me", true)
	eq(t, "working", f.a(m.ID, "status"), AgentWorking)
	eq(t, "armed", f.alarm(), armed)
}

func TestRPCDebugInsertTownEvent(t *testing.T) {
	f := evNew(t)
	id, err := f.town.DebugInsertTownEvent(evT0, "whatever", "a", "", "")
	f.must(err)
	eq(t, "payload", f.q(`SELECT payload FROM town_events WHERE event_id = ?`, id), "{}")
	eq(t, "bead NULL", f.q(`SELECT bead_id FROM town_events WHERE event_id = ?`, id), "<NULL>")
	eq(t, "armed", f.alarm(), armed)
}

// Unknown ids and empty input never panic; errors are fine.
func TestRPCBadInputNeverPanics(t *testing.T) {
	f := evNew(t)
	const x = "00000000-0000-4000-8000-000000000000"
	_, _ = f.town.Heartbeat(evT0, x, HeartbeatInput{ContainerInstanceID: "i"})
	_ = f.town.AgentDone(evT0, x, AgentDoneInput{})
	_ = f.town.AgentCompleted(evT0, x, AgentCompletedInput{})
	_, _, _ = f.town.SlingBead(f.env, SlingInput{})
	_, _ = f.town.CreateHeldBead(evT0, SlingInput{})
	_ = f.town.StartHeldBead(evT0, x, "")
	_, _, _ = f.town.SlingConvoy(evT0, SlingConvoyInput{})
	_, _, _ = f.town.SlingConvoy(evT0, SlingConvoyInput{Tasks: []ConvoyTask{{DependsOn: []int{0, 5, -3}}}})
	_, _ = f.town.CreateConvoy(evT0, "t", []ConvoyBeadRef{{x, "r"}}, "")
	_ = f.town.StartConvoy(evT0, x)
	_ = f.town.CloseConvoy(evT0, x)
	_ = f.town.SetBeadStatus(f.env, x, "weird", "")
	_ = f.town.UpdateBead(f.env, x, BeadFields{}, []string{x}, "")
	_, _ = f.town.RequestChanges(evT0, x, "", nil)
	_ = f.town.CompleteReview(f.env, ReviewResult{EntryID: x})
	_ = f.town.ResetAgent(evT0, x)
	_ = f.town.ResetAgentDispatchAttempts(evT0, x)
	_ = f.town.MayorWaiting(evT0, x)
	_ = f.town.SendMayorMessage(f.env, "")
	_, _ = f.town.EnsureMayor(f.env)
	_ = f.town.AcknowledgeContainerReady(evT0, "")
	_, _ = f.town.DebugInsertTownEvent(evT0, "", "", "", "not json")
	_ = f.town.DispatchAgent(f.env, x, x, DispatchOptions{})
	_ = f.town.DispatchFromAction(f.env, x, x, x)
	_ = f.town.DispatchUnblockedBeads(f.env, x)
	_ = f.town.UpsertContainerStatus(evT0, x, "", "")
}

// TestRPCSendMayorMessage_TokenPushBeforeSend pins the container calls of
// the mayor-message path: a live mayor gets a best-effort token push
// before the message (skipped when the town config cannot be read; a
// failed push does not stop the send); a mayor that is not running is
// started with the message instead.
func TestRPCSendMayorMessage_TokenPushBeforeSend(t *testing.T) {
	cases := []struct {
		name      string
		status    string
		configErr bool
		refresh   Result
		want      []string
		working   bool
	}{
		{"live mayor", "running", false, Result{StatusCode: 200},
			[]string{string(CallAgentStatus), string(CallRefreshToken), string(CallSendMessage)}, true},
		{"starting mayor", "starting", false, Result{StatusCode: 200},
			[]string{string(CallAgentStatus), string(CallRefreshToken), string(CallSendMessage)}, true},
		{"push fails, send still goes", "running", false, Result{Err: "timeout"},
			[]string{string(CallAgentStatus), string(CallRefreshToken), string(CallSendMessage)}, true},
		{"unreadable config skips the push", "running", true, Result{StatusCode: 200},
			[]string{string(CallAgentStatus), string(CallSendMessage)}, true},
		{"not running: start, no push", "exited", false, Result{StatusCode: 200},
			[]string{string(CallAgentStatus), string(CallStartAgent)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := evNew(t)
			m, err := f.town.RegisterAgent(evT0, RoleMayor, "mayor", "mayor-"+evTownID[:8], "")
			f.must(err)
			f.exec(`UPDATE agent_metadata SET status = 'waiting' WHERE bead_id = ?`, m.ID)
			base := evRespond(200, "", c.status, true)
			f.env.Respond = func(call Call) Result {
				if call.Kind == CallRefreshToken {
					return c.refresh
				}
				return base(call)
			}
			if c.configErr {
				f.town.KV().ConfigErr = errors.New("bad config")
			}
			f.must(f.town.SendMayorMessage(f.env, "hello"))
			eqSlice(t, "calls", f.calls(), c.want)
			eq(t, "working", f.a(m.ID, "status") == AgentWorking, c.working)
		})
	}
}
