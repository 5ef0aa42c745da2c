package model

import (
	"testing"
	"time"
)

// convoyWith makes a convoy tracking n open issue beads.
func convoyWith(t *testing.T, town *Town, n int, fb, mode any) (string, []string) {
	t.Helper()
	c := mkConvoy(t, town, n, fb, mode)
	var ids []string
	for i := 0; i < n; i++ {
		id := mkBead(t, town, CreateBeadInput{})
		track(t, town, id, c)
		ids = append(ids, id)
	}
	return c, ids
}

func TestUpdateConvoyProgress(t *testing.T) {
	cases := []struct {
		name          string
		fb, mode      any
		wantClosed    bool
		wantReadyFlag bool
	}{
		{"review-then-land with branch: ready_to_land", "convoy/f/1/head", MergeModeReviewThenLand, false, true},
		{"NULL mode with branch counts as review-then-land", "convoy/f/1/head", nil, false, true},
		{"review-and-merge closes directly", "convoy/f/1/head", MergeModeReviewAndMerge, true, false},
		{"no feature branch closes directly", nil, MergeModeReviewThenLand, true, false},
		{"empty feature branch closes directly", "", MergeModeReviewThenLand, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			town := newTestTown(t)
			conv, ids := convoyWith(t, town, 2, c.fb, c.mode)
			_, err := town.CloseBead(at(time.Minute), ids[0], "")
			must(t, err)
			eq(t, "closed_beads after 1", convoyCol(t, town, conv, "closed_beads"), "1")
			eq(t, "still open", beadCol(t, town, conv, "status"), StatusOpen)
			eq(t, "no flag yet", beadCol(t, town, conv, "metadata"), "{}")

			_, err = town.UpdateBeadStatus(at(2*time.Minute), ids[1], StatusFailed, "", nil)
			must(t, err)
			eq(t, "closed_beads", convoyCol(t, town, conv, "closed_beads"), "2")
			if c.wantReadyFlag {
				eq(t, "metadata", beadCol(t, town, conv, "metadata"), `{"ready_to_land":1}`)
				eq(t, "updated_at", beadCol(t, town, conv, "updated_at"), iso(2*time.Minute))
				eq(t, "status", beadCol(t, town, conv, "status"), StatusOpen)
				eq(t, "landed_at", convoyCol(t, town, conv, "landed_at"), "<NULL>")
			}
			if c.wantClosed {
				eq(t, "status", beadCol(t, town, conv, "status"), StatusClosed)
				eq(t, "closed_at", beadCol(t, town, conv, "closed_at"), iso(2*time.Minute))
				eq(t, "landed_at", convoyCol(t, town, conv, "landed_at"), iso(2*time.Minute))
				eq(t, "metadata", beadCol(t, town, conv, "metadata"), "{}")
				eqSlice(t, "no convoy status event", events(t, town, conv), []string{"created"})
			}
		})
	}
	t.Run("open MR on a closed bead is not done", func(t *testing.T) {
		town := newTestTown(t)
		conv, ids := convoyWith(t, town, 1, nil, nil)
		_, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: "p", SourceBeadID: ids[0], RigID: "r", Branch: "b"})
		must(t, err)
		_, err = town.CloseBead(at(time.Minute), ids[0], "")
		must(t, err)
		eq(t, "closed_beads", convoyCol(t, town, conv, "closed_beads"), "0")
		eq(t, "open", beadCol(t, town, conv, "status"), StatusOpen)
	})
	t.Run("not a convoy: MR tracks its source", func(t *testing.T) {
		town := newTestTown(t)
		src := mkBead(t, town, CreateBeadInput{})
		mr, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: "p", SourceBeadID: src, RigID: "r", Branch: "b"})
		must(t, err)
		before := dump(t, town)
		must(t, town.UpdateConvoyProgress(at(time.Minute), mr))
		eq(t, "unchanged", dump(t, town), before)
	})
	t.Run("total 0 never lands", func(t *testing.T) {
		town := newTestTown(t)
		conv := mkConvoy(t, town, 0, nil, nil)
		x := mkBead(t, town, CreateBeadInput{})
		track(t, town, x, conv)
		_, err := town.CloseBead(at(time.Minute), x, "")
		must(t, err)
		eq(t, "closed_beads", convoyCol(t, town, conv, "closed_beads"), "1")
		eq(t, "open", beadCol(t, town, conv, "status"), StatusOpen)
	})
}

