package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/townsim/townsim/reports/sweep"
)

// csvByKey reads a sweep's runs.csv: status and trace hash by "agents seed".
func csvByKey(t *testing.T, path string) map[string][2]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	out := map[string][2]string{}
	for _, r := range rows[1:] {
		out[r[col["agents"]]+" "+r[col["seed"]]] = [2]string{r[col["status"]], r[col["trace_hash"]]}
	}
	return out
}

// waitFinished waits until a sweep has finished a run (in its journal).
func waitFinished(out string) {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(filepath.Join(out, sweep.FinishedFile))
		if bytes.Count(b, []byte("\n")) >= 1 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A real SIGINT to a sweep: it starts no new run, abandons the running
// ones, writes the partial report of the finished runs and exits 130;
// --resume runs the rest without re-running the finished ones, and the
// result is the uninterrupted sweep's, run for run. A second SIGINT exits
// at once, keeping the finished runs' journal.
func TestSweepInterruptAndResume(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "sw")
	// A 40-minute run now takes about 0.4 s on an idle machine: progress
	// every 100 ms shows each running run at least once before it ends.
	args := []string{"sweep", "--agents", "2,4", "--seeds", "3", "--duration", "40m", "-j", "2", "--progress-every", "100ms"}
	cmd := exec.Command(bin, append(args, "--out", out)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the first run has finished (it is in the journal).
	waitFinished(out)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d (%v), want 130; stderr:\n%s", code, err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "starting no new runs and abandoning the running ones") {
		t.Errorf("the interrupt was not acknowledged:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "running: ") {
		t.Errorf("no progress of the running runs:\n%s", stderr.String())
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil || !strings.Contains(string(md), "**PARTIAL:**") {
		t.Fatalf("partial report: %v\n%s", err, md)
	}
	partial := csvByKey(t, filepath.Join(out, "runs.csv"))
	done := 0
	for k, v := range partial {
		switch v[0] {
		case "done":
			done++
			if v[1] == "" {
				t.Errorf("%s: done without a trace hash", k)
			}
		case "abandoned", "not started":
		default:
			t.Errorf("%s: status %q", k, v[0])
		}
	}
	if len(partial) != 6 || done == 0 || done == 6 {
		t.Fatalf("partial runs.csv: %d rows, %d done: %v", len(partial), done, partial)
	}

	// Resume: the finished runs are kept (not run again), the rest run.
	res := exec.Command(bin, "sweep", "--resume", out, "--progress-every", "1s")
	var rerr bytes.Buffer
	res.Stderr = &rerr
	if err := res.Run(); err != nil {
		t.Fatalf("resume: %v\n%s", err, rerr.String())
	}
	if want := "runs finished there and are kept"; !strings.Contains(rerr.String(), want) {
		t.Errorf("resume stderr lacks %q:\n%s", want, rerr.String())
	}
	resumed := csvByKey(t, filepath.Join(out+"-resumed", "runs.csv"))
	for k, v := range partial {
		if v[0] == "done" && resumed[k] != v {
			t.Errorf("%s: finished run %v became %v", k, v, resumed[k])
		}
		if run := strings.Replace(k, " ", " agents seed ", 1); v[0] == "done" &&
			(strings.Contains(rerr.String(), run+" at ") || strings.Contains(rerr.String(), run+" in a worker")) {
			t.Errorf("%s: run again on resume:\n%s", k, rerr.String())
		}
	}
	// The uninterrupted sweep gives the same runs.
	full := filepath.Join(dir, "full")
	if b, err := exec.Command(bin, append(args, "--out", full)...).CombinedOutput(); err != nil {
		t.Fatalf("full sweep: %v\n%s", err, b)
	}
	want := csvByKey(t, filepath.Join(full, "runs.csv"))
	for k, v := range want {
		if resumed[k] != v {
			t.Errorf("%s: resumed %v, uninterrupted %v", k, resumed[k], v)
		}
	}
	// A resume of a folder whose grid flags are given again is refused.
	if b, err := exec.Command(bin, "sweep", "--resume", out, "--agents", "5", "--out", filepath.Join(dir, "x")).CombinedOutput(); err == nil ||
		!strings.Contains(string(b), "drop --agents") {
		t.Errorf("--resume with --agents: %v\n%s", err, b)
	}

	// Twice: out at once, the journal kept.
	out2 := filepath.Join(dir, "sw2")
	cmd = exec.Command(bin, append(args, "--out", out2)...)
	stdout.Reset()
	errs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = &stdout, errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFinished(out2) // the report then has charts to draw: the second signal comes while it does
	cmd.Process.Signal(os.Interrupt)
	// Two signals sent before the first is taken would merge into one (on
	// a loaded machine 20 ms is not enough): the second goes once the
	// first is acknowledged.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) &&
		!strings.Contains(errs.String(), "starting no new runs"); {
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	start := time.Now()
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 || time.Since(start) > 10*time.Second {
		t.Fatalf("second SIGINT: exit %d after %s; stderr:\n%s", code, time.Since(start), errs.String())
	}
	if !strings.Contains(errs.String(), "quitting at once") || strings.Contains(stdout.String(), "report in") {
		t.Errorf("stderr:\n%s", errs.String())
	}
	if _, err := os.Stat(filepath.Join(out2, sweep.FinishedFile)); err != nil {
		t.Error(err)
	}
}

// syncBuffer is a buffer a test may read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
