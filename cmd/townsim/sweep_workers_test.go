package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/procpool"
	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/reports/dashboard"
	"github.com/townsim/townsim/reports/sweep"
)

// sweepPool starts n `townsim _worker sweep` processes (the test binary,
// which is townsim when TOWNSIM_TEST_MAIN is set).
func sweepPool(t testing.TB, n int) *procpool.Pool {
	t.Helper()
	self, err := procpool.Self(workerCommand, "sweep")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := procpool.Start(procpool.Options{Workers: n, Command: self, Stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

// withoutWallClock is a run's result with every figure measured in real
// time zeroed (compute per tick, the run's wall and CPU time, the
// timeline's compute), and its dashboard replaced by the panels that do
// not read the wall clock (all but 205), as JSON.
func withoutWallClock(t *testing.T, r sweep.RunResult) string {
	t.Helper()
	r.ComputeMs, r.MeanComputeMs, r.Wall, r.CPU = reports.Quantiles{}, 0, 0, 0
	if r.Timeline != nil {
		tl := *r.Timeline
		tl.Bucket = append([]sweep.Bucket(nil), tl.Bucket...)
		for i := range tl.Bucket {
			tl.Bucket[i].ComputeMs, tl.Bucket[i].MaxComputeMs = 0, 0
		}
		r.Timeline = &tl
	}
	var panels []dashboard.Figures
	if r.Dashboard != nil {
		for _, p := range dashboard.Reconciler {
			if p.ID != 205 {
				panels = append(panels, r.Dashboard.Compute(p))
			}
		}
	}
	r.Dashboard = nil
	b, err := json.Marshal(struct {
		Point, Err string
		Run        sweep.RunResult
		Panels     []dashboard.Figures
	}{r.Point.String(), errText(r.Err), r, panels})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// runsCSV reads a report's runs.csv with its real-time columns blanked.
func runsCSV(t *testing.T, dir string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "runs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for c, h := range rows[0] {
		if strings.HasPrefix(h, "compute_") || h == "wall_seconds" {
			for _, r := range rows[1:] {
				r[c] = ""
			}
		}
	}
	return rows
}

// The same sweep made in this process one run at a time and by two
// worker processes gives the same runs (every figure but the real-time
// ones, timelines and dashboards included) and the same runs.csv.
func TestSweepWorkersMatchInProcess(t *testing.T) {
	t.Setenv("TOWNSIM_TEST_MAIN", "1")
	g := sweep.DefaultGrid()
	g.Agents = []int{2, 5}
	g.Knobs = map[string][]string{"breaker_threshold": {"20", "200"}}
	g.Duration = 10 * time.Minute
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	local := sweep.Run(g, sweep.Options{Jobs: 1})
	pool := sweepPool(t, 2)
	defer pool.Close()
	remote := sweep.Run(g, sweep.Options{Jobs: 2, Exec: pool})
	if len(local) != 8 || len(remote) != 8 {
		t.Fatalf("%d and %d runs, want 8", len(local), len(remote))
	}
	for i := range local {
		if local[i].Err != nil || remote[i].Err != nil {
			t.Fatalf("run %d: %v / %v", i, local[i].Err, remote[i].Err)
		}
		if remote[i].CPU <= 0 || local[i].Ticks == 0 {
			t.Errorf("run %d: worker CPU %s, %d ticks", i, remote[i].CPU, local[i].Ticks)
		}
		if (remote[i].Dashboard != nil) != (remote[i].Seed == g.Seed) {
			t.Errorf("run %d seed %d: dashboard kept = %v", i, remote[i].Seed, remote[i].Dashboard != nil)
		}
		if a, b := withoutWallClock(t, local[i]), withoutWallClock(t, remote[i]); a != b {
			t.Errorf("run %d differs:\nin process %s\nworkers    %s", i, a, b)
		}
	}
	dir := t.TempDir()
	for name, runs := range map[string][]sweep.RunResult{"local": local, "remote": remote} {
		if err := sweep.Analyze(g, runs, time.Second, 2).WriteReport(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := runsCSV(t, filepath.Join(dir, "local")), runsCSV(t, filepath.Join(dir, "remote")); !reflect.DeepEqual(a, b) {
		t.Errorf("runs.csv differs:\n%v\n%v", a, b)
	}
}

// A worker that cannot make a run (a task naming no point of its grid)
// answers with an error.
func TestSweepWorkerBadTask(t *testing.T) {
	h := sweep.Handler(nil)
	g := sweep.DefaultGrid()
	raw, _ := json.Marshal(sweep.Task{Grid: g, Point: len(g.Points()), Seed: 1})
	if _, err := h(raw); err == nil || !strings.Contains(err.Error(), "not one of the grid's") {
		t.Errorf("point out of range: %v", err)
	}
	if _, err := h(json.RawMessage(`{"grid": {"Agents": []}}`)); err == nil || !strings.Contains(err.Error(), "agents") {
		t.Errorf("empty grid: %v", err)
	}
}

// A sweep whose worker dies in the middle of a run gets that run as a
// failed run (the error names the worker), not a hang, and goes on.
func TestSweepWorkerDies(t *testing.T) {
	pool, err := procpool.Start(procpool.Options{Workers: 1, Stderr: os.Stderr,
		Command: func() *exec.Cmd { return exec.Command("sh", "-c", "read task; exit 3") }})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	g := sweep.DefaultGrid()
	g.Agents, g.Seeds = []int{2}, 2
	runs := sweep.Run(g, sweep.Options{Jobs: 1, Exec: pool})
	if len(runs) != 2 {
		t.Fatalf("%d runs", len(runs))
	}
	for _, r := range runs {
		if !r.Done() || r.Err == nil || !strings.Contains(r.Err.Error(), "worker") {
			t.Errorf("seed %d: status %q, error %v; want a failed run naming the worker", r.Seed, r.Status, r.Err)
		}
	}
}