// An already landed convoy is re-closed and re-stamped by every recount
// that finds it complete (model.md §4.3, §7.1).
func TestInconsistency01_ConvoyAutoLandRestamps(t *testing.T) {
	town := newTestTown(t)
	conv, ids := convoyWith(t, town, 1, nil, nil)
	_, err := town.CloseBead(at(time.Minute), ids[0], "")
	must(t, err)
	eq(t, "closed_at", beadCol(t, town, conv, "closed_at"), iso(time.Minute))
	must(t, town.UpdateConvoyProgress(at(time.Hour), ids[0]))
	eq(t, "closed_at re-stamped", beadCol(t, town, conv, "closed_at"), iso(time.Hour))
	eq(t, "landed_at re-stamped", convoyCol(t, town, conv, "landed_at"), iso(time.Hour))
}

// The landing MR tracks the convoy itself, so closed_beads can reach
// total + 1 (model.md §7.15).
func TestInconsistency15_ClosedBeadsCanExceedTotal(t *testing.T) {
	town := newTestTown(t)
	conv, ids := convoyWith(t, town, 1, "convoy/f/1/head", MergeModeReviewThenLand)
	_, err := town.CloseBead(at(time.Minute), ids[0], "")
	must(t, err)
	eq(t, "ready", beadCol(t, town, conv, "metadata"), `{"ready_to_land":1}`)
	landing, err := town.SubmitToReviewQueue(at(2*time.Minute), SubmitInput{
		AgentID: "system", SourceBeadID: conv, RigID: "r", Branch: "convoy/f/1/head", DefaultBranch: "main"})
	must(t, err)
	eq(t, "landing target", str(t, town, `SELECT target_branch FROM review_metadata WHERE bead_id = ?`, landing), "main")
	must(t, town.CompleteReviewWithResult(at(3*time.Minute), ReviewResult{EntryID: landing, Status: "merged"}))
	eq(t, "closed_beads", convoyCol(t, town, conv, "closed_beads"), "2")
	eq(t, "total_beads", convoyCol(t, town, conv, "total_beads"), "1")
	eq(t, "convoy closed", beadCol(t, town, conv, "status"), StatusClosed)
	eq(t, "landed_at", convoyCol(t, town, conv, "landed_at"), iso(3*time.Minute))
}

// Deleting a tracked bead leaves total_beads unchanged, so the convoy
// never completes (model.md §7.15).
func TestInconsistency15_DeletedTrackedBeadKeepsTotal(t *testing.T) {
	town := newTestTown(t)
	conv, ids := convoyWith(t, town, 2, nil, nil)
	_, err := town.DeleteBead(t0, ids[1], "")
	must(t, err)
	_, err = town.CloseBead(at(time.Minute), ids[0], "")
	must(t, err)
	eq(t, "total", convoyCol(t, town, conv, "total_beads"), "2")
	eq(t, "closed", convoyCol(t, town, conv, "closed_beads"), "1")
	eq(t, "open", beadCol(t, town, conv, "status"), StatusOpen)
}

func TestConvoyAddRemoveBead(t *testing.T) {
	town := newTestTown(t)
	conv, ids := convoyWith(t, town, 2, nil, nil)
	must(t, town.InsertDependency(ids[1], ids[0], DepBlocks))
	x := mkBead(t, town, CreateBeadInput{})
	setStatus(t, town, x, StatusClosed)

	ok, err := town.ConvoyAddBead(conv, x)
	must(t, err)
	eq(t, "added", ok, true)
	eq(t, "total", convoyCol(t, town, conv, "total_beads"), "3")
	eq(t, "closed not recounted", convoyCol(t, town, conv, "closed_beads"), "0")
	ok, err = town.ConvoyAddBead(conv, x)
	must(t, err)
	eq(t, "again", ok, false)
	eq(t, "total unchanged", convoyCol(t, town, conv, "total_beads"), "3")

	must(t, town.InsertDependency(x, ids[0], DepBlocks))
	must(t, town.InsertDependency(ids[1], x, DepBlocks))
	ok, err = town.ConvoyRemoveBead(conv, x)
	must(t, err)
	eq(t, "removed", ok, true)
	eq(t, "total", convoyCol(t, town, conv, "total_beads"), "2")
	eqSlice(t, "remaining edges", mustStrings(t, town, `SELECT bead_id || '>' || depends_on_bead_id || ':' || dependency_type FROM bead_dependencies ORDER BY rowid`),
		[]string{ids[0] + ">" + conv + ":tracks", ids[1] + ">" + conv + ":tracks", ids[1] + ">" + ids[0] + ":blocks"})
	ok, err = town.ConvoyRemoveBead(conv, x)
	must(t, err)
	eq(t, "not tracked", ok, false)

	_, err = town.DB().Exec(`UPDATE convoy_metadata SET total_beads = 0 WHERE bead_id = ?`, conv)
	must(t, err)
	ok, err = town.ConvoyRemoveBead(conv, ids[0])
	must(t, err)
	eq(t, "removed", ok, true)
	eq(t, "floor 0", convoyCol(t, town, conv, "total_beads"), "0")
}
