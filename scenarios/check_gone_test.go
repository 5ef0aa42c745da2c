package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// fired runs judge on a fresh checker and reports whether prop fired.
// wantFired fails the test unless prop fired first (want) or nothing fired
// at all (!want): the table tests' verdict on one hand-made case.
func wantFired(t *testing.T, c *checker, prop string, want bool) {
	t.Helper()
	fired := len(c.failures) > 0 && c.failures[0].Property == prop
	if fired != want || (!fired && len(c.failures) > 0) {
		t.Fatalf("failures %v; want %s fired=%v", c.failures, prop, want)
	}
}

func firedOn(t *testing.T, prop string, judge func(c *checker)) bool {
	t.Helper()
	c := newChecker(Default(), Bounds{}.withDefaults(), CheckOptions{})
	judge(c)
	fired := false
	for _, v := range c.failures {
		if v.Property != prop {
			t.Errorf("another property fired: %v", v)
		}
		fired = true
	}
	return fired
}

// fakeRigs is a world's rigs and their default branches.
type fakeRigs map[string]string

func (f fakeRigs) RigDefaultBranch(id string) (string, bool) { b, ok := f[id]; return b, ok }

// safety/mr-targets-rig-branch fires on a merge request whose target is
// not its rig's default branch (nor its review-then-land convoy's feature
// branch), and leaves alone merge requests of rigs the world does not know.
func TestTargetBranchFires(t *testing.T) {
	rigs := fakeRigs{"rig-a": "develop", "rig-b": "main"}
	tests := []struct {
		name  string
		m     mrTarget
		fires bool
	}{
		{"the rig's non-main branch", mrTarget{"mr1", "rig-a", "develop", "", false}, false},
		{"the rig's main", mrTarget{"mr2", "rig-b", "main", "", false}, false},
		{"the convoy's feature branch", mrTarget{"mr3", "rig-a", "convoy/x/1/head", "convoy/x/1/head", false}, false},
		{"a rig the world does not know", mrTarget{"mr4", "", "main", "", false}, false},
		{"main instead of the rig's develop", mrTarget{"mr5", "rig-a", "main", "", false}, true},
		{"another rig's branch", mrTarget{"mr6", "rig-b", "develop", "", false}, true},
		{"the rig's branch instead of the convoy's", mrTarget{"mr7", "rig-a", "develop", "convoy/x/1/head", false}, true},
		{"an empty target", mrTarget{"mr8", "rig-a", "", "", false}, true},
		{"no review_metadata row", mrTarget{"mr9", "rig-a", "", "", true}, true},
		{"no review_metadata row, on a rig the world does not know", mrTarget{"mr10", "", "", "", true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := propByName(t, PropTargetBranch).(*targetBranchProp)
			if got := firedOn(t, PropTargetBranch, func(c *checker) { p.judge(c, rigs, tt.m) }); got != tt.fires {
				t.Errorf("fired %v, want %v", got, tt.fires)
			}
		})
	}
}

// safety/delete-count-matches-rows fires when the count a delete answered
// differs from the bead rows that disappeared (a list) or from whether the
// issue went (one id).
func TestDeleteCountFires(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	one := func(before, after bool, reported, rowsBefore, rowsAfter int) sim.DeleteRequest {
		return sim.DeleteRequest{Bead: "b1", Rig: "r1", BeadRig: "r1", At: at, RowBefore: before, RowAfter: after,
			Reported: reported, BeadsBefore: rowsBefore, BeadsAfter: rowsAfter}
	}
	list := func(reported, rowsBefore, rowsAfter int) sim.DeleteRequest {
		r := one(true, rowsAfter < rowsBefore, reported, rowsBefore, rowsAfter)
		r.Bulk, r.Stale = true, []string{"old1", "old2"}
		return r
	}
	tests := []struct {
		name  string
		r     sim.DeleteRequest
		fires bool
	}{
		{"one id deleted, 1", one(true, false, 1, 10, 9), false},
		{"one id refused, 0", one(true, true, 0, 10, 10), false},
		{"a list through a rig owning none, 0", list(0, 10, 10), false},
		{"a list deleting the issue and a child, 2", list(2, 10, 8), false},
		{"one id deleted, 0", one(true, false, 0, 10, 9), true},
		{"one id refused, 1", one(true, true, 1, 10, 10), true},
		{"a list through a rig owning none, 1", list(1, 10, 10), true},
		{"a list deleting one, counting the stale ids, 3", list(3, 10, 9), true},
		{"no row count recorded", one(true, false, 0, -1, -1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := propByName(t, PropDeleteCount).(*deleteCountProp)
			if got := firedOn(t, PropDeleteCount, func(c *checker) { p.judge(c, tt.r) }); got != tt.fires {
				t.Errorf("fired %v, want %v", got, tt.fires)
			}
		})
	}
}

