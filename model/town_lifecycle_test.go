package model

import (
	"strings"
	"testing"
	"time"
)

// The hookBead RPC arms the alarm when none is pending (src/dos/Town.do.ts
// hookBead → armAlarmIfNeeded); it never moves a pending alarm, a failed
// hook arms nothing, and a town without an id is never armed.
func TestHookBeadRPCArmsAlarm(t *testing.T) {
	cases := []struct {
		name    string
		townID  string
		pending time.Duration // 0 = no alarm
		badBead bool
		want    time.Duration // alarm after the call, relative to evT0; 0 = none
	}{
		{name: "no alarm: armed at now+5s", townID: evTownID, want: time.Minute + ActiveInterval},
		{name: "past alarm: re-armed", townID: evTownID, pending: -time.Minute, want: time.Minute + ActiveInterval},
		{name: "pending alarm kept", townID: evTownID, pending: time.Hour, want: time.Hour},
		{name: "failed hook arms nothing", townID: evTownID, badBead: true},
		{name: "no town id: nothing", townID: ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			town, err := Open(Options{TownID: c.townID})
			must(t, err)
			defer town.Close()
			a, err := town.RegisterAgent(evT0, RolePolecat, "Toast", "toast@ev", "")
			must(t, err)
			b, err := town.CreateBead(evT0, CreateBeadInput{Type: TypeIssue, Title: "task"})
			must(t, err)
			town.DeleteAlarm()
			if c.pending != 0 {
				town.SetAlarm(evAt(c.pending))
			}
			bead := b.ID
			if c.badBead {
				bead = "missing"
			}
			err = town.HookBeadRPC(evAt(time.Minute), a.ID, bead)
			if c.badBead != (err != nil) {
				t.Fatalf("hook error %v", err)
			}
			got, ok := town.AlarmAt()
			if c.want == 0 {
				if ok {
					t.Fatalf("alarm armed at %v", got)
				}
				return
			}
			eq(t, "alarm", got, evAt(c.want))
		})
	}
	// The internal hook the reconciler uses does not arm.
	f := evNew(t)
	a := f.agent(RolePolecat, "Toast", "")
	f.must(f.town.HookBead(evT0, a, f.bead(CreateBeadInput{})))
	if at, ok := f.town.AlarmAt(); ok {
		t.Fatalf("internal hook armed the alarm at %v", at)
	}
}

// Start-up (initializeDatabase in src/dos/Town.do.ts) re-arms the alarm
// when the town has an id; a restart (the Durable Object evicted and
// re-created) keeps SQLite, KV and a pending alarm, loses what production
// holds only in memory, and runs start-up again.
func TestRestart(t *testing.T) {
	t.Run("open with an id arms at start+5s", func(t *testing.T) {
		town, err := Open(Options{TownID: evTownID, Start: evT0})
		must(t, err)
		defer town.Close()
		got, ok := town.AlarmAt()
		if !ok || !got.Equal(evT0.Add(ActiveInterval)) {
			t.Fatalf("alarm %v %v", got, ok)
		}
	})
	t.Run("open without an id does not arm", func(t *testing.T) {
		town, err := Open(Options{Start: evT0})
		must(t, err)
		defer town.Close()
		if at, ok := town.AlarmAt(); ok {
			t.Fatalf("armed at %v", at)
		}
	})
	t.Run("restart re-arms a lost alarm and keeps state", func(t *testing.T) {
		var events []AnalyticsEvent
		town, err := Open(Options{TownID: evTownID, Analytics: func(e AnalyticsEvent) { events = append(events, e) }})
		must(t, err)
		defer town.Close()
		_, err = town.UpdateTownConfig(TownConfigUpdate{OwnerUserID: Ptr("owner-1")})
		must(t, err)
		b, err := town.CreateBead(evT0, CreateBeadInput{Type: TypeIssue, Title: "kept"})
		must(t, err)
		must(t, town.ConfigureRig(evT0, RigRuntimeConfig{RigID: "r1", GitURL: "g", DefaultBranch: "main"}))
		town.KV().LastKiloTokenCheck = evT0
		town.ownerUserID = "stale" // an in-memory value the restart drops
		town.DeleteAlarm()
		must(t, town.Restart(evAt(time.Hour)))
		got, ok := town.AlarmAt()
		if !ok || !got.Equal(evAt(time.Hour+ActiveInterval)) {
			t.Fatalf("alarm after restart %v %v", got, ok)
		}
		eq(t, "bead kept", beadCol(t, town, b.ID, "title"), "kept")
		if _, ok := town.RigRuntimeConfig("r1"); !ok {
			t.Fatal("rig config lost")
		}
		if !town.KV().LastKiloTokenCheck.IsZero() {
			t.Fatal("in-memory throttle survived the restart")
		}
		town.emit(AnalyticsEvent{Event: "probe"})
		eq(t, "owner reloaded from the stored config", events[len(events)-1].UserID, "owner-1")
	})
	t.Run("restart keeps a pending alarm", func(t *testing.T) {
		town, err := Open(Options{TownID: evTownID})
		must(t, err)
		defer town.Close()
		town.SetAlarm(evAt(time.Hour))
		must(t, town.Restart(evAt(time.Minute)))
		got, _ := town.AlarmAt()
		eq(t, "alarm", got, evAt(time.Hour))
	})
}

