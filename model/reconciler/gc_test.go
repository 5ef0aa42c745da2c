package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

func TestGC(t *testing.T) {
	del := func(id string) string { return "delete_agent{agent=" + id + ",reason=GC: idle > 24h}" }
	runCases(t, "GC", []ruleCase{
		{name: "idle polecat quiet 24 h", build: func(f *fixture) {
			f.agent(A{ID: "p1", Activity: f.ago(24*time.Hour + time.Millisecond)})
		}, want: []string{del("p1")}},
		{name: "dead refinery quiet 25 h, also while draining", opts: Options{Draining: true}, build: func(f *fixture) {
			f.agent(A{ID: "r1", Role: model.RoleRefinery, Status: model.AgentDead, Activity: f.ago(25 * time.Hour)})
		}, want: []string{del("r1")}},
		{name: "NULL activity: collected at once (hazard 10)", build: func(f *fixture) {
			f.agent(A{ID: "p1", Activity: "NULL"})
		}, want: []string{del("p1")}},
		{name: "quiet exactly 24 h", build: func(f *fixture) {
			f.agent(A{ID: "p1", Activity: f.ago(24 * time.Hour)})
		}},
		{name: "unparsable activity is fresh", build: func(f *fixture) {
			f.agent(A{ID: "p1", Activity: "long ago"})
		}},
		{name: "hooked agents are kept", rules: []string{"AG-4", "AG-4"}, build: func(f *fixture) {
			f.bead(B{ID: "i1", Status: model.StatusClosed})
			f.agent(A{ID: "p1", Hook: "i1", Activity: f.ago(48 * time.Hour)})
		}, want: []string{"unhook_agent{agent=p1,reason=hooked bead is terminal}", "clear_agent_checkpoint{agent=p1}"}},
		{name: "mayors are kept", build: func(f *fixture) {
			f.agent(A{ID: "m1", Role: model.RoleMayor, Activity: "NULL"})
		}},
		{name: "stalled agents are kept", build: func(f *fixture) {
			f.agent(A{ID: "p1", Status: model.AgentStalled, Activity: f.ago(48 * time.Hour)})
		}},
	})
}
