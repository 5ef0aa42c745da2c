package sim

import (
	"cmp"
	"strings"
	"testing"
	"time"
)

// mrMeta returns metadata key k of every merge request bead, in id order.
func mrMeta(t *testing.T, w *World, k string) []string {
	t.Helper()
	out, err := w.town.DB().Strings(`SELECT coalesce(json_extract(metadata, '$.'||?), '') FROM beads
		WHERE type = 'merge_request' ORDER BY bead_id`, k)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The token source setting decides whether the town can poll its PRs: a
// fresh town (no token, NEW_TOWN_CONFIG_DEFAULTS in src/dos/town/config.ts)
// and a town whose only integration is a rig's (the PR poller passes no
// rig integration, src/dos/Town.do.ts) fail their MRs with no_token on the
// first poll; a stored token, a CLI PAT or a town integration do not.
func TestTokenSourceSetting(t *testing.T) {
	cases := []struct {
		source  TokenSource
		noToken bool
	}{
		{TokenNone, true},
		{TokenRigIntegration, true},
		{TokenStored, false},
		{TokenCLIPAT, false},
		{TokenTownIntegration, false},
	}
	for _, c := range cases {
		t.Run("source "+cmp.Or(string(c.source), "none"), func(t *testing.T) {
			cfg := smallConfig()
			cfg.Town.GitHubToken = c.source
			p := newProbe(t, cfg).run(30 * time.Minute)
			kinds := mrMeta(t, p.w, "failureKind")
			if len(kinds) == 0 {
				t.Fatal("no merge request was created")
			}
			got := strings.Join(kinds, ",")
			if has := strings.Contains(got, "no_token"); has != c.noToken {
				t.Fatalf("failure kinds %q; want no_token: %v", got, c.noToken)
			}
		})
	}
}

// The simulated container works on the branch the Town sent in the start
// payload (branchForAgent in src/dos/town/container-dispatch.ts), so the
// branch agent_done reports, and the MR stores, is production's text.
func TestContainerUsesTownBranch(t *testing.T) {
	p := newProbe(t, smallConfig()).run(30 * time.Minute)
	branches, err := p.w.town.DB().Strings(`SELECT branch FROM review_metadata ORDER BY bead_id`)
	if err != nil {
		t.Fatal(err)
	}
	if len(branches) == 0 {
		t.Fatal("no merge request")
	}
	starts := map[string]bool{}
	for _, c := range p.calls {
		if c.c.Branch != "" {
			starts[c.c.Branch] = true
		}
	}
	for _, b := range branches {
		if !strings.HasPrefix(b, "gt/") || !starts[b] {
			t.Errorf("MR branch %q is not a branch the Town sent (%v)", b, starts)
		}
	}
}

// A GitHub answer of the wrong shape fails the MR with schema_mismatch and
// up to 8 top-level keys (checkPRStatus in src/dos/town/town-scm.ts).
func TestGitHubWrongShape(t *testing.T) {
	cfg := smallConfig()
	cfg.GitHub.Errors = APIErrorWeights{WrongShape: 1}
	p := newProbe(t, cfg).run(40 * time.Minute)
	msgs := strings.Join(mrMeta(t, p.w, "failureMessage"), "\n")
	want := "(schema_mismatch); top-level keys: message, documentation_url, status, errors, request_id, resource, field, code."
	if !strings.Contains(msgs, want) {
		t.Fatalf("failure messages %q lack %q", msgs, want)
	}
}

// RestartTown keeps the Town's state and re-arms a lost alarm at now+5 s
// (initializeDatabase in src/dos/Town.do.ts); it is refused during a tick.
func TestRestartTown(t *testing.T) {
	p := newProbe(t, smallConfig()).run(10 * time.Minute)
	w := p.w
	before := w.beadCounts()
	w.town.DeleteAlarm()
	w.alarm.sync()
	w.alarm.running = true
	if err := w.RestartTown(); err != ErrTownBusy {
		t.Fatalf("restart during a tick: %v", err)
	}
	w.alarm.running = false
	if err := w.RestartTown(); err != nil {
		t.Fatal(err)
	}
	at, ok := w.town.AlarmAt()
	if !ok || !at.Equal(w.eng.Now().Add(5*time.Second)) {
		t.Fatalf("alarm after restart %v %v", at, ok)
	}
	if after := w.beadCounts(); after != before {
		t.Fatalf("state changed by the restart: %+v → %+v", before, after)
	}
	n := len(p.ticks)
	p.run(12 * time.Minute)
	if len(p.ticks) <= n {
		t.Fatal("no tick after the restart")
	}
}

// DestroyTown (destroy() in src/dos/Town.do.ts): the container's processes
// are killed, the alarm deleted and the storage wiped; no tick runs again
// and the world's later RPCs fail.
func TestDestroyTown(t *testing.T) {
	cfg := smallConfig()
	cfg.WorkloadStop = 0
	p := newProbe(t, cfg).run(5 * time.Minute)
	w := p.w
	w.DestroyTown()
	p.run(6 * time.Minute)
	if _, ok := w.town.AlarmAt(); ok {
		t.Fatal("alarm set after destroy")
	}
	if live := w.containers.sortedLive(); len(live) != 0 {
		t.Fatalf("%d processes survived the destroy", len(live))
	}
	n, errs := len(p.ticks), w.stats.RPCErrors
	p.run(30 * time.Minute)
	if len(p.ticks) != n {
		t.Fatalf("%d ticks ran after destroy", len(p.ticks)-n)
	}
	if w.stats.RPCErrors <= errs {
		t.Fatal("the users' RPCs after destroy did not fail")
	}
}
