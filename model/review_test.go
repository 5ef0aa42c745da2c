package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSubmitToReviewQueue(t *testing.T) {
	cases := []struct {
		name       string
		convoy     bool
		fb, mode   any
		defBranch  string
		wantTarget string
		wantMeta   func(src, conv string) string
	}{
		{"standalone, rig default", false, nil, nil, "develop", "develop",
			func(src, _ string) string {
				return `{"source_bead_id":"` + src + `","source_agent_id":"p","pr_url":"https://x/1"}`
			}},
		{"standalone, no default: main", false, nil, nil, "", "main", nil},
		{"review-then-land convoy targets the feature branch", true, "convoy/f/1/head", MergeModeReviewThenLand, "develop", "convoy/f/1/head",
			func(src, conv string) string {
				return `{"source_bead_id":"` + src + `","source_agent_id":"p","pr_url":"https://x/1","convoy_id":"` + conv + `","convoy_feature_branch":"convoy/f/1/head"}`
			}},
		{"review-and-merge convoy targets the default", true, "convoy/f/1/head", MergeModeReviewAndMerge, "develop", "develop", nil},
		{"convoy without branch", true, nil, nil, "", "main",
			func(src, conv string) string {
				return `{"source_bead_id":"` + src + `","source_agent_id":"p","pr_url":"https://x/1","convoy_id":"` + conv + `"}`
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			town := newTestTown(t)
			src := mkBead(t, town, CreateBeadInput{})
			conv := ""
			if c.convoy {
				conv = mkConvoy(t, town, 1, c.fb, c.mode)
				track(t, town, src, conv)
			}
			mr, err := town.SubmitToReviewQueue(at(time.Minute), SubmitInput{AgentID: "p", SourceBeadID: src, RigID: "r",
				Branch: "feat/<x>", PRURL: "https://x/1", Summary: "sum", DefaultBranch: c.defBranch})
			must(t, err)
			eq(t, "type", beadCol(t, town, mr, "type"), TypeMergeRequest)
			eq(t, "title", beadCol(t, town, mr, "title"), "Review: feat/<x>")
			eq(t, "body", beadCol(t, town, mr, "body"), "sum")
			eq(t, "labels", beadCol(t, town, mr, "labels"), `["gt:merge-request"]`)
			eq(t, "created_by", beadCol(t, town, mr, "created_by"), "p")
			eq(t, "assignee", beadCol(t, town, mr, "assignee_agent_bead_id"), "<NULL>")
			eq(t, "target", str(t, town, `SELECT target_branch FROM review_metadata WHERE bead_id = ?`, mr), c.wantTarget)
			eq(t, "rm pr_url", str(t, town, `SELECT pr_url FROM review_metadata WHERE bead_id = ?`, mr), "https://x/1")
			eq(t, "edge", str(t, town, `SELECT dependency_type FROM bead_dependencies WHERE bead_id = ? AND depends_on_bead_id = ?`, mr, src), DepTracks)
			if c.wantMeta != nil {
				eq(t, "metadata", beadCol(t, town, mr, "metadata"), c.wantMeta(src, conv))
			}
			eqSlice(t, "mr has no created event", events(t, town, mr), nil)
			eq(t, "review_submitted", lastEvent(t, town, src, "review_submitted", "metadata"),
				`{"branch":"feat/<x>","target_branch":"`+c.wantTarget+`"}`)
			eq(t, "review_submitted value", lastEvent(t, town, src, "review_submitted", "new_value"), "feat/<x>")
		})
	}
	t.Run("absent pr_url and summary; '' rig kept", func(t *testing.T) {
		town := newTestTown(t)
		src := mkBead(t, town, CreateBeadInput{})
		mr, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: "p", SourceBeadID: src, Branch: ""})
		must(t, err)
		eq(t, "rig ''", beadCol(t, town, mr, "rig_id"), "")
		eq(t, "title", beadCol(t, town, mr, "title"), "Review: ")
		eq(t, "body", beadCol(t, town, mr, "body"), "<NULL>")
		eq(t, "rm pr_url", str(t, town, `SELECT pr_url FROM review_metadata WHERE bead_id = ?`, mr), "<NULL>")
		eq(t, "metadata", beadCol(t, town, mr, "metadata"), `{"source_bead_id":"`+src+`","source_agent_id":"p"}`)
	})
}

