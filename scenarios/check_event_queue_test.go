package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

// safety/container-status-queued: an answer other than running moves the
// agent's newest pending event of the same status, or adds one new event
// with the answer's status and exit reason; a duplicate, a moved event of
// another status, a wrong payload or no record at all fire.
func TestContainerStatusQueuedFires(t *testing.T) {
	c, db := passedRun(t, "default", 10*time.Minute)
	exec, one := rowsOf(t, db)
	agent := one(`SELECT bead_id FROM agent_metadata ORDER BY bead_id LIMIT 1`)
	old := model.ISO(c.now.Add(time.Hour))
	at := c.now.Add(2 * time.Hour)
	exited := model.Result{StatusCode: 200, Status: "exited", ExitReason: "completed"}
	insert := func(id, payload, created string) {
		exec(`INSERT INTO town_events (event_id, event_type, agent_id, bead_id, payload, created_at, processed_at)
			VALUES (?, 'container_status', ?, NULL, ?, ?, NULL)`, id, agent, payload, created)
	}
	bump := func(id string) { exec(`UPDATE town_events SET created_at = ? WHERE event_id = ?`, model.ISO(at), id) }
	tests := []struct {
		name    string
		answer  model.Result
		pending string // payload of a pending event queued before ("" = none)
		upsert  func()
		fires   bool
	}{
		{"a new event with the exit reason", exited, "",
			func() { insert("new", `{"status":"exited","exit_reason":"completed"}`, model.ISO(at)) }, false},
		{"a 404 queues not_found without a reason", model.Result{StatusCode: 404}, "",
			func() { insert("new", `{"status":"not_found"}`, model.ISO(at)) }, false},
		{"a timeout queues unknown", model.Result{Err: "timeout"}, `{"status":"exited"}`,
			func() { insert("new", `{"status":"unknown"}`, model.ISO(at)) }, false},
		{"the exit reason left out", exited, "",
			func() { insert("new", `{"status":"exited"}`, model.ISO(at)) }, true},
		{"an empty exit reason written", model.Result{StatusCode: 404}, "",
			func() { insert("new", `{"status":"not_found","exit_reason":""}`, model.ISO(at)) }, true},
		{"nothing queued", exited, "", func() {}, true},
		{"the same status moves the pending event", exited, `{"status":"exited"}`,
			func() { bump("prev") }, false},
		{"the same status queued twice", exited, `{"status":"exited"}`,
			func() { insert("new", `{"status":"exited","exit_reason":"completed"}`, model.ISO(at)) }, true},
		{"the same status, the pending event left behind", exited, `{"status":"exited"}`,
			func() {}, true},
		{"another status moves the pending event", exited, `{"status":"not_found"}`,
			func() { bump("prev") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer exec(`DELETE FROM town_events WHERE event_id IN ('prev', 'new')`)
			if tt.pending != "" {
				insert("prev", tt.pending, old)
			}
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropContainerStatusQueued).(*containerStatusQueuedProp)
			p.call(c, model.Call{Kind: model.CallAgentStatus, AgentID: agent}, tt.answer, at)
			tt.upsert()
			p.tick(c, &tickView{rec: &sim.TickRecord{At: at, End: at}, w: c.world, db: db})
			if p.judged != 1 {
				t.Fatalf("judged %d observations, want 1", p.judged)
			}
			fired := len(c.failures) == 1 && c.failures[0].Property == PropContainerStatusQueued
			if fired != tt.fires || (!tt.fires && len(c.failures) != 0) {
				t.Errorf("fired %v, want %v (%v)", fired, tt.fires, c.failures)
			}
		})
	}
	t.Run("running and the mayor's own checks are not T4's records", func(t *testing.T) {
		p := propByName(t, PropContainerStatusQueued).(*containerStatusQueuedProp)
		p.call(c, model.Call{Kind: model.CallAgentStatus, AgentID: agent}, model.Result{StatusCode: 200, Status: "running"}, at)
		p.call(c, model.Call{Kind: model.CallAgentStatus, AgentID: agent, Role: model.RoleMayor}, exited, at)
		if len(p.obs) != 0 {
			t.Errorf("%d observations recorded, want none", len(p.obs))
		}
	})
}

