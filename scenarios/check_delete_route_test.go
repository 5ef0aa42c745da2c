package scenarios

import (
	"testing"
)

// checkBeadsDeletedRoutes: users delete issues through their own rig's
// route and through the other rig's.
func checkBeadsDeletedRoutes(t *testing.T, r *run) {
	rigOf := map[string]string{}
	for _, l := range r.grep("rpc", "op=sling_bead") {
		rigOf[traceField(l.text, "bead")] = traceField(l.text, "rig")
	}
	own, other := 0, 0
	for _, l := range r.grep("rpc", "op=delete_bead", "rig=") {
		switch rig, ok := rigOf[traceField(l.text, "bead")]; {
		case !ok:
		case rig == traceField(l.text, "rig"):
			own++
		default:
			other++
		}
	}
	if own < 3 || other < 3 {
		t.Errorf("deletes through the issue's own rig %d, through another %d; want several of each", own, other)
	}
	if r.res.World.Deletions < 3 {
		t.Errorf("deletions %d; want several", r.res.World.Deletions)
	}
}

// safety/delete-respects-rig-route fires on a real run's delete requests
// with the outcome turned round: the bead gone after a delete through the
// wrong rig, or still there after one through its own.
func TestDeleteRouteFires(t *testing.T) {
	c, _ := passedRun(t, "beads-deleted-routes", 0)
	var wrong, right int = -1, -1
	reqs := c.world.DeleteRequests()
	for i, r := range reqs {
		switch {
		case !r.RowBefore || r.Rig == "":
		case r.Rig != r.BeadRig && wrong < 0:
			wrong = i
		case r.Rig == r.BeadRig && right < 0:
			right = i
		}
	}
	if wrong < 0 || right < 0 {
		t.Fatalf("no delete through the wrong (%d) or the right (%d) rig's route in %d requests", wrong, right, len(reqs))
	}
	if reqs[wrong].RowAfter != true || reqs[right].RowAfter != false {
		t.Fatalf("the real run: %+v, %+v", reqs[wrong], reqs[right])
	}
	tests := []struct {
		name     string
		i        int
		rowAfter bool
		fires    bool
	}{
		{"the wrong rig's delete refused", wrong, true, false},
		{"the own rig's delete done", right, false, false},
		{"the wrong rig's delete done", wrong, false, true},
		{"the own rig's delete refused", right, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.failures, c.seen = nil, map[string]bool{}
			r := reqs[tt.i]
			r.RowAfter = tt.rowAfter
			p := propByName(t, PropDeleteRoute).(*deleteRouteProp)
			p.judge(c, r)
			fired := false
			for _, v := range c.failures {
				fired = fired || v.Property == PropDeleteRoute
			}
			if fired != tt.fires || len(c.failures) > 1 {
				t.Errorf("fired %v, want %v (%v)", fired, tt.fires, c.failures)
			}
		})
	}
}
