package model

import (
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The Town RPCs the world calls (model.md §4.22). Each writes what
// production's Town Durable Object method writes, inserts its town events,
// and arms the alarm the way production does (reconciler.md §1.1 and
// Addendum C): armAlarmIfNeeded for heartbeats, agentDone, agentCompleted,
// the mayor-message path and the debug event insert; escalateToActiveCadence
// for slingBead, startHeldBead, startConvoy, requestChanges and an unstaged
// slingConvoy; no arming at all for the others.

// HeartbeatInput is an agent heartbeat's optional content.
type HeartbeatInput struct {
	// Watermark is the SDK activity watermark; nil = none supplied.
	Watermark *Watermark
	// ContainerInstanceID identifies the container process; "" = none.
	ContainerInstanceID string
}

// Heartbeat is touchAgentHeartbeat: touchAgent (model.md §4.13), arm the
// alarm, then compare the container instance id with the stored one: a
// new instance while draining clears the drain flag (reconciler.md §1.5);
// a new id is stored. It returns the current drain nonce ("" = none).
func (t *Town) Heartbeat(now time.Time, agentID string, in HeartbeatInput) (string, error) {
	if err := t.TouchAgent(now, agentID, in.Watermark); err != nil {
		return "", err
	}
	t.armAlarmIfNeeded(now)
	if id := in.ContainerInstanceID; id != "" {
		if t.kv.Draining && t.kv.ContainerInstanceID != "" && id != t.kv.ContainerInstanceID {
			if err := t.ClearDrain(); err != nil {
				return "", err
			}
		}
		t.kv.ContainerInstanceID = id
	}
	return t.kv.DrainNonce, nil
}

// ClearDrain clears the container-eviction drain flag, its nonce and its
// start time (KV; reconciler.md §1.5). It fails, changing nothing, when
// the KV write fails (failpoint FPKVWrite).
func (t *Town) ClearDrain() error {
	if err := t.Fault(FPKVWrite, "town:draining"); err != nil {
		return err
	}
	t.kv.Draining = false
	t.kv.DrainNonce = ""
	t.kv.DrainStartedAt = time.Time{}
	return nil
}

// AgentDone is the gt_done RPC: it only queues an agent_done event
// ({branch, pr_url?, summary?}) and arms the alarm; the state changes
// when the next tick drains it.
func (t *Town) AgentDone(now time.Time, agentID string, in AgentDoneInput) error {
	p := map[string]any{"branch": in.Branch}
	if in.PRURL != "" {
		p["pr_url"] = in.PRURL
	}
	if in.Summary != "" {
		p["summary"] = in.Summary
	}
	if _, err := t.InsertEvent(now, EventAgentDone, agentID, "", p); err != nil {
		return err
	}
	t.armAlarmIfNeeded(now)
	return nil
}

// firstMayor returns the mayor with the oldest bead created_at, or nil.
func (t *Town) firstMayor() (*Agent, error) {
	as, err := t.QueryAgents(`SELECT ` + AgentColumns + AgentFrom +
		`WHERE a.role = 'mayor' ORDER BY b.created_at ASC, b.rowid ASC`)
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return as[0], nil
}

// AgentCompleted is the container's process-exit callback: an empty
// agentID stands for the mayor (stored as an empty string when there is none). It only
// queues an agent_completed event ({status, reason?}), emits agent.exited
// and arms the alarm.
func (t *Town) AgentCompleted(now time.Time, agentID string, in AgentCompletedInput) error {
	resolved := agentID
	if resolved == "" {
		m, err := t.firstMayor()
		if err != nil {
			return err
		}
		if m != nil {
			resolved = m.ID
		}
	}
	p := map[string]any{"status": in.Status}
	if in.Reason != "" {
		p["reason"] = in.Reason
	}
	if _, err := t.insertEventRow(now, EventAgentCompleted, Null(resolved), sql.NullString{}, MustJSON(p)); err != nil {
		return err
	}
	if resolved != "" {
		a, err := t.GetAgent(resolved)
		if err != nil {
			return err
		}
		e := AnalyticsEvent{Event: "agent.exited", AgentID: resolved}
		if a != nil {
			e.Role = a.Role
		}
		t.emit(e)
	}
	t.armAlarmIfNeeded(now)
	return nil
}

// SlingInput creates one issue bead in a rig.
type SlingInput struct {
	RigID, Title, Body, Priority string
	Labels                       []string
	Metadata                     map[string]any
}

// validPriority reports a bead priority production's enum accepts.
func validPriority(p string) bool {
	switch p {
	case "low", "medium", "high", "critical":
		return true
	}
	return false
}

// SlingBead creates an issue (an invalid priority becomes medium), queues
// bead_created, hooks a polecat of the rig (reused if idle, else new),
// starts the dispatch without awaiting it (env.Go) and pulls the alarm to
// the active cadence.
func (t *Town) SlingBead(env Env, in SlingInput) (beadID, agentID string, err error) {
	now := env.Now()
	prio := in.Priority
	if !validPriority(prio) {
		prio = "medium"
	}
	b, err := t.CreateBead(now, CreateBeadInput{Type: TypeIssue, Title: in.Title, Body: in.Body,
		Priority: prio, RigID: in.RigID, Metadata: in.Metadata, Labels: in.Labels})
	if err != nil {
		return "", "", err
	}
	if _, err := t.InsertEvent(now, EventBeadCreated, "", b.ID,
		map[string]any{"bead_type": TypeIssue, "rig_id": in.RigID, "has_blockers": false}); err != nil {
		return b.ID, "", err
	}
	a, err := t.GetOrCreateAgent(now, RolePolecat, in.RigID)
	if err != nil {
		return b.ID, "", err
	}
	if err := t.HookBead(now, a.ID, b.ID); err != nil {
		return b.ID, a.ID, err
	}
	aid, bid := a.ID, b.ID
	env.Go(func() { t.DispatchAgent(env, aid, bid, DispatchOptions{}) })
	t.escalateToActiveCadence(now)
	return b.ID, a.ID, nil
}

// CreateHeldBead creates an issue with the caller's labels (normally
// including gt:held) and queues bead_created; it does not arm the alarm.
func (t *Town) CreateHeldBead(now time.Time, in SlingInput) (string, error) {
	b, err := t.CreateBead(now, CreateBeadInput{Type: TypeIssue, Title: in.Title, Body: in.Body,
		RigID: in.RigID, Labels: in.Labels, Metadata: in.Metadata})
	if err != nil {
		return "", err
	}
	_, err = t.InsertEvent(now, EventBeadCreated, "", b.ID,
		map[string]any{"bead_type": TypeIssue, "rig_id": strOrNull(in.RigID), "has_blockers": false})
	return b.ID, err
}

// StartHeldBead removes gt:held from a bead of rigID (through the field
// update, actor system) and pulls the alarm to the active cadence.
func (t *Town) StartHeldBead(now time.Time, beadID, rigID string) error {
	b, err := t.existingBead(beadID)
	if err != nil {
		return err
	}
	if !b.RigID.Valid || b.RigID.String != rigID {
		return fmt.Errorf("Bead %s does not belong to rig %s", beadID, rigID)
	}
	labels := make([]string, 0, len(b.Labels))
	for _, l := range b.Labels {
		if l != LabelHeld {
			labels = append(labels, l)
		}
	}
	if _, err := t.UpdateBeadFields(now, beadID, BeadFields{Labels: &labels}, "system"); err != nil {
		return err
	}
	t.escalateToActiveCadence(now)
	return nil
}

// ConvoyTask is one task of SlingConvoy; DependsOn are indices of tasks.
type ConvoyTask struct {
	Title, Body string
	DependsOn   []int
}

// SlingConvoyInput creates a convoy of tasks in one rig.
type SlingConvoyInput struct {
	RigID, Title string
	Tasks        []ConvoyTask
	// MergeMode "" = the town default.
	MergeMode string
	// Staged nil = the town's staged_convoys_default.
	Staged   *bool
	Metadata map[string]any
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// convoySlug is the feature-branch slug of a convoy title (model.md §1.4):
// lowercase, runs outside [a-z0-9] become '-', one leading and one
// trailing '-' removed, at most 40 characters, "convoy" if empty.
func convoySlug(title string) string {
	s := nonSlug.ReplaceAllString(strings.ToLower(title), "-")
	s = strings.TrimPrefix(s, "-")
	s = strings.TrimSuffix(s, "-")
	if len(s) > 40 {
		s = s[:40]
	}
	if s == "" {
		return "convoy"
	}
	return s
}

// convoyHasCycle is the Kahn check over the tasks' valid depends_on
// indices (out-of-range and self indices are ignored).
func convoyHasCycle(tasks []ConvoyTask) (int, bool) {
	n := len(tasks)
	adj := make([][]int, n)
	in := make([]int, n)
	for i, tk := range tasks {
		for _, d := range tk.DependsOn {
			if d < 0 || d >= n || d == i {
				continue
			}
			adj[d] = append(adj[d], i)
			in[i]++
		}
	}
	var queue []int
	for i := 0; i < n; i++ {
		if in[i] == 0 {
			queue = append(queue, i)
		}
	}
	visited := 0
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		visited++
		for _, y := range adj[x] {
			in[y]--
			if in[y] == 0 {
				queue = append(queue, y)
			}
		}
	}
	return n - visited, visited < n
}

// SlingConvoy creates a convoy with its tasks (model.md §4.22): the cycle
// check comes before any write; the convoy bead (labels gt:convoy, rig
// NULL, metadata = caller's + feature_branch) and convoy_metadata; per task
// an issue (metadata = caller's + convoy_id + feature_branch) tracking the
// convoy; the blocks edges; a bead_created event per task. No agents are
// assigned. An unstaged convoy pulls the alarm to the active cadence.
func (t *Town) SlingConvoy(now time.Time, in SlingConvoyInput) (string, []string, error) {
	cfg, err := t.townConfig()
	if err != nil {
		return "", nil, err
	}
	staged := cfg.StagedConvoysDefault
	if in.Staged != nil {
		staged = *in.Staged
	}
	convoyID := t.newID()
	ts := ISO(now)
	branch := "convoy/" + convoySlug(in.Title) + "/" + truncate(convoyID, 8) + "/head"
	if k, cyc := convoyHasCycle(in.Tasks); cyc {
		return "", nil, fmt.Errorf("Convoy dependency graph contains a cycle — %d tasks are involved in circular dependencies", k)
	}
	meta := map[string]any{}
	for k, v := range in.Metadata {
		meta[k] = v
	}
	meta["feature_branch"] = branch
	if _, err := t.db.Exec(`INSERT INTO beads (bead_id, type, status, title, body, rig_id, parent_bead_id,
		assignee_agent_bead_id, priority, labels, metadata, created_by, created_at, updated_at, closed_at)
		VALUES (?, 'convoy', 'open', ?, NULL, NULL, NULL, NULL, 'medium', ?, ?, NULL, ?, ?, NULL)`,
		convoyID, in.Title, MustJSON([]string{LabelConvoy}), MustJSON(meta), ts, ts); err != nil {
		return "", nil, err
	}
	mode := in.MergeMode
	if mode == "" {
		mode = cfg.ConvoyMergeMode
	}
	if mode == "" {
		mode = MergeModeReviewThenLand
	}
	stagedInt := 0
	if staged {
		stagedInt = 1
	}
	if _, err := t.db.Exec(`INSERT INTO convoy_metadata (bead_id, total_beads, closed_beads, landed_at,
		feature_branch, merge_mode, staged) VALUES (?, ?, 0, NULL, ?, ?, ?)`,
		convoyID, len(in.Tasks), branch, mode, stagedInt); err != nil {
		return convoyID, nil, err
	}
	ids := make([]string, 0, len(in.Tasks))
	for _, tk := range in.Tasks {
		tm := map[string]any{}
		for k, v := range in.Metadata {
			tm[k] = v
		}
		tm["convoy_id"] = convoyID
		tm["feature_branch"] = branch
		b, err := t.CreateBead(now, CreateBeadInput{Type: TypeIssue, Title: tk.Title, Body: tk.Body,
			Priority: "medium", RigID: in.RigID, Metadata: tm})
		if err != nil {
			return convoyID, ids, err
		}
		ids = append(ids, b.ID)
		if _, err := t.db.Exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type)
			VALUES (?, ?, 'tracks')`, b.ID, convoyID); err != nil {
			return convoyID, ids, err
		}
	}
	for i, tk := range in.Tasks {
		for _, d := range tk.DependsOn {
			if d < 0 || d >= len(ids) || d == i {
				continue
			}
			if _, err := t.db.Exec(`INSERT OR IGNORE INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type)
				VALUES (?, ?, 'blocks')`, ids[i], ids[d]); err != nil {
				return convoyID, ids, err
			}
		}
	}
	for i, id := range ids {
		if _, err := t.InsertEvent(now, EventBeadCreated, "", id, map[string]any{"bead_type": TypeIssue,
			"rig_id": in.RigID, "convoy_id": convoyID, "has_blockers": len(in.Tasks[i].DependsOn) > 0}); err != nil {
			return convoyID, ids, err
		}
	}
	for _, id := range ids {
		if _, err := t.GetBead(id); err != nil {
			return convoyID, ids, err
		}
	}
	if !staged {
		t.escalateToActiveCadence(now)
	}
	t.emit(AnalyticsEvent{Event: "convoy.created", ConvoyID: convoyID})
	return convoyID, ids, nil
}

// ConvoyBeadRef names a bead to track in CreateConvoy.
type ConvoyBeadRef struct{ BeadID, RigID string }

// CreateConvoy creates a convoy tracking existing beads (model.md §4.22):
// no feature branch, not staged, merge mode from the town config. It
// validates its input first (non-empty title, at least one bead, non-empty
// ids); a duplicate tracks edge fails after the earlier writes.
func (t *Town) CreateConvoy(now time.Time, title string, beads []ConvoyBeadRef, createdBy string) (string, error) {
	if title == "" {
		return "", errors.New("createConvoy: title must not be empty")
	}
	if len(beads) == 0 {
		return "", errors.New("createConvoy: beads must contain at least one bead")
	}
	for i, b := range beads {
		if b.BeadID == "" || b.RigID == "" {
			return "", fmt.Errorf("createConvoy: beads[%d] needs a bead_id and a rig_id", i)
		}
	}
	id := t.newID()
	ts := ISO(now)
	if _, err := t.db.Exec(`INSERT INTO beads (bead_id, type, status, title, body, rig_id, parent_bead_id,
		assignee_agent_bead_id, priority, labels, metadata, created_by, created_at, updated_at, closed_at)
		VALUES (?, 'convoy', 'open', ?, NULL, NULL, NULL, NULL, 'medium', ?, '{}', ?, ?, ?, NULL)`,
		id, title, MustJSON([]string{LabelConvoy}), NullIfEmpty(createdBy), ts, ts); err != nil {
		return "", err
	}
	cfg, err := t.townConfig()
	if err != nil {
		return id, err
	}
	mode := cfg.ConvoyMergeMode
	if mode == "" {
		mode = MergeModeReviewThenLand
	}
	if _, err := t.db.Exec(`INSERT INTO convoy_metadata (bead_id, total_beads, closed_beads, landed_at, merge_mode)
		VALUES (?, ?, 0, NULL, ?)`, id, len(beads), mode); err != nil {
		return id, err
	}
	for _, b := range beads {
		if _, err := t.db.Exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type)
			VALUES (?, ?, 'tracks')`, b.BeadID, id); err != nil {
			return id, err
		}
	}
	t.emit(AnalyticsEvent{Event: "convoy.created", ConvoyID: id})
	return id, nil
}