// safety/drain-settles-each-event: after a clean drain no event created
// before the tick is pending, and a processed event keeps its
// processed_at; a tick that threw or whose drain a fault cut excuses the
// pending event.
func TestDrainSettlesFires(t *testing.T) {
	c, db := passedRun(t, "default", 10*time.Minute)
	exec, _ := rowsOf(t, db)
	start := c.now.Add(time.Hour)
	before, after := model.ISO(start.Add(-time.Second)), model.ISO(start.Add(time.Second))
	tests := []struct {
		name      string
		created   string
		processed any // processed_at at the first tick (nil = pending)
		reprocess any // processed_at at the second tick (nil = unchanged)
		threw     bool
		fires     bool
	}{
		{"an event drained", before, after, nil, false, false},
		{"an event queued during the tick waits", after, nil, nil, false, false},
		{"an event left pending by a clean drain", before, nil, nil, false, true},
		{"a tick that threw leaves it pending", before, nil, nil, true, false},
		{"an event processed twice", before, after, model.ISO(start.Add(time.Minute)), false, true},
		{"processed before it was created", after, before, nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec(`INSERT INTO town_events (event_id, event_type, agent_id, bead_id, payload, created_at, processed_at)
				VALUES ('ev', 'agent_done', NULL, NULL, '{}', ?, ?)`, tt.created, tt.processed)
			defer exec(`DELETE FROM town_events WHERE event_id = 'ev'`)
			c.failures, c.seen = nil, map[string]bool{}
			p := propByName(t, PropDrainSettles).(*drainSettlesProp)
			p.last = model.ISO(start.Add(-time.Minute))
			tv := &tickView{rec: &sim.TickRecord{At: start, End: start, Threw: tt.threw}, res: &alarm.TickResult{Ran: true}, w: c.world, db: db}
			c.now = start.Add(2 * time.Second)
			p.tick(c, tv)
			if tt.reprocess != nil {
				exec(`UPDATE town_events SET processed_at = ? WHERE event_id = 'ev'`, tt.reprocess)
				c.now = start.Add(2 * time.Minute)
				p.tick(c, tv)
			}
			fired := len(c.failures) == 1 && c.failures[0].Property == PropDrainSettles
			if fired != tt.fires || (!tt.fires && len(c.failures) != 0) {
				t.Errorf("fired %v, want %v (%v)", fired, tt.fires, c.failures)
			}
		})
	}
}

// queueScenarioTests: queue-cut reaches the drain's faults and deletes
// polecats while the alarm awaits their container status.
func queueScenarioTests() []scenarioTest {
	return []scenarioTest{{"queue-cut", 45 * time.Minute, func(t *testing.T, r *run) {
		for _, k := range []string{model.FPDrainRead, model.FPEventApply} {
			if r.res.World.Faults[k] == 0 {
				t.Errorf("no %s fault fired: %v", k, r.res.World.Faults)
			}
		}
		if len(r.grep("rpc", "op=delete_agent")) == 0 {
			t.Errorf("no polecat deleted while observed")
		}
	}}, {"late-conflicts", 0, func(t *testing.T, r *run) {
		if len(r.grep("pr", "event=late_conflict")) == 0 {
			t.Errorf("no PR turned dirty late")
		}
	}}}
}

// clearPRTrouble removes the rows a pr-trouble-handed-on case writes: the
// event 'ev', the MR 'mr' with its review row and edges, the bead 'fix'.
func clearPRTrouble(exec func(q string, args ...any)) {
	exec(`DELETE FROM town_events WHERE event_id = 'ev'`)
	exec(`DELETE FROM bead_dependencies WHERE bead_id = 'mr'`)
	exec(`DELETE FROM review_metadata WHERE bead_id = 'mr'`)
	exec(`DELETE FROM beads WHERE bead_id IN ('mr', 'fix')`)
}

