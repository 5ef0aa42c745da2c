package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// cut-write-blocks-rig applies only to a rig with an in-progress merge
// request without its review_metadata row (what an agent_done cut half-way
// leaves), not to a rig whose merge requests are whole.
func TestHalfAppliedSubmitFindings(t *testing.T) {
	cfg := Default()
	cfg.Duration = time.Minute
	c := runChecker(t, cfg)
	town := c.world.Town()
	rigs, err := town.ListRigs()
	if err != nil || len(rigs) == 0 {
		t.Fatalf("rigs: %v %v", rigs, err)
	}
	rig := rigs[0].ID
	issue, err := town.CreateBead(c.now, model.CreateBeadInput{Type: model.TypeIssue, Title: "i", RigID: rig})
	if err != nil {
		t.Fatal(err)
	}
	full, err := town.SubmitToReviewQueue(c.now, model.SubmitInput{AgentID: "a", SourceBeadID: issue.ID, RigID: rig,
		Branch: "b1", DefaultBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	half, err := town.SubmitToReviewQueue(c.now, model.SubmitInput{AgentID: "a", SourceBeadID: issue.ID, RigID: rig,
		Branch: "b2", DefaultBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	db := town.DB()
	exec := func(q string, args ...any) {
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id IN (?, ?)`, full, half)
	blocked := finding(t, "cut-write-blocks-rig")
	inv := Violation{Property: PropInvariant, At: c.now, Entity: "#3 " + rig}
	if blocked.Applies(inv, c) {
		t.Fatalf("the finding applies while every merge request has its review_metadata row")
	}
	exec(`DELETE FROM review_metadata WHERE bead_id = ?`, half)
	if !blocked.Applies(inv, c) {
		t.Errorf("invariant #3 on a rig with a half-applied MR is not explained")
	}
	if blocked.Applies(Violation{Property: PropInvariant, At: c.now, Entity: "#3 other-rig"}, c) {
		t.Errorf("explains invariant #3 on another rig")
	}
}
