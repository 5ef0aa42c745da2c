package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// half-applied-hook explains a hook/assignee mismatch only when an action
// was cut in the run and the agent's hook has no 'hooked' event of its
// own as the bead's latest: a completed hookBead is never explained.
func TestHalfAppliedHookFinding(t *testing.T) {
	cfg := Default()
	cfg.Duration = time.Minute
	c := runChecker(t, cfg)
	town := c.world.Town()
	rigs, err := town.ListRigs()
	if err != nil || len(rigs) == 0 {
		t.Fatalf("rigs: %v %v", rigs, err)
	}
	rig := rigs[0].ID
	newAgent := func(name string) string {
		a, err := town.RegisterAgent(c.now, model.RolePolecat, name, name+"@test", rig)
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	whole, cut := newAgent("whole"), newAgent("cut")
	bead := func() string {
		b, err := town.CreateBead(c.now, model.CreateBeadInput{Type: model.TypeIssue, Title: "t", RigID: rig})
		if err != nil {
			t.Fatal(err)
		}
		return b.ID
	}
	b1, b2 := bead(), bead()
	if err := town.HookBead(c.now, whole, b1); err != nil {
		t.Fatal(err)
	}
	// A hookBead cut after its first write: the hook only.
	if _, err := town.DB().Exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id = ?`, b2, cut); err != nil {
		t.Fatal(err)
	}
	f := finding(t, "half-applied-hook")
	v := func(agent string) Violation { return Violation{Property: PropHookAssignee, At: c.now, Entity: agent} }
	faults := c.world.Stats().Faults
	saved := faults[model.FPApplyAction]
	defer func() { faults[model.FPApplyAction] = saved }()

	faults[model.FPApplyAction] = 0
	if f.Applies(v(cut), c) {
		t.Errorf("explains a cut hook in a run where no action was cut")
	}
	faults[model.FPApplyAction] = 1
	if !f.Applies(v(cut), c) {
		t.Errorf("does not explain the cut hook")
	}
	if f.Applies(v(whole), c) {
		t.Errorf("explains an agent whose hookBead completed")
	}
}