// destroy() (src/dos/Town.do.ts): the alarm is deleted and the storage
// wiped. Later RPCs fail on the missing tables and do not arm the alarm
// (armAlarmIfNeeded finds no town:id); a re-created Durable Object is an
// empty town with no id and no alarm.
func TestDestroy(t *testing.T) {
	f := evNew(t)
	f.rig("r1", true)
	a := f.agent(RolePolecat, "Toast", "r1")
	b := f.bead(CreateBeadInput{RigID: "r1"})
	f.town.SetAlarm(evAt(time.Minute))
	f.must(f.town.Destroy(f.env))
	if len(f.env.Calls) != 1 || f.env.Calls[0].Kind != CallContainerDestroy {
		t.Fatalf("calls %v, want the container's destroy", f.env.Calls)
	}
	if at, ok := f.town.AlarmAt(); ok {
		t.Fatalf("alarm survived destroy: %v", at)
	}
	if !f.town.Destroyed() || f.town.ID() != "" || f.town.StoredConfigJSON() != nil {
		t.Fatal("KV not wiped")
	}
	if _, ok := f.town.RigRuntimeConfig("r1"); ok {
		t.Fatal("rig config survived destroy")
	}
	err := f.town.HookBeadRPC(evAt(time.Hour), a, b)
	if err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("hook after destroy: %v", err)
	}
	if _, err := f.town.CreateBead(evAt(time.Hour), CreateBeadInput{Type: TypeIssue, Title: "x"}); err == nil {
		t.Fatal("createBead after destroy succeeded")
	}
	if at, ok := f.town.AlarmAt(); ok {
		t.Fatalf("an RPC after destroy armed the alarm at %v", at)
	}
	f.must(f.town.Restart(evAt(2 * time.Hour)))
	if at, ok := f.town.AlarmAt(); ok {
		t.Fatalf("the re-created town armed its alarm at %v", at)
	}
	eq(t, "beads after re-creation", num(t, f.town, `SELECT count(*) FROM beads`), 0)
	if f.town.Destroyed() {
		t.Fatal("still destroyed after re-creation")
	}
}

// configureRig stores the rig's runtime config (KV rig:<id>:config) and
// copies a new kilocode token into the town config (src/dos/Town.do.ts
// _configureRig); dispatch reads the config and builds its start payload
// from it (scheduling.ts dispatchAgent → container-dispatch.ts
// startAgentInContainer). Without one, nothing is dispatched.
func TestRigRuntimeConfigOnDispatch(t *testing.T) {
	f := evNew(t)
	f.must(f.town.AddRig(evT0, "r1", "widgets", "https://github.com/o/widgets", "main"))
	a := f.agent(RolePolecat, "Toast", "r1")
	b := f.bead(CreateBeadInput{RigID: "r1"})
	f.hook(a, b)
	if f.town.DispatchAgent(f.env, a, b, DispatchOptions{}) || len(f.env.Calls) != 0 {
		t.Fatal("dispatched without a rig config")
	}
	rc := RigRuntimeConfig{TownID: evTownID, RigID: "r1", GitURL: "https://github.com/o/widgets.git",
		DefaultBranch: "trunk", UserID: "user-3", KilocodeToken: "kilo-1", PlatformIntegrationID: "inst-9"}
	f.must(f.town.ConfigureRig(evT0, rc))
	got, ok := f.town.RigRuntimeConfig("r1")
	if !ok || got != rc {
		t.Fatalf("stored %+v %v", got, ok)
	}
	cfg, err := f.town.ReadTownConfig()
	f.must(err)
	eq(t, "kilocode token propagated", cfg.KilocodeToken, "kilo-1")
	if !f.town.DispatchAgent(f.env, a, b, DispatchOptions{}) {
		t.Fatal("not dispatched")
	}
	c := f.env.Calls[len(f.env.Calls)-1]
	eq(t, "git url", c.GitURL, rc.GitURL)
	eq(t, "default branch", c.DefaultBranch, "trunk")
	eq(t, "user", c.UserID, "user-3")
	eq(t, "integration", c.PlatformIntegrationID, "inst-9")
	eq(t, "branch", c.Branch, "gt/toast/"+b[:8])
}

// branchForAgent and branchForConvoyAgent (src/dos/town/container-dispatch.ts).
func TestAgentBranchNames(t *testing.T) {
	cases := []struct{ got, want string }{
		{BranchForAgent("Toast", "0123456789abcdef"), "gt/toast/01234567"},
		{BranchForAgent("Mr. Toast__2", "ab"), "gt/mr-toast-2/ab"},
		{BranchForAgent("mayor", ""), "gt/mayor"},
		{BranchForAgent("É!", "x"), "gt/-/x"},
		{BranchForConvoyAgent("convoy/fix-login/1a2b3c4d/head", "Toast", "0123456789"), "convoy/fix-login/1a2b3c4d/gt/toast/01234567"},
		{BranchForConvoyAgent("convoy/no-head", "Toast", "0123456789"), "convoy/no-head/gt/toast/01234567"},
	}
	for _, c := range cases {
		eq(t, c.want, c.got, c.want)
	}
	// A convoy bead's agent gets the sibling branch and starts from the
	// feature branch; a bead outside convoys gets its own branch.
	f := evNew(t)
	f.rig("r1", true)
	a := f.agent(RolePolecat, "Toast", "r1")
	b := f.bead(CreateBeadInput{RigID: "r1"})
	cv := mkConvoy(t, f.town, 1, "convoy/x/c0ffee00/head", MergeModeReviewThenLand)
	track(t, f.town, b, cv)
	f.hook(a, b)
	if !f.town.DispatchAgent(f.env, a, b, DispatchOptions{}) {
		t.Fatal("not dispatched")
	}
	c := f.env.Calls[len(f.env.Calls)-1]
	eq(t, "convoy branch", c.Branch, "convoy/x/c0ffee00/gt/toast/"+b[:8])
	eq(t, "start point", c.StartPoint, "origin/convoy/x/c0ffee00/head")
}