// judgePRTrouble writes the event 'ev' of type typ about the MR 'mr',
// processed a second after at, and judges one tick ending 2 s after at
// with a fresh pr-trouble-handed-on and no earlier failures.
func judgePRTrouble(t *testing.T, c *checker, db *model.DB, exec func(q string, args ...any), at time.Time, typ, payload string) {
	t.Helper()
	exec(`INSERT INTO town_events (event_id, event_type, agent_id, bead_id, payload, created_at, processed_at)
		VALUES ('ev', ?, NULL, 'mr', ?, ?, ?)`, typ, payload, model.ISO(at), model.ISO(at.Add(time.Second)))
	c.failures, c.seen = nil, map[string]bool{}
	p := propByName(t, PropPRTroubleHandedOn).(*prTroubleProp)
	p.last = model.ISO(at)
	c.now = at.Add(2 * time.Second)
	p.tick(c, &tickView{rec: &sim.TickRecord{At: at, End: c.now}, w: c.world, db: db})
}

// safety/pr-trouble-handed-on: a conflict or feedback event applied to a
// live MR leaves an unfinished bead asking for it; an MR blocked by
// nothing that asks fires, a finished MR is not judged.
func TestPRTroubleHandedOnFires(t *testing.T) {
	c, db := passedRun(t, "default", 10*time.Minute)
	exec, _ := rowsOf(t, db)
	at := c.now.Add(time.Hour)
	bead := func(id, typ, status, labels, meta string) {
		exec(`INSERT INTO beads (bead_id, type, status, title, labels, metadata, created_at, updated_at)
			VALUES (?, ?, ?, 't', ?, ?, ?, ?)`, id, typ, status, labels, meta, model.ISO(at), model.ISO(at))
	}
	tests := []struct {
		name    string
		event   string
		mr      string // the MR's status
		blocker string // labels of its open blocker ("" = none)
		meta    string // the blocker's metadata
		fires   bool
	}{
		{"a conflict bead", model.EventPRConflictDetected, "in_progress", `["gt:pr-conflict"]`, `{}`, false},
		{"the feedback bead marked", model.EventPRConflictDetected, "in_progress", `["gt:pr-feedback"]`, `{"has_conflicts":1,"conflict_target_branch":"main"}`, false},
		{"the feedback bead left unmarked", model.EventPRConflictDetected, "in_progress", `["gt:pr-feedback"]`, `{}`, true},
		{"the feedback bead marked with another branch", model.EventPRConflictDetected, "in_progress", `["gt:pr-feedback"]`, `{"has_conflicts":1,"conflict_target_branch":"dev"}`, true},
		{"a conflict with nothing", model.EventPRConflictDetected, "in_progress", "", "", true},
		{"a feedback bead", model.EventPRFeedbackDetected, "in_progress", `["gt:pr-feedback"]`, `{}`, false},
		{"the conflict bead marked", model.EventPRFeedbackDetected, "in_progress", `["gt:pr-conflict"]`, `{"has_feedback":1}`, false},
		{"the conflict bead left unmarked", model.EventPRFeedbackDetected, "in_progress", `["gt:pr-conflict"]`, `{}`, true},
		{"a merged MR is not judged", model.EventPRFeedbackDetected, "closed", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer clearPRTrouble(exec)
			bead("mr", "merge_request", tt.mr, `["gt:merge-request"]`, `{}`)
			exec(`INSERT INTO review_metadata (bead_id, branch, target_branch) VALUES ('mr', 'b', 'main')`)
			if tt.blocker != "" {
				bead("fix", "issue", "open", tt.blocker, tt.meta)
				exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES ('mr', 'fix', 'blocks')`)
			}
			judgePRTrouble(t, c, db, exec, at, tt.event, `{"mr_bead_id":"mr"}`)
			fired := len(c.failures) == 1 && c.failures[0].Property == PropPRTroubleHandedOn
			if fired != tt.fires || (!tt.fires && len(c.failures) != 0) {
				t.Errorf("fired %v, want %v (%v)", fired, tt.fires, c.failures)
			}
		})
	}
}

// safety/pr-trouble-handed-on also judges the record of the bead an
// applied conflict or feedback event made: the event's PR URL and branch,
// the MR's target branch and the MR's source for a conflict bead or a
// conflict escalation, the MR for a feedback bead.
func TestPRTroubleRecordFires(t *testing.T) {
	c, db := passedRun(t, "default", 10*time.Minute)
	exec, _ := rowsOf(t, db)
	at := c.now.Add(time.Hour)
	const payload = `{"mr_bead_id":"mr","pr_url":"https://github.com/o/r/pull/7","branch":"b","source_bead_id":"src",` +
		`"has_unresolved_comments":true,"pr_number":7,"repo":"o/r"}`
	// A feedback bead's title and body as the event asks (model.md §5.5).
	const title, body = "Address review comments on PR #7 (r)", "PR #7 (branch b): resolve the unresolved review comments, then gt_done."
	const good = `"pr_url":"https://github.com/o/r/pull/7","branch":"b","target_branch":"main","mr_bead_id":"mr"`
	tests := []struct {
		name, event, typ, labels, meta string
		fires                          bool
		title                          string // "" = the title above
	}{
		{"a conflict bead with the whole record", model.EventPRConflictDetected, "issue", `["gt:pr-conflict"]`, `{` + good + `,"source_bead_id":"src"}`, false, ""},
		{"a conflict bead without the MR's source", model.EventPRConflictDetected, "issue", `["gt:pr-conflict"]`, `{` + good + `,"source_bead_id":null}`, true, ""},
		{"a conflict bead with another target", model.EventPRConflictDetected, "issue", `["gt:pr-conflict"]`,
			`{"pr_url":"https://github.com/o/r/pull/7","branch":"b","target_branch":"dev","mr_bead_id":"mr","source_bead_id":"src"}`, true, ""},
		{"a conflict escalation with the whole record", model.EventPRConflictDetected, "escalation", `["gt:escalation"]`, `{` + good + `,"source_bead_id":"src","conflict":true}`, false, ""},
		{"a conflict escalation without the PR", model.EventPRConflictDetected, "escalation", `["gt:escalation"]`,
			`{"branch":"b","target_branch":"main","mr_bead_id":"mr","source_bead_id":"src","conflict":true}`, true, ""},
		{"an escalation about the MR that is not the conflict's is not read", model.EventPRConflictDetected, "escalation", `["gt:escalation"]`, `{"mr_bead_id":"mr","kind":"x"}`, false, ""},
		{"a feedback bead with its record", model.EventPRFeedbackDetected, "issue", `["gt:pr-feedback"]`,
			`{"pr_feedback_for":"mr","pr_url":"https://github.com/o/r/pull/7","branch":"b"}`, false, ""},
		{"a feedback bead with another branch", model.EventPRFeedbackDetected, "issue", `["gt:pr-feedback"]`,
			`{"pr_feedback_for":"mr","pr_url":"https://github.com/o/r/pull/7","branch":"c"}`, true, ""},
		{"a feedback bead whose title names failing CI", model.EventPRFeedbackDetected, "issue", `["gt:pr-feedback"]`,
			`{"pr_feedback_for":"mr","pr_url":"https://github.com/o/r/pull/7","branch":"b"}`, true, "Address failing CI on PR #7 (r)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer clearPRTrouble(exec)
			exec(`INSERT INTO beads (bead_id, type, status, title, labels, metadata, created_at, updated_at)
				VALUES ('mr', 'merge_request', 'in_progress', 't', '["gt:merge-request"]', '{}', ?, ?)`, model.ISO(at), model.ISO(at))
			exec(`INSERT INTO review_metadata (bead_id, branch, target_branch) VALUES ('mr', 'b', 'main')`)
			fixTitle := title
			if tt.title != "" {
				fixTitle = tt.title
			}
			exec(`INSERT INTO beads (bead_id, type, status, title, body, labels, metadata, created_at, updated_at)
				VALUES ('fix', ?, 'open', ?, ?, ?, ?, ?, ?)`, tt.typ, fixTitle, body, tt.labels, tt.meta, model.ISO(at.Add(time.Second)), model.ISO(at.Add(time.Second)))
			if tt.typ == "escalation" {
				exec(`INSERT INTO escalation_metadata (bead_id, severity, category, acknowledged, re_escalation_count) VALUES ('fix', 'high', 'merge_conflict', 0, 0)`)
				defer exec(`DELETE FROM escalation_metadata WHERE bead_id = 'fix'`)
			} else {
				exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES ('mr', 'fix', 'blocks')`)
			}
			judgePRTrouble(t, c, db, exec, at, tt.event, payload)
			fired := len(c.failures) > 0
			if fired != tt.fires {
				t.Errorf("fired %v, want %v (%v)", fired, tt.fires, c.failures)
			}
		})
	}
}