func TestSetReviewPRURL(t *testing.T) {
	town := newTestTown(t)
	src := mkBead(t, town, CreateBeadInput{})
	mr, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: "p", SourceBeadID: src, RigID: "r", Branch: "b"})
	must(t, err)
	before := dump(t, town)
	ok, err := town.SetReviewPRURL(at(time.Minute), mr, "http://insecure")
	must(t, err)
	eq(t, "rejected", ok, false)
	eq(t, "unchanged", dump(t, town), before)
	ok, err = town.SetReviewPRURL(at(time.Minute), mr, "https://gh/pr/1")
	must(t, err)
	eq(t, "accepted", ok, true)
	eq(t, "rm", str(t, town, `SELECT pr_url FROM review_metadata WHERE bead_id = ?`, mr), "https://gh/pr/1")
	eq(t, "meta", beadCol(t, town, mr, "metadata"), `{"source_bead_id":"`+src+`","source_agent_id":"p","pr_url":"https://gh/pr/1"}`)
	eq(t, "updated_at not bumped", beadCol(t, town, mr, "updated_at"), iso(0))
}

// markReviewInReview writes in_progress directly and revives a terminal MR
// (model.md §7.1).
func TestInconsistency01_MarkReviewInReviewRevivesTerminal(t *testing.T) {
	for _, from := range []string{StatusClosed, StatusFailed} {
		town := newTestTown(t)
		mr := mkBead(t, town, CreateBeadInput{Type: TypeMergeRequest})
		setStatus(t, town, mr, from)
		must(t, town.MarkReviewInReview(at(time.Minute), mr))
		eq(t, "status", beadCol(t, town, mr, "status"), StatusInProgress)
		eq(t, "updated_at", beadCol(t, town, mr, "updated_at"), iso(time.Minute))
		eqSlice(t, "no event", events(t, town, mr), []string{"created"})
	}
}

// reviewSetup makes a source bead assigned to a polecat and an MR for it.
func reviewSetup(t *testing.T, town *Town) (src, mr, polecat string) {
	t.Helper()
	polecat = mkAgent(t, town, RolePolecat, "Toast", "r")
	src = mkBead(t, town, CreateBeadInput{Assignee: polecat})
	setStatus(t, town, src, StatusInReview)
	mr, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: polecat, SourceBeadID: src, RigID: "r", Branch: "feat"})
	must(t, err)
	setStatus(t, town, mr, StatusInProgress)
	return src, mr, polecat
}