// convoyRow reads a convoy's bead status and staged flag (production's
// getConvoy); ok is false when the bead or its convoy_metadata is missing.
func (t *Town) convoyRow(id string) (status string, staged bool, ok bool, err error) {
	var st int
	err = t.db.QueryRow(`SELECT b.status, c.staged FROM beads b INNER JOIN convoy_metadata c ON b.bead_id = c.bead_id
		WHERE b.bead_id = ?`, []any{id}, &status, &st)
	if err == sql.ErrNoRows {
		return "", false, false, nil
	}
	if err != nil {
		return "", false, false, err
	}
	return status, st == 1, true, nil
}

// StartConvoy activates a staged convoy: staged = 0, a convoy_started
// event, and the active cadence. A convoy that is not staged is an error.
func (t *Town) StartConvoy(now time.Time, convoyID string) error {
	_, staged, ok, err := t.convoyRow(convoyID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("Convoy not found: %s", convoyID)
	}
	if !staged {
		return fmt.Errorf("Convoy is not staged: %s", convoyID)
	}
	tracked, err := t.db.Strings(`SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks'`, convoyID)
	if err != nil {
		return err
	}
	for _, id := range tracked {
		if _, err := t.GetBead(id); err != nil {
			return err
		}
	}
	if _, err := t.db.Exec(`UPDATE convoy_metadata SET staged = 0 WHERE bead_id = ?`, convoyID); err != nil {
		return err
	}
	if _, err := t.InsertEvent(now, EventConvoyStarted, "", "", map[string]any{"convoy_id": convoyID}); err != nil {
		return err
	}
	t.escalateToActiveCadence(now)
	t.emit(AnalyticsEvent{Event: "convoy.started", ConvoyID: convoyID})
	return nil
}

