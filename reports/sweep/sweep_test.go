package sweep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSweepTinyGrid runs 2 fleet sizes × 2 breaker thresholds × 2 seeds of
// 10 simulated minutes with two jobs, checks that the runs are those of a
// serial sweep (same trace hashes), and writes a report.
func TestSweepTinyGrid(t *testing.T) {
	g := DefaultGrid()
	g.Agents = []int{2, 6}
	g.Knobs = map[string][]string{"breaker_threshold": {"20", "200"}}
	g.Duration = 10 * time.Minute
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	calls := 0
	par := Run(g, Options{Jobs: 2, Progress: func(done, total int, _ *RunResult) {
		calls++
		if done != calls || total != 8 {
			t.Errorf("progress %d/%d at call %d", done, total, calls)
		}
	}})
	ser := Run(g, Options{Jobs: 1})
	if len(par) != 8 || len(ser) != 8 {
		t.Fatalf("%d and %d runs, want 8", len(par), len(ser))
	}
	for i := range par {
		if par[i].Err != nil {
			t.Fatal(par[i].Err)
		}
		if par[i].TraceHash != ser[i].TraceHash || par[i].Point.String() != ser[i].Point.String() || par[i].Seed != ser[i].Seed {
			t.Errorf("run %d: parallel %s seed %d %s, serial %s seed %d %s", i, par[i].Point, par[i].Seed, par[i].TraceHash,
				ser[i].Point, ser[i].Seed, ser[i].TraceHash)
		}
		if par[i].Ticks == 0 || par[i].Statements.P99 == 0 || len(par[i].Parts) == 0 {
			t.Errorf("run %d recorded nothing: %+v", i, par[i])
		}
		if (par[i].Seed == g.Seed) != (par[i].Timeline != nil) {
			t.Errorf("run %d seed %d: timeline kept = %v", i, par[i].Seed, par[i].Timeline != nil)
		}
	}
	a := Analyze(g, par, time.Second, 2)
	if len(a.Points) != 4 || len(a.Groups) != 2 {
		t.Fatalf("%d points, %d groups", len(a.Points), len(a.Groups))
	}
	for _, gr := range a.Groups {
		if gr.StatementsErr != nil || gr.Statements.N != 4 {
			t.Errorf("%s: statements fit %+v %v", gr.Label, gr.Statements, gr.StatementsErr)
		}
		if gr.Points[0].Point.Agents != 2 {
			t.Errorf("%s: points not sorted by agents", gr.Label)
		}
	}
	if !strings.Contains(a.Groups[1].Label, "breaker_threshold=200") {
		t.Errorf("what-if group label %q", a.Groups[1].Label)
	}
	dir := filepath.Join(t.TempDir(), "rep")
	if err := a.WriteReport(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.md", "report.html", "runs.csv", "points.csv", "compute-vs-fleet-g1.png", "statements-vs-fleet-g2.svg",
		"closed-per-hour-vs-fleet-g1.png", "compute-over-time.png", "pending-over-time.svg", "actions-over-time.png", "issues-over-time.png",
		"dashboard-206-pending-event-queue-depth.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(string(html), "data:image/png;base64,") || !strings.Contains(string(html), "WHAT-IF") {
		t.Error("report.html lacks inline images or the what-if label")
	}
	runs, _ := os.ReadFile(filepath.Join(dir, "runs.csv"))
	if n := strings.Count(string(runs), "\n"); n != 9 {
		t.Errorf("runs.csv has %d lines, want 9", n)
	}
	if err := a.WriteReport(dir); err == nil || !strings.Contains(err.Error(), "already holds a report") {
		t.Errorf("second report into %s: %v", dir, err)
	}
}

func TestGridValidateAndLoad(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		yaml, want string
	}{
		{"agents: [5, 10]\nseeds: 1\nduration: 30m\nknobs:\n  breaker_threshold: ['20', '200']\n", ""},
		{"agents: [5]\nfleet: 3\n", "fleet"},
		{"agents: [0]\n", "agents[0]"},
		{"seeds: 0\n", "seeds"},
		{"knobs:\n  warp: ['1']\n", "knobs.warp[0]"},
		{"fixed_knobs:\n  breaker_window: soon\n", "fixed_knobs.breaker_window"},
		{"duration: forever\n", "duration"},
	}
	for i, c := range cases {
		p := filepath.Join(dir, "g"+string(rune('a'+i))+".yaml")
		if err := os.WriteFile(p, []byte(c.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := LoadGrid(p)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.yaml, err)
		case c.want == "" && (len(g.Agents) != 2 || g.Duration != 30*time.Minute || len(g.Points()) != 4):
			t.Errorf("%q: loaded %+v", c.yaml, g)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: error %v, want one naming %q", c.yaml, err, c.want)
		}
	}
}
