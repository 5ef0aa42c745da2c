package model

import (
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

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