func TestCompleteReviewWithResult(t *testing.T) {
	t.Run("merged closes source and every other non-closed MR, failed ones too", func(t *testing.T) {
		town := newTestTown(t)
		src, mr, p := reviewSetup(t, town)
		var sibs []string
		for _, s := range []string{StatusOpen, StatusFailed, StatusClosed} {
			id, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: p, SourceBeadID: src, RigID: "r", Branch: "old"})
			must(t, err)
			setStatus(t, town, id, s)
			sibs = append(sibs, id)
		}
		_, err := town.DB().Exec(`UPDATE beads SET closed_at = 'old' WHERE bead_id = ?`, sibs[2])
		must(t, err)
		unrelated := mkBead(t, town, CreateBeadInput{Type: TypeMergeRequest})
		must(t, town.CompleteReviewWithResult(at(time.Minute), ReviewResult{EntryID: mr, Status: "merged", Message: "ok", CommitSHA: "abc"}))
		eq(t, "mr", beadCol(t, town, mr, "status"), StatusClosed)
		eq(t, "mr closed_at", beadCol(t, town, mr, "closed_at"), iso(time.Minute))
		eq(t, "mr actor", lastEvent(t, town, mr, "status_changed", "agent_id"), "system")
		eq(t, "source", beadCol(t, town, src, "status"), StatusClosed)
		eq(t, "source actor", lastEvent(t, town, src, "status_changed", "agent_id"), p)
		eq(t, "source assignee kept", beadCol(t, town, src, "assignee_agent_bead_id"), p)
		eq(t, "review_completed", lastEvent(t, town, src, "review_completed", "new_value"), "merged")
		eq(t, "review_completed meta", lastEvent(t, town, src, "review_completed", "metadata"), `{"message":"ok","commit_sha":"abc"}`)
		for i, s := range sibs[:2] {
			eq(t, "sibling closed", beadCol(t, town, s, "status"), StatusClosed)
			eq(t, "sibling closed_at", beadCol(t, town, s, "closed_at"), iso(time.Minute))
			eqSlice(t, "sibling no event", events(t, town, s), nil)
			_ = i
		}
		eq(t, "closed sibling untouched", beadCol(t, town, sibs[2], "closed_at"), "old")
		eq(t, "unrelated untouched", beadCol(t, town, unrelated, "status"), StatusOpen)
	})
	t.Run("merged recounts the source's convoy", func(t *testing.T) {
		town := newTestTown(t)
		src, mr, _ := reviewSetup(t, town)
		conv := mkConvoy(t, town, 1, nil, nil)
		track(t, town, src, conv)
		must(t, town.CompleteReviewWithResult(at(time.Minute), ReviewResult{EntryID: mr, Status: "merged"}))
		eq(t, "convoy closed", beadCol(t, town, conv, "status"), StatusClosed)
		eq(t, "closed_beads", convoyCol(t, town, conv, "closed_beads"), "1")
		eq(t, "review meta empty", lastEvent(t, town, src, "review_completed", "metadata"), "{}")
	})
	for _, status := range []string{"failed", "conflict"} {
		t.Run(status+" reopens a non-terminal source and clears the assignee", func(t *testing.T) {
			town := newTestTown(t)
			src, mr, p := reviewSetup(t, town)
			_, err := town.DB().Exec(`UPDATE beads SET updated_at = 'x' WHERE bead_id = ?`, src)
			must(t, err)
			must(t, town.CompleteReviewWithResult(at(time.Minute), ReviewResult{EntryID: mr, Status: status}))
			eq(t, "mr", beadCol(t, town, mr, "status"), StatusFailed)
			eq(t, "source", beadCol(t, town, src, "status"), StatusOpen)
			eq(t, "source actor", lastEvent(t, town, src, "status_changed", "agent_id"), p)
			eq(t, "assignee", beadCol(t, town, src, "assignee_agent_bead_id"), "<NULL>")
			eq(t, "review_completed", lastEvent(t, town, src, "review_completed", "new_value"), status)
			esc := num(t, town, `SELECT COUNT(*) FROM beads WHERE type = 'escalation'`)
			if status == "conflict" {
				eq(t, "escalation", esc, 1)
				eq(t, "title (branch when no message)", str(t, town, `SELECT title FROM beads WHERE type = 'escalation'`), "Merge conflict: feat")
				eq(t, "priority", str(t, town, `SELECT priority FROM beads WHERE type = 'escalation'`), "high")
				eq(t, "rig", str(t, town, `SELECT rig_id FROM beads WHERE type = 'escalation'`), "<NULL>")
				eq(t, "meta", str(t, town, `SELECT metadata FROM beads WHERE type = 'escalation'`),
					`{"source_bead_id":"`+src+`","source_agent_id":"`+p+`","branch":"feat","conflict":true}`)
				eq(t, "no escalation_metadata", num(t, town, `SELECT COUNT(*) FROM escalation_metadata`), 0)
			} else {
				eq(t, "no escalation", esc, 0)
			}
		})
	}
	t.Run("failed leaves a terminal source alone", func(t *testing.T) {
		town := newTestTown(t)
		src, mr, p := reviewSetup(t, town)
		setStatus(t, town, src, StatusClosed)
		must(t, town.CompleteReviewWithResult(at(time.Minute), ReviewResult{EntryID: mr, Status: "failed"}))
		eq(t, "source", beadCol(t, town, src, "status"), StatusClosed)
		eq(t, "assignee kept", beadCol(t, town, src, "assignee_agent_bead_id"), p)
	})
	t.Run("conflict with message", func(t *testing.T) {
		town := newTestTown(t)
		_, mr, _ := reviewSetup(t, town)
		must(t, town.CompleteReviewWithResult(at(time.Minute), ReviewResult{EntryID: mr, Status: "conflict", Message: "rebase needed"}))
		eq(t, "title", str(t, town, `SELECT title FROM beads WHERE type = 'escalation'`), "Merge conflict: rebase needed")
		eq(t, "body", str(t, town, `SELECT body FROM beads WHERE type = 'escalation'`), "rebase needed")
	})
	t.Run("no review_metadata: only the MR status", func(t *testing.T) {
		town := newTestTown(t)
		mr := mkBead(t, town, CreateBeadInput{Type: TypeMergeRequest})
		must(t, town.CompleteReviewWithResult(at(time.Minute), ReviewResult{EntryID: mr, Status: "merged"}))
		eq(t, "closed", beadCol(t, town, mr, "status"), StatusClosed)
		eq(t, "no review_completed", num(t, town, `SELECT COUNT(*) FROM bead_events WHERE event_type = 'review_completed'`), 0)
	})
	t.Run("missing MR", func(t *testing.T) {
		town := newTestTown(t)
		err := town.CompleteReviewWithResult(t0, ReviewResult{EntryID: "ghost", Status: "merged"})
		if err == nil || err.Error() != "Bead ghost not found" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("landing MR sets landed_at on its convoy", func(t *testing.T) {
		town := newTestTown(t)
		conv := mkConvoy(t, town, 5, "convoy/x/1/head", nil)
		l, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: "system", SourceBeadID: conv, RigID: "r", Branch: "convoy/x/1/head"})
		must(t, err)
		must(t, town.CompleteReviewWithResult(at(time.Minute), ReviewResult{EntryID: l, Status: "merged"}))
		eq(t, "convoy closed via closeBead", beadCol(t, town, conv, "status"), StatusClosed)
		eq(t, "landed_at", convoyCol(t, town, conv, "landed_at"), iso(time.Minute))
		eq(t, "source agent from metadata", lastEvent(t, town, conv, "review_completed", "agent_id"), "system")
	})
}

