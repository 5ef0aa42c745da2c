package model

import (
	"testing"
	"time"
)

// TestEnsureMayorKilocodeToken pins the deferral of production's
// ensureMayor: the token is looked up in the town config, then in the
// rigs' runtime configs (created_at order); a rig's token is copied into
// the town config; without any the mayor is registered but not started,
// with no fresh_dispatch decision.
func TestEnsureMayorKilocodeToken(t *testing.T) {
	cases := []struct {
		name      string
		townToken string
		rigTokens []string // one rig per entry, added in order; "" = none
		wantStart bool
		wantTown  string // the town config's token afterwards
	}{
		{name: "no token anywhere: deferred", rigTokens: []string{""}},
		{name: "no rig, no token: deferred"},
		{name: "town token", townToken: "kilo-town", rigTokens: []string{""}, wantStart: true, wantTown: "kilo-town"},
		{name: "town token wins over a rig's", townToken: "kilo-town", rigTokens: []string{"kilo-rig"}, wantStart: true, wantTown: "kilo-town"},
		{name: "token only on a rig: copied to the town", rigTokens: []string{"kilo-rig"}, wantStart: true, wantTown: "kilo-rig"},
		{name: "the first rig with a token", rigTokens: []string{"", "kilo-2", "kilo-3"}, wantStart: true, wantTown: "kilo-2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := evNew(t)
			if c.townToken != "" {
				_, err := f.town.UpdateTownConfig(TownConfigUpdate{KilocodeToken: Ptr(c.townToken)})
				f.must(err)
			}
			for i, tok := range c.rigTokens {
				id := []string{"r1", "r2", "r3"}[i]
				f.must(f.town.AddRig(evT0.Add(time.Duration(i)*time.Second), id, "rig-"+id, "g", "main"))
				// The KV rig config is written directly: ConfigureRig would
				// copy the token itself, and this case is about the look-up.
				f.town.kv.RigConfigs[id] = RigRuntimeConfig{RigID: id, GitURL: "g", DefaultBranch: "main", KilocodeToken: tok}
			}
			m, err := f.town.EnsureMayor(f.env)
			f.must(err)
			wantStatus, wantCalls := AgentIdle, []string{string(CallAgentStatus)}
			var wantDecisions []string
			if c.wantStart {
				wantStatus = AgentWorking
				wantCalls = append(wantCalls, string(CallStartAgent))
				wantDecisions = []string{"fresh_dispatch"}
			}
			eq(t, "mayor registered", m.Role, RoleMayor)
			eq(t, "status", m.Status, wantStatus)
			eqSlice(t, "calls", f.calls(), wantCalls)
			var decisions []string
			for _, e := range f.analytics {
				if e.Event == "mayor.ensure_decision" {
					decisions = append(decisions, e.Label)
				}
			}
			eqSlice(t, "decisions", decisions, wantDecisions)
			cfg, err := f.town.townConfig()
			f.must(err)
			eq(t, "town token", cfg.KilocodeToken, c.wantTown)
			eq(t, "no alarm", f.alarm(), noAlarm)
		})
	}
}

// TestEnsureMayorDeferredThenStarted: a town whose first rig brings a
// token through configureRig starts the deferred mayor on the next
// ensureMayor (production's frontend polls until it does).
func TestEnsureMayorDeferredThenStarted(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	m, err := f.town.EnsureMayor(f.env)
	f.must(err)
	eq(t, "deferred", m.Status, AgentIdle)
	f.must(f.town.ConfigureRig(evT0, RigRuntimeConfig{RigID: "r1", GitURL: "g", DefaultBranch: "main", KilocodeToken: "kilo-1"}))
	m2, err := f.town.EnsureMayor(f.env)
	f.must(err)
	eq(t, "same mayor", m2.ID, m.ID)
	eq(t, "started", m2.Status, AgentWorking)
}

// TestSendMayorMessageNeedsNoToken: production's sendMayorMessage starts
// a mayor whose container is not running whether or not a kilocode token
// resolves.
func TestSendMayorMessageNeedsNoToken(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	f.must(f.town.SendMayorMessage(f.env, "hello"))
	eqSlice(t, "calls", f.calls(), []string{string(CallAgentStatus), string(CallStartAgent)})
	m, err := f.town.firstMayor()
	f.must(err)
	eq(t, "working", m.Status, AgentWorking)
}

// The restated integration tests of production's mayor idle lifecycle
// (test/integration/mayor-idle.test.ts, mayor-sdk-fallthrough.test.ts):
// a town with one rig and no kilocode token, whose container is absent.
func TestMayorIdleLifecycle(t *testing.T) {
	setup := func(t *testing.T) (*evFix, *Agent) {
		f := evNew(t)
		f.rig("rig-1", false)
		m, err := f.town.EnsureMayor(f.env)
		f.must(err)
		return f, m
	}
	t.Run("ensureMayor leaves the mayor idle and returns the same one twice", func(t *testing.T) {
		f, m := setup(t)
		eq(t, "idle", f.a(m.ID, "status"), AgentIdle)
		m2, err := f.town.EnsureMayor(f.env)
		f.must(err)
		eq(t, "same agent", m2.ID, m.ID)
		eq(t, "one mayor", f.n(`SELECT count(*) FROM agent_metadata WHERE role = 'mayor'`), 1)
	})
	t.Run("working becomes waiting", func(t *testing.T) {
		f, m := setup(t)
		f.must(f.town.UpdateAgentStatus(evT0, m.ID, AgentWorking))
		eq(t, "working", f.a(m.ID, "status"), AgentWorking)
		f.must(f.town.MayorWaiting(evT0, m.ID))
		eq(t, "waiting", f.a(m.ID, "status"), AgentWaiting)
	})
	t.Run("an idle mayor does not become waiting", func(t *testing.T) {
		f, m := setup(t)
		f.must(f.town.MayorWaiting(evT0, m.ID))
		eq(t, "idle", f.a(m.ID, "status"), AgentIdle)
	})
	t.Run("an empty id resolves to the mayor", func(t *testing.T) {
		f, m := setup(t)
		f.must(f.town.UpdateAgentStatus(evT0, m.ID, AgentWorking))
		f.must(f.town.MayorWaiting(evT0, ""))
		eq(t, "waiting", f.a(m.ID, "status"), AgentWaiting)
	})
	t.Run("active cadence while working, idle cadence while waiting", func(t *testing.T) {
		f, m := setup(t)
		f.must(f.town.UpdateAgentStatus(evT0, m.ID, AgentWorking))
		active, err := f.town.HasActiveWork(evT0)
		f.must(err)
		eq(t, "working mayor: active", active, true)
		f.must(f.town.UpdateAgentStatus(evT0, m.ID, AgentWaiting))
		active, err = f.town.HasActiveWork(evT0)
		f.must(err)
		eq(t, "waiting mayor: idle", active, false)
	})
	t.Run("a working polecat beside a waiting mayor keeps the active cadence", func(t *testing.T) {
		f, m := setup(t)
		f.must(f.town.UpdateAgentStatus(evT0, m.ID, AgentWaiting))
		p := f.agent(RolePolecat, "p1", "rig-1")
		f.must(f.town.UpdateAgentStatus(evT0, p, AgentWorking))
		active, err := f.town.HasActiveWork(evT0)
		f.must(err)
		eq(t, "active", active, true)
	})
}