// CloseConvoy force-closes a convoy: every tracked non-terminal bead has
// its assignee unhooked (errors ignored) and is closed (guarded, actor
// system); then, unless the convoy bead is closed by now, it is closed
// directly with closed_beads = total_beads and landed_at = now. A missing
// convoy is a no-op.
func (t *Town) CloseConvoy(now time.Time, convoyID string) error {
	if _, _, ok, err := t.convoyRow(convoyID); err != nil || !ok {
		return err
	}
	rows, err := t.db.Query(`SELECT beads.bead_id, beads.status, beads.assignee_agent_bead_id FROM bead_dependencies
		INNER JOIN beads ON bead_dependencies.bead_id = beads.bead_id
		WHERE bead_dependencies.depends_on_bead_id = ? AND bead_dependencies.dependency_type = 'tracks'`, convoyID)
	if err != nil {
		return err
	}
	type tracked struct {
		id, status string
		assignee   sql.NullString
	}
	var list []tracked
	for rows.Next() {
		var r tracked
		if err := rows.Scan(&r.id, &r.status, &r.assignee); err != nil {
			rows.Close()
			return err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range list {
		if Terminal(r.status) {
			continue
		}
		if r.assignee.String != "" {
			_ = t.UnhookBead(now, r.assignee.String) // production logs and continues
		}
		if _, err := t.UpdateBeadStatus(now, r.id, StatusClosed, "system", nil); err != nil {
			return err
		}
	}
	status, _, ok, err := t.convoyRow(convoyID)
	if err != nil || !ok || status == StatusClosed {
		return err
	}
	ts := ISO(now)
	if _, err := t.db.Exec(`UPDATE beads SET status = 'closed', closed_at = ?, updated_at = ? WHERE bead_id = ?`,
		ts, ts, convoyID); err != nil {
		return err
	}
	_, err = t.db.Exec(`UPDATE convoy_metadata SET closed_beads = total_beads, landed_at = ? WHERE bead_id = ?`, ts, convoyID)
	return err
}

// SetBeadStatus is the updateBeadStatus/closeBead RPC: a terminal status
// first queues bead_cancelled ({cancel_status}), then the guarded status
// change (model.md §4.2) runs, then a terminal status dispatches the beads
// it unblocked. It does not arm the alarm.
func (t *Town) SetBeadStatus(env Env, id, status, actor string) error {
	now := env.Now()
	terminal := Terminal(status)
	if terminal {
		if _, err := t.InsertEvent(now, EventBeadCancelled, "", id, map[string]any{"cancel_status": status}); err != nil {
			return err
		}
	}
	b, err := t.UpdateBeadStatus(now, id, status, actor, nil)
	if err != nil {
		return err
	}
	e := AnalyticsEvent{RigID: b.RigID.String, BeadID: id, BeadType: b.Type}
	switch status {
	case StatusClosed:
		e.Event = "bead.closed"
		if created, ok := ParseTime(b.CreatedAt); ok {
			e.DurationMs = float64(now.UnixMilli() - created.UnixMilli())
		}
	case StatusFailed:
		e.Event = "bead.failed"
	default:
		e.Event, e.Label = "bead.status_changed", status
	}
	t.emit(e)
	if terminal {
		return t.DispatchUnblockedBeads(env, id)
	}
	return nil
}

// UpdateBead is the updateBead RPC: bead_cancelled first for a terminal
// status, the field update (model.md §4.5), setDependencies when dependsOn
// is non-nil (an empty non-nil slice clears the blocks edges), then the
// unblocked dispatch for a terminal status. It does not arm the alarm.
func (t *Town) UpdateBead(env Env, id string, f BeadFields, dependsOn []string, actor string) error {
	now := env.Now()
	terminal := f.Status != nil && Terminal(*f.Status)
	if terminal {
		if _, err := t.InsertEvent(now, EventBeadCancelled, "", id, map[string]any{"cancel_status": *f.Status}); err != nil {
			return err
		}
	}
	if _, err := t.UpdateBeadFields(now, id, f, actor); err != nil {
		return err
	}
	if dependsOn != nil {
		if err := t.SetDependencies(id, dependsOn); err != nil {
			return err
		}
	}
	if terminal {
		return t.DispatchUnblockedBeads(env, id)
	}
	return nil
}

// RequestChanges is a refinery's request for rework on its hooked MR: a
// gt:rework issue (parent = the MR) that blocks the MR, a bead_created
// event, a rework_requested bead event on the MR, and the active cadence.
// It returns the rework bead id.
func (t *Town) RequestChanges(now time.Time, refineryID, feedback string, files []string) (string, error) {
	a, err := t.existingAgent(refineryID)
	if err != nil {
		return "", err
	}
	if a.Role != RoleRefinery {
		return "", errors.New("Only refineries can request changes")
	}
	if !a.Hook.Valid || a.Hook.String == "" {
		return "", fmt.Errorf("Agent %s is not hooked to a bead", refineryID)
	}
	mr, err := t.GetBead(a.Hook.String)
	if err != nil {
		return "", err
	}
	if mr == nil || mr.Type != TypeMergeRequest {
		return "", fmt.Errorf("Agent %s is not hooked to a merge_request bead", refineryID)
	}
	var sourceID any
	var source *Bead
	if s, ok := mr.MetaString("source_bead_id"); ok {
		sourceID = s
		if source, err = t.GetBead(s); err != nil {
			return "", err
		}
	}
	var branch, target any
	var br, tb string
	switch err := t.db.QueryRow(`SELECT branch, target_branch FROM review_metadata WHERE bead_id = ?`,
		[]any{mr.ID}, &br, &tb); err {
	case nil:
		branch, target = br, tb
	case sql.ErrNoRows:
	default:
		return "", err
	}
	title, prio := mr.Title, "medium"
	if source != nil {
		title = source.Title
		if source.Priority.Valid {
			prio = source.Priority.String
		}
	}
	fl := files
	if fl == nil {
		fl = []string{}
	}
	rework, err := t.CreateBead(now, CreateBeadInput{
		Type: TypeIssue, Title: "Rework: " + title, Body: feedback, Priority: prio,
		RigID: mr.RigID.String, ParentID: mr.ID, Labels: []string{LabelRework},
		Metadata: map[string]any{"rework_for": sourceID, "mr_bead_id": mr.ID, "branch": branch,
			"target_branch": target, "files": fl},
	})
	if err != nil {
		return "", err
	}
	if err := t.InsertDependency(mr.ID, rework.ID, DepBlocks); err != nil {
		return rework.ID, err
	}
	if _, err := t.InsertEvent(now, EventBeadCreated, "", rework.ID,
		map[string]any{"bead_type": TypeIssue, "rig_id": nullJSON(mr.RigID)}); err != nil {
		return rework.ID, err
	}
	meta := map[string]any{"feedback": truncateUTF16(feedback, 500)}
	if files != nil {
		meta["files"] = files
	}
	if err := t.LogBeadEvent(now, BeadEvent{BeadID: mr.ID, AgentID: refineryID, Type: "rework_requested",
		NewValue: Null(rework.ID), Metadata: meta}); err != nil {
		return rework.ID, err
	}
	t.escalateToActiveCadence(now)
	return rework.ID, nil
}

// truncateUTF16 is JavaScript's s.slice(0, n) for text whose characters
// are in the Basic Multilingual Plane; it never splits a rune.
func truncateUTF16(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// CompleteReview is the completeReviewWithResult RPC: the review
// completion (model.md §4.17) applied directly, then, when merged, the
// dispatch of beads the source bead was blocking. It does not arm.
func (t *Town) CompleteReview(env Env, r ReviewResult) error {
	now := env.Now()
	mr, err := t.GetBead(r.EntryID)
	if err != nil {
		return err
	}
	var source string
	if mr != nil {
		source, _ = mr.MetaString("source_bead_id")
	}
	if err := t.CompleteReviewWithResult(now, r); err != nil {
		return err
	}
	switch r.Status {
	case "merged":
		t.emit(AnalyticsEvent{Event: "review.completed", BeadID: r.EntryID})
		if source != "" {
			return t.DispatchUnblockedBeads(env, source)
		}
	case "failed", "conflict":
		t.emit(AnalyticsEvent{Event: "review.failed", BeadID: r.EntryID})
	}
	return nil
}

// ResetAgent is the mayor's reset of an agent: a hooked non-terminal bead
// goes back to open with its dispatch counters cleared; an unhooked event
// (reason agent_reset) and the unhook follow; the agent ends idle with
// dispatch_attempts 0.
func (t *Town) ResetAgent(now time.Time, agentID string) error {
	a, err := t.existingAgent(agentID)
	if err != nil {
		return err
	}
	if h := a.Hook.String; a.Hook.Valid && h != "" {
		b, err := t.GetBead(h)
		if err != nil {
			return err
		}
		if b != nil && !Terminal(b.Status) {
			if _, err := t.UpdateBeadStatus(now, h, StatusOpen, agentID, nil); err != nil {
				return err
			}
			if _, err := t.db.Exec(`UPDATE beads SET dispatch_attempts = 0, last_dispatch_attempt_at = NULL WHERE bead_id = ?`, h); err != nil {
				return err
			}
		}
		if err := t.LogBeadEvent(now, BeadEvent{BeadID: h, AgentID: agentID, Type: "unhooked",
			NewValue: Null(StatusOpen), Metadata: map[string]any{"reason": "agent_reset", "actor": "mayor"}}); err != nil {
			return err
		}
		if err := t.UnhookBead(now, agentID); err != nil {
			return err
		}
	}
	if err := t.UpdateAgentStatus(now, agentID, AgentIdle); err != nil {
		return err
	}
	_, err = t.db.Exec(`UPDATE agent_metadata SET dispatch_attempts = 0 WHERE bead_id = ?`, agentID)
	return err
}

// ResetAgentDispatchAttempts zeroes the agent's dispatch counter and its
// hooked bead's counter and timestamp, without unhooking. (Production also
// checks the caller's rig against the agent's; the simulated caller is
// always the agent's own rig.)
func (t *Town) ResetAgentDispatchAttempts(now time.Time, agentID string) error {
	a, err := t.existingAgent(agentID)
	if err != nil {
		return err
	}
	if _, err := t.db.Exec(`UPDATE agent_metadata SET dispatch_attempts = 0 WHERE bead_id = ?`, agentID); err != nil {
		return err
	}
	if a.Hook.Valid && a.Hook.String != "" {
		_, err = t.db.Exec(`UPDATE beads SET dispatch_attempts = 0, last_dispatch_attempt_at = NULL WHERE bead_id = ?`, a.Hook.String)
	}
	return err
}

// RecordContainerEviction is the container's SIGTERM report: a
// container_eviction event, then the drain flag with a new nonce and
// start time (reconciler.md §1.5). It returns the nonce and does not arm.
func (t *Town) RecordContainerEviction(now time.Time) (string, error) {
	if _, err := t.InsertEvent(now, EventContainerEviction, "", "", nil); err != nil {
		return "", err
	}
	nonce := t.newID()
	if err := t.Fault(FPKVWrite, "town:draining"); err != nil {
		return "", err
	}
	t.kv.Draining = true
	t.kv.DrainNonce = nonce
	t.kv.DrainStartedAt = now
	return nonce, nil
}

// AcknowledgeContainerReady clears the drain flag when nonce matches: true
// when not draining (no-op) or cleared, false on a mismatch.
func (t *Town) AcknowledgeContainerReady(now time.Time, nonce string) bool {
	if !t.kv.Draining {
		return true
	}
	if nonce != t.kv.DrainNonce {
		return false
	}
	return t.ClearDrain() == nil
}

// mayorOrRegister returns the first mayor, registering one (name and role
// mayor, identity mayor-<first 8 of town id>, no rig) when there is none.
func (t *Town) mayorOrRegister(now time.Time) (*Agent, error) {
	m, err := t.firstMayor()
	if err != nil || m != nil {
		return m, err
	}
	return t.RegisterAgent(now, RoleMayor, "mayor", "mayor-"+truncate(t.kv.TownID, 8), "")
}

// ContainerAgentStatus maps a CallAgentStatus answer as production's
// checkAgentContainerStatus does (reconciler.md §3.9): a thrown call →
// unknown; HTTP 404 → not_found; any other non-2xx → unknown; a 2xx body
// with a status → that status and its exit reason; any other body
// (Status "") → unknown.
func ContainerAgentStatus(r Result) (status, exitReason string) {
	switch {
	case r.Err != "":
		return "unknown", ""
	case r.StatusCode == 404:
		return "not_found", ""
	case r.StatusCode < 200 || r.StatusCode > 299 || r.Status == "":
		return "unknown", ""
	}
	return r.Status, r.ExitReason
}

// mayorStart starts the mayor in the container (rig "mayor-<town id>", no
// bead, prompt = message) and marks it working when started.
func (t *Town) mayorStart(env Env, mayor *Agent, message string) (bool, error) {
	out := t.startAgentInContainer(env, Call{AgentID: mayor.ID, RigID: "mayor-" + t.kv.TownID, Role: RoleMayor,
		Message: message})
	if !out.started {
		return false, nil
	}
	return true, t.UpdateAgentStatus(env.Now(), mayor.ID, AgentWorking)
}

// EnsureMayor gets or creates the mayor and makes sure its session runs:
// when the container reports it running or starting nothing changes;
// otherwise (town config readable) it is started and marked working. The
// container's SDK port/session details are not modelled: a running or
// starting mayor counts as a live session. It does not arm the alarm.
func (t *Town) EnsureMayor(env Env) (*Agent, error) {
	mayor, err := t.mayorOrRegister(env.Now())
	if err != nil {
		return nil, err
	}
	st, _ := ContainerAgentStatus(env.Call(Call{Kind: CallAgentStatus, AgentID: mayor.ID, Role: RoleMayor}))
	decision := AnalyticsEvent{Event: "mayor.ensure_decision", AgentID: mayor.ID, Role: RoleMayor}
	if st == "running" || st == "starting" {
		decision.Label = "short_circuit_idle"
		if s := mayor.Status; s == AgentWorking || s == AgentStalled || s == AgentWaiting {
			decision.Label = "short_circuit_warm"
		}
		t.emitRaw(decision)
		return t.GetAgent(mayor.ID)
	}
	if _, err := t.townConfig(); err != nil {
		return mayor, err
	}
	decision.Label = "fresh_dispatch"
	t.emitRaw(decision)
	if _, err := t.mayorStart(env, mayor, "Mayor ready. Waiting for instructions."); err != nil {
		return mayor, err
	}
	return t.GetAgent(mayor.ID)
}

// MayorWaiting is the container's "mayor session idle" callback: a
// working mayor becomes waiting (agentID "" = the first mayor). Stale
// callbacks from an earlier turn are not modelled. It does not arm.
func (t *Town) MayorWaiting(now time.Time, agentID string) error {
	id := agentID
	if id == "" {
		m, err := t.firstMayor()
		if err != nil || m == nil {
			return err
		}
		id = m.ID
	}
	a, err := t.GetAgent(id)
	if err != nil || a == nil || a.Role != RoleMayor {
		return err
	}
	if a.Status == AgentWorking {
		return t.UpdateAgentStatus(now, id, AgentWaiting)
	}
	return nil
}

// SendMayorMessage is the user's (and re-escalation's) message to the
// mayor: get or register the mayor; if its container reports it running
// or starting, push the container token (best effort: skipped when the
// town config cannot be read, its failure ignored), push the message and,
// when accepted and the mayor was waiting, make it working and set the
// alarm to now+5 s directly; otherwise start the mayor with the message
// (working when started). Finally armAlarmIfNeeded.
func (t *Town) SendMayorMessage(env Env, message string) error {
	mayor, err := t.mayorOrRegister(env.Now())
	if err != nil {
		return err
	}
	st, _ := ContainerAgentStatus(env.Call(Call{Kind: CallAgentStatus, AgentID: mayor.ID, Role: RoleMayor}))
	if st == "running" || st == "starting" {
		// Best-effort token push before the send: a config that cannot be
		// read skips it, and every failure of the call is ignored.
		if _, err := t.townConfig(); err == nil {
			env.Call(Call{Kind: CallRefreshToken})
		}
		res := env.Call(Call{Kind: CallSendMessage, AgentID: mayor.ID, Role: RoleMayor, Message: message})
		if res.Err == "" && res.OK && mayor.Status == AgentWaiting {
			now := env.Now()
			if err := t.UpdateAgentStatus(now, mayor.ID, AgentWorking); err != nil {
				return err
			}
			t.SetAlarm(now.Add(t.knobs.ActiveInterval))
		}
	} else {
		if _, err := t.townConfig(); err != nil {
			return err
		}
		if _, err := t.mayorStart(env, mayor, message); err != nil {
			return err
		}
	}
	t.armAlarmIfNeeded(env.Now())
	return nil
}

// DebugInsertTownEvent is the test-only event insert: any type, ids ("" =
// NULL) and payload text, stored as given ("" = {}), then the alarm is
// armed. It can store rows the strict drain read rejects.
func (t *Town) DebugInsertTownEvent(now time.Time, typ, agentID, beadID, payloadJSON string) (string, error) {
	if payloadJSON == "" {
		payloadJSON = "{}"
	}
	id, err := t.insertEventRow(now, typ, NullIfEmpty(agentID), NullIfEmpty(beadID), payloadJSON)
	if err != nil {
		return "", err
	}
	t.armAlarmIfNeeded(now)
	return id, nil
}