// The merged path closes the MR, then throws Bead … not found when the
// source was deleted: writes before the throw stay, the sibling close and
// recount are skipped (model.md §7.16).
func TestInconsistency16_MergedReviewOfDeletedSource(t *testing.T) {
	town := newTestTown(t)
	src, mr, p := reviewSetup(t, town)
	sib, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: p, SourceBeadID: src, RigID: "r", Branch: "old"})
	must(t, err)
	// Delete the source's row only (its edges too), as an indirect reference would leave it.
	_, err = town.DB().Exec(`DELETE FROM bead_dependencies WHERE depends_on_bead_id = ?`, src)
	must(t, err)
	_, err = town.DB().Exec(`DELETE FROM beads WHERE bead_id = ?`, src)
	must(t, err)
	err = town.CompleteReviewWithResult(at(time.Minute), ReviewResult{EntryID: mr, Status: "merged"})
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Kind != "Bead" || nf.ID != src || !isMissingEntity(err) {
		t.Fatalf("err = %v, want Bead <src> not found", err)
	}
	eq(t, "mr closed before the throw", beadCol(t, town, mr, "status"), StatusClosed)
	eq(t, "review_completed written", num(t, town, `SELECT COUNT(*) FROM bead_events WHERE bead_id = ? AND event_type = 'review_completed'`, src), 1)
	eq(t, "sibling untouched", beadCol(t, town, sib, "status"), StatusOpen)
}