// safety/deleted-agent-stays-gone fires on a delete that left the agent's
// row or its unfinished bead, or a stale reset that failed or brought the
// agent back.
func TestAgentGoneFires(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := sim.AgentDelete{Agent: "a1", Hook: "b1", HookStatus: model.StatusInProgress, HookStatusAfter: model.StatusOpen,
		At: at, RowBefore: true, Reset: true, ResetAt: at.Add(time.Minute)}
	with := func(f func(d *sim.AgentDelete)) sim.AgentDelete { d := ok; f(&d); return d }
	tests := []struct {
		name  string
		d     sim.AgentDelete
		fires bool
	}{
		{"deleted, bead reopened, reset a no-op", ok, false},
		{"the bead was deleted with it", with(func(d *sim.AgentDelete) { d.HookStatusAfter = "" }), false},
		{"a closed bead stays closed", with(func(d *sim.AgentDelete) { d.HookStatus, d.HookStatusAfter = "closed", "closed" }), false},
		{"other beads unchanged", with(func(d *sim.AgentDelete) { d.OthersBefore, d.OthersAfter = "b2:closed:a2", "b2:closed:a2" }), false},
		{"another agent's closed bead lost its assignee", with(func(d *sim.AgentDelete) {
			d.OthersBefore, d.OthersAfter = "b2:closed:a2,b3:open:", "b2:closed:,b3:open:"
		}), true},
		{"no row before", with(func(d *sim.AgentDelete) { d.RowBefore, d.RowAfter = false, true }), false},
		{"still a row", with(func(d *sim.AgentDelete) { d.RowAfter = true }), true},
		{"the delete failed", with(func(d *sim.AgentDelete) { d.Err = "boom" }), true},
		{"its bead left in progress", with(func(d *sim.AgentDelete) { d.HookStatusAfter = model.StatusInProgress }), true},
		{"the reset failed", with(func(d *sim.AgentDelete) { d.ResetErr = "nil agent" }), true},
		{"the reset made a row", with(func(d *sim.AgentDelete) { d.RowAfterReset = true }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := propByName(t, PropAgentGone).(*agentGoneProp)
			got := firedOn(t, PropAgentGone, func(c *checker) {
				p.judgeDelete(c, tt.d)
				if tt.d.Reset {
					p.judgeReset(c, tt.d)
				}
			})
			if got != tt.fires {
				t.Errorf("fired %v, want %v", got, tt.fires)
			}
		})
	}
}

// gone-mid-flight does what it says: deletes through both routes, some
// as lists, agents deleted (as they report done and mid-work) and reset,
// merge requests on both rigs' branches. Then the rows part of deleted-agent-stays-gone fires when a
// bead names a deleted agent as its assignee.
func TestGoneMidFlight(t *testing.T) {
	c, db := passedRun(t, "gone-mid-flight", 0)
	w := c.world
	lists, wrongLists, singles := 0, 0, 0
	for _, r := range w.DeleteRequests() {
		switch {
		case !r.Bulk:
			singles++
		case r.Rig != r.BeadRig:
			wrongLists++
		default:
			lists++
		}
	}
	resets, midWork := 0, 0
	var gone string
	for _, d := range w.AgentDeletes() {
		if d.Reset {
			resets++
		}
		if d.MidWork {
			midWork++
		}
		if d.RowBefore && d.Err == "" {
			gone = d.Agent
		}
	}
	if lists < 2 || wrongLists < 2 || singles < 2 || len(w.AgentDeletes())-midWork < 2 || midWork < 2 || resets < 2 {
		t.Fatalf("lists %d, through the wrong rig %d, single deletes %d, agent deletes %d (mid-work %d), resets %d; want several of each",
			lists, wrongLists, singles, len(w.AgentDeletes()), midWork, resets)
	}
	targets, err := db.Strings(`SELECT DISTINCT CASE WHEN target_branch LIKE 'convoy/%' THEN 'convoy' ELSE target_branch END
		FROM review_metadata ORDER BY 1`)
	if err != nil || strings.Join(targets, ",") != "convoy,develop,trunk" {
		t.Fatalf("target branches %v (%v); want a convoy's feature branch, develop and trunk", targets, err)
	}
	// The deleted agents' processes work on beside the new owner of their
	// reopened issue, and a reopened in-review issue closes under new work:
	// production's deleteAgent, accepted as findings.
	if c.accepted["deleted-agent-process-second-owner"] == 0 {
		t.Errorf("no deleted agent's process worked beside a second owner: %v", c.accepted)
	}
	exec, _ := rowsOf(t, db)
	exec(`UPDATE beads SET assignee_agent_bead_id = ? WHERE bead_id = (SELECT bead_id FROM beads WHERE type = 'issue' LIMIT 1)`, gone)
	c.failures, c.seen = nil, map[string]bool{}
	p := propByName(t, PropAgentGone).(*agentGoneProp)
	p.tick(c, &tickView{rec: &sim.TickRecord{At: c.now}, w: w, db: db})
	if len(c.failures) != 1 || c.failures[0].Property != PropAgentGone {
		t.Errorf("a bead assigned to deleted agent %s: %v", short(gone), c.failures)
	}
}
