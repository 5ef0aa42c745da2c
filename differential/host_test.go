package differential

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// The fixture is a small gastown of our own (testdata/minigastown): AG-1
// as the port has it, a zod parse of every rig, and a deliberate
// difference (a notify_mayor for closed "townsim-differ" beads).
const fixture = "testdata/minigastown"

// These tests need Node.js and `npm ci --prefix differential/node` (.ci/run
// installs them). Without them they fail, naming what is missing.
// One host serves the package's tests (bundling takes a second or two);
// TestMain closes it.
var shared struct {
	once sync.Once
	h    *Host
	err  error
}

func startFixture(t *testing.T) *Host {
	t.Helper()
	shared.once.Do(func() { shared.h, shared.err = StartHost(HostOptions{Gastown: fixture}) })
	if shared.err != nil {
		t.Fatalf("start the differential host on the fixture: %v", shared.err)
	}
	return shared.h
}

// newFixtureHost starts a host of the test's own (for a test that kills it).
func newFixtureHost(t *testing.T) *Host {
	t.Helper()
	h, err := StartHost(HostOptions{Gastown: fixture})
	if err != nil {
		t.Fatalf("start the differential host on the fixture: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestMain(m *testing.M) {
	if err := InstallPackages(""); err != nil {
		fmt.Fprintln(os.Stderr, "differential tests: the host's npm packages:", err)
		os.Exit(1)
	}
	code := m.Run()
	if shared.h != nil {
		shared.h.Close()
	}
	os.Exit(code)
}

// The fixture's clock is far from the real one, so an unfrozen Date or
// SQLite 'now' shows up as a difference.
var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func newTown(t *testing.T) *model.Town {
	t.Helper()
	town, err := model.Open(model.Options{TownID: "town-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { town.Close() })
	return town
}

func execSQL(t *testing.T, town *model.Town, q string, args ...any) {
	t.Helper()
	if _, err := town.DB().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// addAgent adds a working polecat whose last heartbeat was at hb ("" =
// none), hooked to a new in-progress issue when hooked.
func addAgent(t *testing.T, town *model.Town, id string, hb time.Time, hooked bool) {
	t.Helper()
	ts := model.ISO(t0.Add(-time.Hour))
	execSQL(t, town, `INSERT INTO beads (bead_id, type, status, title, created_at, updated_at) VALUES (?, 'agent', 'open', ?, ?, ?)`, id, id, ts, ts)
	var hook any
	if hooked {
		hook = "issue-" + id
		execSQL(t, town, `INSERT INTO beads (bead_id, type, status, title, assignee_agent_bead_id, created_at, updated_at) VALUES (?, 'issue', 'in_progress', 'work', ?, ?, ?)`, hook, id, ts, ts)
	}
	var last any
	if !hb.IsZero() {
		last = model.ISO(hb)
	}
	execSQL(t, town, `INSERT INTO agent_metadata (bead_id, role, identity, status, current_hook_bead_id, last_activity_at) VALUES (?, 'polecat', ?, 'working', ?, ?)`, id, "id-"+id, hook, last)
}

// compareNow runs both reconciles on the town at t0, as the Comparer does.
func compareNow(t *testing.T, h *Host, town *model.Town, draining bool) *Comparison {
	t.Helper()
	o := reconciler.Options{Draining: draining}
	port, portErr := reconciler.Reconcile(town, t0, o)
	tables, err := town.DB().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	st := State{Now: t0, Draining: draining, Tables: tables}
	orig, err := h.Reconcile(st)
	if err != nil {
		t.Fatal(err)
	}
	c := Compare(port, portErr, orig)
	if !c.Same {
		byRule, _ := reconciler.ReconcileByRule(town, t0, o)
		origByRule, err := h.ReconcileByRule(st, reconciler.Rules)
		if err != nil {
			t.Fatal(err)
		}
		c.Attribute(byRule, origByRule)
	}
	return c
}

func TestHostHandshake(t *testing.T) {
	h := startFixture(t)
	abs, _ := filepath.Abs(fixture)
	if h.Root != abs {
		t.Errorf("root %q, want %q", h.Root, abs)
	}
	if strings.Join(h.Stubbed, ",") != "@sentry/cloudflare,cloudflare:workers" {
		t.Errorf("stubbed %v, want [@sentry/cloudflare cloudflare:workers]", h.Stubbed)
	}
	if !h.Exec.TownMethods || strings.Join(h.Shimmed, ",") != "src/dos/town/container-dispatch.ts" {
		t.Errorf("the fixture's Town did not load (%+v) or its container client is not replaced (shimmed %v)", h.Exec, h.Shimmed)
	}
	if strings.Join(h.SchemaModules, ",") != "dos/town/beads.ts,dos/town/rigs.ts,db/tables/agent-nudges.table.ts" {
		t.Errorf("schema modules %v", h.SchemaModules)
	}
	if got := strings.Join(h.Schema["rigs"], ","); got != "id,name,config,created_at" {
		t.Errorf("rigs columns %s: the host must report the checkout's own schema", got)
	}
}

func TestCompareOnFixture(t *testing.T) {
	h := startFixture(t)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, town *model.Town)
		drain bool
		// want: "same", "differ" or "original threw"
		want         string
		port         int    // actions the port emits
		onlyOriginal string // the one only-original action, when want is "differ"
		throwRule    string
	}{
		{name: "empty town", setup: func(*testing.T, *model.Town) {}, want: "same"},
		{name: "AG-1 stale heartbeat", want: "same", port: 1, setup: func(t *testing.T, town *model.Town) {
			addAgent(t, town, "a1", t0.Add(-91*time.Second), true)
		}},
		{name: "AG-1 no heartbeat and no hook", want: "same", port: 2, setup: func(t *testing.T, town *model.Town) {
			addAgent(t, town, "a1", time.Time{}, false)
			addAgent(t, town, "a2", t0.Add(-10*time.Second), false)
		}},
		// Fresh by the frozen clock, stale by the real one: an unfrozen
		// SQLite 'now' would make the fixture idle it.
		{name: "AG-1 fresh heartbeat", want: "same", setup: func(t *testing.T, town *model.Town) {
			addAgent(t, town, "a1", t0.Add(-89*time.Second), true)
		}},
		{name: "AG-1 draining", want: "same", drain: true, setup: func(t *testing.T, town *model.Town) {
			addAgent(t, town, "a1", t0.Add(-10*time.Minute), true)
		}},
		{name: "deliberate difference", want: "differ", setup: func(t *testing.T, town *model.Town) {
			ts := model.ISO(t0.Add(-time.Minute))
			execSQL(t, town, `INSERT INTO beads (bead_id, type, status, title, created_at, updated_at, closed_at) VALUES ('b1', 'issue', 'closed', 'townsim-differ one', ?, ?, ?)`, ts, ts, ts)
		}, onlyOriginal: `{"type":"notify_mayor","message":"closed: townsim-differ one at 2026-01-01T12:00:00.000Z"}`},
		{name: "rig with NULL config", want: "original threw", throwRule: "reconcileBeads", setup: func(t *testing.T, town *model.Town) {
			execSQL(t, town, `INSERT INTO rigs (id, name, config, created_at) VALUES ('r1', 'rig', NULL, ?)`, model.ISO(t0))
		}},
		{name: "rig with a number for config", want: "original threw", throwRule: "reconcileBeads", setup: func(t *testing.T, town *model.Town) {
			execSQL(t, town, `INSERT INTO rigs (id, name, config, created_at) VALUES ('r1', 'rig', '5', ?)`, model.ISO(t0))
		}},
		{name: "rig with an object config", want: "same", setup: func(t *testing.T, town *model.Town) {
			execSQL(t, town, `INSERT INTO rigs (id, name, config, created_at) VALUES ('r1', 'rig', '{"code_review":false}', ?)`, model.ISO(t0))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			town := newTown(t)
			tc.setup(t, town)
			c := compareNow(t, h, town, tc.drain)
			switch tc.want {
			case "same":
				if !c.Same {
					t.Fatalf("differ: port %s original %s (errors %q / %q)", c.Port, c.Original, c.PortError, c.OriginalError)
				}
				if len(c.Port) != tc.port {
					t.Errorf("port emitted %d actions, want %d: %s", len(c.Port), tc.port, c.Port)
				}
			case "differ":
				if c.Same || c.Threw() || len(c.OnlyPort) != 0 || len(c.OnlyOriginal) != 1 {
					t.Fatalf("want one only-original action, got %+v", c)
				}
				e := c.OnlyOriginal[0]
				if string(e.Action) != tc.onlyOriginal || e.Rule != "reconcileGUPP" || e.Type != "notify_mayor" {
					t.Errorf("only original: %+v, want %s from reconcileGUPP", e, tc.onlyOriginal)
				}
			case "original threw":
				if c.Same || !c.Threw() || c.OriginalError == "" || c.PortError != "" {
					t.Fatalf("want only the original to throw, got %+v", c)
				}
				if c.ThrowRule != tc.throwRule {
					t.Errorf("throw rule %q, want %q", c.ThrowRule, tc.throwRule)
				}
			}
		})
	}
}

func TestStartHostErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		gastown string
		env     map[string]string
		want    []string
	}{
		{name: "no such folder", gastown: "testdata/nowhere", want: []string{"testdata/nowhere"}},
		{name: "not a checkout", gastown: "testdata", want: []string{"no reconcile", "src/dos/town/reconciler.ts"}},
		{name: "does not bundle", gastown: "testdata/broken", want: []string{"does not bundle", "no-such-module"}},
		{name: "npm packages missing", gastown: fixture, env: map[string]string{NodeDirEnv: "testdata/nodedir-without-modules"},
			want: []string{"npm packages missing", "esbuild", "npm ci --prefix"}},
		{name: "no node", gastown: fixture, env: map[string]string{"PATH": "testdata"}, want: []string{"Node.js 20", "node was not found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			h, err := StartHost(HostOptions{Gastown: tc.gastown})
			if err == nil {
				h.Close()
				t.Fatal("started")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestGastownRootFindsServicesGastown(t *testing.T) {
	mono := t.TempDir()
	inner := filepath.Join(mono, "services", "gastown", "src", "dos", "town")
	if err := os.MkdirAll(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inner, "reconciler.ts"), []byte("export {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := GastownRoot(mono)
	if err != nil || got != filepath.Join(mono, "services", "gastown") {
		t.Errorf("GastownRoot(monorepo) = %q, %v", got, err)
	}
	got, err = GastownRoot(filepath.Join(mono, "services", "gastown"))
	if err != nil || got != filepath.Join(mono, "services", "gastown") {
		t.Errorf("GastownRoot(services/gastown) = %q, %v", got, err)
	}
}

func TestHostSurvivesBadRequestAndReportsDeath(t *testing.T) {
	h := newFixtureHost(t)
	// A request with an unknown op is the host's error, not a throw.
	r, err := h.roundTrip(request{Op: "nonsense", NowMs: t0.UnixMilli()})
	if err == nil {
		t.Fatalf("unknown op answered %+v", r)
	}
	// The host still answers.
	if _, err := h.Reconcile(State{Now: t0}); err != nil {
		t.Fatalf("after a bad request: %v", err)
	}
	h.cmd.Process.Kill()
	if _, err := h.Reconcile(State{Now: t0}); err == nil || !strings.Contains(err.Error(), "host") {
		t.Fatalf("a dead host: %v", err)
	}
}

func TestHostRowsKeepTypes(t *testing.T) {
	h := startFixture(t)
	town := newTown(t)
	addAgent(t, town, "a1", time.Time{}, false)
	tables, err := town.DB().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var agents *model.TableRows
	for i := range tables {
		if tables[i].Name == "agent_metadata" {
			agents = &tables[i]
		}
	}
	if agents == nil || len(agents.Rows) != 1 || agents.Columns[0] != "rowid" {
		t.Fatalf("snapshot of agent_metadata: %+v", agents)
	}
	out, err := h.Reconcile(State{Now: t0, Tables: tables})
	if err != nil || out.Threw || len(out.Actions) != 1 {
		t.Fatalf("reconcile: %+v, %v", out, err)
	}
	var a map[string]any
	if err := json.Unmarshal(out.Actions[0], &a); err != nil {
		t.Fatal(err)
	}
	if a["reason"] != "no heartbeat received since dispatch" {
		t.Errorf("a NULL last_activity_at must reach the original as null: %v", a)
	}
}