func TestApplyAgentDone(t *testing.T) {
	type fixture struct {
		town              *Town
		polecat, refinery string
		hook              string
	}
	newFix := func(t *testing.T, role string, labels []string, createdBy string) fixture {
		town := newTestTown(t)
		must(t, town.AddRig(t0, "r", "rig", "", "develop"))
		f := fixture{town: town}
		f.polecat = mkAgent(t, town, RolePolecat, "Toast", "r")
		f.refinery = mkAgent(t, town, RoleRefinery, "refinery", "r")
		typ := TypeIssue
		if role == RoleRefinery {
			src := mkBead(t, town, CreateBeadInput{})
			mr, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: f.polecat, SourceBeadID: src, RigID: "r", Branch: "feat"})
			must(t, err)
			f.hook = mr
			must(t, town.HookBead(t0, f.refinery, mr))
			setStatus(t, town, mr, StatusInProgress)
			setAgent(t, town, f.refinery, "status = 'working'")
			return f
		}
		f.hook = mkBead(t, town, CreateBeadInput{Type: typ, Labels: labels, CreatedBy: createdBy})
		must(t, town.HookBead(t0, f.polecat, f.hook))
		setStatus(t, town, f.hook, StatusInProgress)
		setAgent(t, town, f.polecat, "status = 'working'")
		return f
	}

	labelCases := []struct {
		name      string
		labels    []string
		createdBy string
	}{
		{"B1 patrol triage batch", []string{LabelTriage}, "patrol"},
		{"B2 rework", []string{LabelRework}, ""},
		{"B3 pr-fixup", []string{LabelPRFixup}, ""},
		{"B3 pr-conflict", []string{LabelPRConflict}, ""},
		{"B4 pr-feedback", []string{"x", LabelPRFeedback}, ""},
	}
	for _, c := range labelCases {
		t.Run(c.name+" closes and unhooks without review", func(t *testing.T) {
			f := newFix(t, RolePolecat, c.labels, c.createdBy)
			must(t, f.town.ApplyAgentDone(at(time.Minute), f.polecat, AgentDoneInput{Branch: "b", PRURL: "https://x"}))
			eq(t, "hook closed", beadCol(t, f.town, f.hook, "status"), StatusClosed)
			eq(t, "closed by agent", lastEvent(t, f.town, f.hook, "status_changed", "agent_id"), f.polecat)
			eq(t, "unhooked", agentCol(t, f.town, f.polecat, "current_hook_bead_id"), "<NULL>")
			eq(t, "idle", agentCol(t, f.town, f.polecat, "status"), AgentIdle)
			eq(t, "no MR", num(t, f.town, `SELECT COUNT(*) FROM beads WHERE type = 'merge_request'`), 0)
		})
	}
	t.Run("B6 polecat submits for review", func(t *testing.T) {
		f := newFix(t, RolePolecat, nil, "")
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.polecat, AgentDoneInput{Branch: "feat", PRURL: "https://x", Summary: "s"}))
		mr := str(t, f.town, `SELECT bead_id FROM beads WHERE type = 'merge_request'`)
		eq(t, "target = rig default", str(t, f.town, `SELECT target_branch FROM review_metadata WHERE bead_id = ?`, mr), "develop")
		eq(t, "mr rig", beadCol(t, f.town, mr, "rig_id"), "r")
		eq(t, "source in_review", beadCol(t, f.town, f.hook, "status"), StatusInReview)
		eq(t, "assignee kept", beadCol(t, f.town, f.hook, "assignee_agent_bead_id"), f.polecat)
		eq(t, "unhooked", agentCol(t, f.town, f.polecat, "current_hook_bead_id"), "<NULL>")
		eqSlice(t, "source events", events(t, f.town, f.hook), []string{"created", "hooked", "review_submitted", "unhooked", "status_changed"})
	})
	t.Run("B6 user gt:triage bead goes through review", func(t *testing.T) {
		f := newFix(t, RolePolecat, []string{LabelTriage}, "user")
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.polecat, AgentDoneInput{Branch: "b"}))
		eq(t, "MR", num(t, f.town, `SELECT COUNT(*) FROM beads WHERE type = 'merge_request'`), 1)
		eq(t, "in_review", beadCol(t, f.town, f.hook, "status"), StatusInReview)
	})
	t.Run("B6 terminal hook still gets an MR", func(t *testing.T) {
		f := newFix(t, RolePolecat, nil, "")
		setStatus(t, f.town, f.hook, StatusFailed)
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.polecat, AgentDoneInput{Branch: "b"}))
		eq(t, "MR", num(t, f.town, `SELECT COUNT(*) FROM beads WHERE type = 'merge_request'`), 1)
		eq(t, "stays failed", beadCol(t, f.town, f.hook, "status"), StatusFailed)
	})
	t.Run("B6 agent without rig: MR rig '' and main", func(t *testing.T) {
		town := newTestTown(t)
		a, err := town.RegisterAgent(t0, RolePolecat, "Toast", "id", "")
		must(t, err)
		h := mkBead(t, town, CreateBeadInput{})
		must(t, town.HookBead(t0, a.ID, h))
		must(t, town.ApplyAgentDone(at(time.Minute), a.ID, AgentDoneInput{}))
		mr := str(t, town, `SELECT bead_id FROM beads WHERE type = 'merge_request'`)
		eq(t, "rig ''", beadCol(t, town, mr, "rig_id"), "")
		eq(t, "title", beadCol(t, town, mr, "title"), "Review: ")
		eq(t, "target", str(t, town, `SELECT target_branch FROM review_metadata WHERE bead_id = ?`, mr), "main")
	})
	t.Run("B5 refinery with valid pr_url", func(t *testing.T) {
		f := newFix(t, RoleRefinery, nil, "")
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.refinery, AgentDoneInput{PRURL: "https://gh/1"}))
		eq(t, "mr in_progress", beadCol(t, f.town, f.hook, "status"), StatusInProgress)
		eq(t, "pr_url", str(t, f.town, `SELECT pr_url FROM review_metadata WHERE bead_id = ?`, f.hook), "https://gh/1")
		eq(t, "pr_created meta", lastEvent(t, f.town, f.hook, "pr_created", "metadata"), `{"pr_url":"https://gh/1","created_by":"refinery"}`)
		eq(t, "unhooked", agentCol(t, f.town, f.refinery, "current_hook_bead_id"), "<NULL>")
		eq(t, "idle", agentCol(t, f.town, f.refinery, "status"), AgentIdle)
	})
	t.Run("B5 refinery with invalid pr_url", func(t *testing.T) {
		f := newFix(t, RoleRefinery, nil, "")
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.refinery, AgentDoneInput{PRURL: "gh/1"}))
		eq(t, "mr failed", beadCol(t, f.town, f.hook, "status"), StatusFailed)
		eq(t, "pr_creation_failed", lastEvent(t, f.town, f.hook, "pr_creation_failed", "metadata"), `{"pr_url":"gh/1","reason":"invalid_url"}`)
		eq(t, "idle", agentCol(t, f.town, f.refinery, "status"), AgentIdle)
	})
	t.Run("B5 refinery without pr_url merges", func(t *testing.T) {
		f := newFix(t, RoleRefinery, nil, "")
		setAgent(t, f.town, f.refinery, "status = 'stalled', stalled_at = 'x'")
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.refinery, AgentDoneInput{}))
		eq(t, "mr closed", beadCol(t, f.town, f.hook, "status"), StatusClosed)
		src := str(t, f.town, `SELECT depends_on_bead_id FROM bead_dependencies WHERE bead_id = ?`, f.hook)
		eq(t, "source closed", beadCol(t, f.town, src, "status"), StatusClosed)
		eq(t, "message", lastEvent(t, f.town, src, "review_completed", "metadata"), `{"message":"Merged by refinery agent"}`)
		eq(t, "stalled_at cleared by updateAgentStatus", agentCol(t, f.town, f.refinery, "stalled_at"), "<NULL>")
	})
	t.Run("A refinery unhooked with pr_url recovers its latest MR", func(t *testing.T) {
		f := newFix(t, RoleRefinery, nil, "")
		must(t, f.town.UnhookBead(t0, f.refinery))
		setAgent(t, f.town, f.refinery, "status = 'working'")
		older, err := f.town.SubmitToReviewQueue(t0, SubmitInput{AgentID: f.polecat, SourceBeadID: mkBead(t, f.town, CreateBeadInput{}), RigID: "r", Branch: "o"})
		must(t, err)
		_, err = f.town.DB().Exec(`UPDATE beads SET assignee_agent_bead_id = ?, updated_at = '2025' WHERE bead_id = ?`, f.refinery, older)
		must(t, err)
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.refinery, AgentDoneInput{PRURL: "https://gh/2"}))
		eq(t, "newest MR gets url", str(t, f.town, `SELECT pr_url FROM review_metadata WHERE bead_id = ?`, f.hook), "https://gh/2")
		eq(t, "older untouched", str(t, f.town, `SELECT pr_url FROM review_metadata WHERE bead_id = ?`, older), "<NULL>")
		eq(t, "in_progress", beadCol(t, f.town, f.hook, "status"), StatusInProgress)
		eq(t, "no pr_created event", num(t, f.town, `SELECT COUNT(*) FROM bead_events WHERE event_type = 'pr_created'`), 0)
		eq(t, "refinery status untouched", agentCol(t, f.town, f.refinery, "status"), AgentWorking)
	})
	t.Run("A refinery unhooked with invalid pr_url fails the MR", func(t *testing.T) {
		f := newFix(t, RoleRefinery, nil, "")
		must(t, f.town.UnhookBead(t0, f.refinery))
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.refinery, AgentDoneInput{PRURL: "ftp://x"}))
		eq(t, "failed", beadCol(t, f.town, f.hook, "status"), StatusFailed)
		eq(t, "no escalation", num(t, f.town, `SELECT COUNT(*) FROM beads WHERE type = 'escalation'`), 0)
	})
	t.Run("A refinery unhooked without pr_url fails the MR and escalates", func(t *testing.T) {
		f := newFix(t, RoleRefinery, nil, "")
		must(t, f.town.UnhookBead(t0, f.refinery))
		setAgent(t, f.town, f.refinery, "status = 'working'")
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.refinery, AgentDoneInput{Summary: "lgtm"}))
		eq(t, "failed", beadCol(t, f.town, f.hook, "status"), StatusFailed)
		src := str(t, f.town, `SELECT depends_on_bead_id FROM bead_dependencies WHERE bead_id = ?`, f.hook)
		eq(t, "source reopened", beadCol(t, f.town, src, "status"), StatusOpen)
		eq(t, "message = summary", lastEvent(t, f.town, src, "review_completed", "metadata"), `{"message":"lgtm"}`)
		eq(t, "escalation title", str(t, f.town, `SELECT title FROM beads WHERE type = 'escalation'`), "Refinery gt_done without pr_url after hook loss")
		eq(t, "escalation meta", str(t, f.town, `SELECT metadata FROM beads WHERE type = 'escalation'`),
			`{"source_bead_id":"`+f.hook+`","source_agent_id":"`+f.refinery+`","kind":"refinery_unhooked_done"}`)
		eq(t, "escalation rig", str(t, f.town, `SELECT rig_id FROM beads WHERE type = 'escalation'`), "<NULL>")
		body := str(t, f.town, `SELECT body FROM beads WHERE type = 'escalation'`)
		if !strings.Contains(body, f.refinery) || !strings.Contains(body, f.hook) || !strings.Contains(body, "lgtm") {
			t.Errorf("body %q must name the agent, the MR and the summary", body)
		}
		eq(t, "refinery status untouched", agentCol(t, f.town, f.refinery, "status"), AgentWorking)
	})
	t.Run("A refinery without MR, A polecat: nothing", func(t *testing.T) {
		f := newFix(t, RoleRefinery, nil, "")
		must(t, f.town.UnhookBead(t0, f.refinery))
		setStatus(t, f.town, f.hook, StatusClosed)
		setAgent(t, f.town, f.polecat, "status = 'working'")
		before := dump(t, f.town)
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.refinery, AgentDoneInput{}))
		must(t, f.town.ApplyAgentDone(at(time.Minute), f.polecat, AgentDoneInput{PRURL: "https://x"}))
		eq(t, "unchanged", dump(t, f.town), before)
	})
	t.Run("missing agent", func(t *testing.T) {
		town := newTestTown(t)
		err := town.ApplyAgentDone(t0, "ghost", AgentDoneInput{})
		if err == nil || err.Error() != "Agent ghost not found" {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestApplyAgentCompleted(t *testing.T) {
	cases := []struct {
		name         string
		role         string
		agentStatus  string
		beadStatus   string
		in           AgentCompletedInput
		wantBead     string
		wantAssignee bool // assignee kept
		wantHook     bool // hook kept
		wantAgent    string
		wantAttempts string
	}{
		{"failed fails the bead", RolePolecat, AgentWorking, StatusInProgress, AgentCompletedInput{Status: "failed"}, StatusFailed, true, false, AgentIdle, "0"},
		{"completed, in_progress: bead kept", RolePolecat, AgentWorking, StatusInProgress, AgentCompletedInput{Status: "completed"}, StatusInProgress, true, false, AgentIdle, "0"},
		{"eviction reopens and clears assignee", RolePolecat, AgentWorking, StatusInProgress, AgentCompletedInput{Status: "completed", Reason: "container eviction"}, StatusOpen, false, false, AgentIdle, "0"},
		{"eviction on in_review: bead kept", RolePolecat, AgentWorking, StatusInReview, AgentCompletedInput{Status: "completed", Reason: "container eviction"}, StatusInReview, true, false, AgentIdle, "0"},
		{"failed on a closed bead: guarded", RolePolecat, AgentWorking, StatusClosed, AgentCompletedInput{Status: "failed"}, StatusClosed, true, false, AgentIdle, "0"},
		{"refinery working and hooked: nothing (§7.8)", RoleRefinery, AgentWorking, StatusInProgress, AgentCompletedInput{Status: "failed"}, StatusInProgress, true, true, AgentWorking, "3"},
		{"refinery stalled and hooked: idle, counter kept", RoleRefinery, AgentStalled, StatusInProgress, AgentCompletedInput{Status: "completed"}, StatusInProgress, true, true, AgentIdle, "3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			town := newTestTown(t)
			a := mkAgent(t, town, c.role, "agent", "r")
			typ := TypeIssue
			if c.role == RoleRefinery {
				typ = TypeMergeRequest
			}
			h := mkBead(t, town, CreateBeadInput{Type: typ})
			must(t, town.HookBead(t0, a, h))
			setStatus(t, town, h, c.beadStatus)
			setAgent(t, town, a, "status = ?, dispatch_attempts = 3, stalled_at = 'old'", c.agentStatus)
			must(t, town.ApplyAgentCompleted(at(time.Minute), a, c.in))
			eq(t, "bead", beadCol(t, town, h, "status"), c.wantBead)
			wantAssignee, wantHook := "<NULL>", "<NULL>"
			if c.wantAssignee {
				wantAssignee = a
			}
			if c.wantHook {
				wantHook = h
			}
			eq(t, "assignee", beadCol(t, town, h, "assignee_agent_bead_id"), wantAssignee)
			eq(t, "hook", agentCol(t, town, a, "current_hook_bead_id"), wantHook)
			eq(t, "agent", agentCol(t, town, a, "status"), c.wantAgent)
			eq(t, "attempts", agentCol(t, town, a, "dispatch_attempts"), c.wantAttempts)
			eq(t, "stalled_at kept (direct write)", agentCol(t, town, a, "stalled_at"), "old")
			if c.wantBead == StatusFailed {
				eq(t, "failure reason", lastEvent(t, town, h, "status_changed", "metadata"),
					`{"failure_reason":{"code":"agent_failed","message":"Agent exited with failed status","source":"container"}}`)
			}
		})
	}
	t.Run("unhooked agent becomes idle", func(t *testing.T) {
		town := newTestTown(t)
		a := mkAgent(t, town, RolePolecat, "Toast", "r")
		setAgent(t, town, a, "status = 'working', dispatch_attempts = 2")
		must(t, town.ApplyAgentCompleted(t0, a, AgentCompletedInput{Status: "completed"}))
		eq(t, "idle", agentCol(t, town, a, "status"), AgentIdle)
		eq(t, "attempts", agentCol(t, town, a, "dispatch_attempts"), "0")
	})
	t.Run("missing agent: no error, nothing written", func(t *testing.T) {
		town := newTestTown(t)
		before := dump(t, town)
		must(t, town.ApplyAgentCompleted(t0, "ghost", AgentCompletedInput{Status: "failed"}))
		eq(t, "unchanged", dump(t, town), before)
	})
}

// agentCompleted on a working, hooked refinery changes nothing (model.md §7.8).
func TestInconsistency08_AgentCompletedLeavesWorkingHookedRefinery(t *testing.T) {
	town := newTestTown(t)
	f := mkAgent(t, town, RoleRefinery, "refinery", "r")
	mr := mkBead(t, town, CreateBeadInput{Type: TypeMergeRequest})
	must(t, town.HookBead(t0, f, mr))
	setAgent(t, town, f, "status = 'working'")
	before := dump(t, town)
	must(t, town.ApplyAgentCompleted(at(time.Minute), f, AgentCompletedInput{Status: "completed"}))
	eq(t, "unchanged", dump(t, town), before)
}

// agent_completed without a valid status is applied as failed and fails
// the hooked non-refinery bead (model.md §7.9).
func TestInconsistency09_AgentCompletedWithoutStatusFailsBead(t *testing.T) {
	for _, payload := range []map[string]any{{}, {"status": "done"}, {"status": 1.0}} {
		town := newTestTown(t)
		a := mkAgent(t, town, RolePolecat, "Toast", "r")
		h := mkBead(t, town, CreateBeadInput{})
		must(t, town.HookBead(t0, a, h))
		setStatus(t, town, h, StatusInProgress)
		must(t, town.ApplyEvent(at(time.Minute), TownEvent{Type: EventAgentCompleted, AgentID: Null(a), Payload: payload}, nil))
		eq(t, "bead failed", beadCol(t, town, h, "status"), StatusFailed)
		eq(t, "unhooked", agentCol(t, town, a, "current_hook_bead_id"), "<NULL>")
	}
}

// unhookBead does not clear the bead's assignee; after agentDone the
// source bead keeps the polecat (model.md §3.5).
func TestInconsistency10_AssigneeSurvivesUnhook(t *testing.T) {
	town := newTestTown(t)
	a := mkAgent(t, town, RolePolecat, "Toast", "r")
	h := mkBead(t, town, CreateBeadInput{})
	must(t, town.HookBead(t0, a, h))
	must(t, town.ApplyAgentDone(at(time.Minute), a, AgentDoneInput{Branch: "b"}))
	eq(t, "assignee", beadCol(t, town, h, "assignee_agent_bead_id"), a)
	eq(t, "hook", agentCol(t, town, a, "current_hook_bead_id"), "<NULL>")
}
