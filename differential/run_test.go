package differential

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// shortRun is two simulated minutes of a town busy enough that the
// port's reconcile emits actions the fixture's does not (the dispatch
// circuit breaker's notify_mayor, BD-1's dispatches).
func shortRun() sim.Config {
	cfg := sim.DefaultConfig()
	cfg.Agents = 30
	cfg.Duration = 2 * time.Minute
	return cfg
}

// Compare mode leaves the run as it is (same trace hash as a plain run),
// and the fixture, which dispatches nothing, differs from the port on the
// passes where the port dispatches: each difference is saved with its
// state and both action lists.
func TestCompareModeRun(t *testing.T) {
	plain, err := sim.Run(shortRun(), sim.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := startFixture(t)
	dir := filepath.Join(t.TempDir(), "diffs")
	c := &Comparer{Host: h, Mode: ModeCompare, DiffDir: dir}
	res, err := sim.Run(shortRun(), sim.RunOptions{Reconcile: c.Reconcile})
	if err != nil {
		t.Fatal(err)
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
	if res.TraceHash != plain.TraceHash {
		t.Errorf("compare mode changed the run: trace hash %s, plain %s", res.TraceHash, plain.TraceHash)
	}
	if c.Stats.Compared != res.Ticks || c.Stats.Compared == 0 {
		t.Errorf("compared %d passes in %d ticks", c.Stats.Compared, res.Ticks)
	}
	if c.Stats.Differed == 0 || c.Stats.Agreed == 0 || c.Stats.Differed+c.Stats.Agreed+c.Stats.BothThrew != c.Stats.Compared {
		t.Fatalf("stats %+v: the fixture must agree on quiet passes and differ where the port dispatches", c.Stats)
	}
	if len(c.Differences) != c.Stats.Differed {
		t.Fatalf("%d differences saved, %d counted", len(c.Differences), c.Stats.Differed)
	}
	var rec Record
	data, err := os.ReadFile(c.Differences[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Same || rec.Mode != "compare" || rec.NowMs == 0 || len(rec.Port) == 0 || len(rec.OnlyPort) == 0 {
		t.Fatalf("saved difference %s: %+v", c.Differences[0], rec)
	}
	for _, e := range rec.OnlyPort {
		if e.Rule == "" || e.Rule == "?" {
			t.Errorf("only-port action %s not attributed to a rule", e.Action)
		}
	}
	if _, err := os.Stat(strings.TrimSuffix(c.Differences[0], ".json") + ".sqlite"); err != nil {
		t.Errorf("the difference's state: %v", err)
	}
	// The saved state replays to the same difference.
	stats, diffs, err := Replay(h, dir)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Compared != len(c.Differences) || stats.Differed != stats.Compared || len(diffs) != stats.Differed {
		t.Errorf("replaying the differences: %+v", stats)
	}
	var saved bytes.Buffer
	json.Compact(&saved, rec.Port[0])
	if string(diffs[0].Port[0]) != saved.String() {
		t.Errorf("replayed port action %s, saved %s", diffs[0].Port[0], rec.Port[0])
	}
}

// Drive mode: the original's actions are the ones applied, so the fixture
// (AG-1 and the deliberate notify_mayor only) are the only ones applied.
func TestDriveModeRun(t *testing.T) {
	h := startFixture(t)
	c := &Comparer{Host: h, Mode: ModeDrive, DiffDir: filepath.Join(t.TempDir(), "diffs")}
	res, err := sim.Run(shortRun(), sim.RunOptions{Reconcile: c.Reconcile})
	if err != nil {
		t.Fatal(err)
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
	for typ, n := range res.ActionsByType {
		if typ != reconciler.TransitionAgent && typ != reconciler.NotifyMayor {
			t.Errorf("drive mode applied %d %s actions; the fixture emits none", n, typ)
		}
	}
	if c.Stats.Differed == 0 {
		t.Errorf("the port's dispatches must show as differences: %+v", c.Stats)
	}
	plain, err := sim.Run(shortRun(), sim.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plain.TraceHash == res.TraceHash {
		t.Error("drive mode with a reconcile that differs left the run unchanged")
	}
}

// --save-states saves every pass's state; replaying them through the
// fixture compares every one.
func TestSaveStatesAndReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "states")
	s := &StateSaver{Dir: dir}
	plain, err := sim.Run(shortRun(), sim.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(shortRun(), sim.RunOptions{Reconcile: s.Reconcile})
	if err != nil || s.Err() != nil {
		t.Fatal(err, s.Err())
	}
	if res.TraceHash != plain.TraceHash {
		t.Errorf("saving states changed the run")
	}
	if s.Saved != res.Ticks {
		t.Fatalf("saved %d states in %d ticks", s.Saved, res.Ticks)
	}
	if err := CheckNewDir(dir, "state"); err == nil || !strings.Contains(err.Error(), "never overwrites") {
		t.Errorf("a folder with states must be refused: %v", err)
	}
	h := startFixture(t)
	stats, diffs, err := Replay(h, dir)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Compared != s.Saved || stats.Differed == 0 || stats.Agreed == 0 || len(diffs) != stats.Differed {
		t.Errorf("replay: %+v", stats)
	}
	if stats.Table == nil || len(stats.Table.Rows) == 0 {
		t.Fatal("no table of differences")
	}
	for _, r := range stats.Table.Rows {
		if r.Rule == "?" {
			t.Errorf("unattributed row %+v", r)
		}
	}
}

func TestListStatesErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ListStates(dir); err == nil || !strings.Contains(err.Error(), "no saved states") {
		t.Errorf("empty folder: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "x.json"), []byte("{not json"), 0o644)
	os.WriteFile(filepath.Join(dir, "x.sqlite"), nil, 0o644)
	if _, err := ListStates(dir); err == nil || !strings.Contains(err.Error(), "x.json") {
		t.Errorf("bad JSON must be named: %v", err)
	}
}
