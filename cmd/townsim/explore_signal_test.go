package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/townsim/townsim/reports/explore"
)

// Ctrl-C during a campaign: the first stops starting cases and writes the
// report of the cases that ended (exit 130, marked interrupted); a second
// quits at once, also with 130 (whether the report was written by then is
// a race with the first, so it is not asserted).
func TestExploreCtrlC(t *testing.T) {
	t.Setenv("TOWNSIM_TEST_MAIN", "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		signals int
		report  bool
	}{
		{"once", 1, true},
		{"twice", 2, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			cmd := exec.Command(exe, "explore", "--budget", "1h", "--scenarios", "fresh-town", "-j", "1", "--out", out)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait for the first case to end, then interrupt.
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "1 cases:") {
					break
				}
			}
			for range tt.signals {
				cmd.Process.Signal(syscall.SIGINT)
			}
			go func() {
				for sc.Scan() {
				}
			}()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(2 * time.Minute):
				cmd.Process.Kill()
				t.Fatal("the campaign did not stop within 2 minutes of Ctrl-C")
			}
			if code := cmd.ProcessState.ExitCode(); code != 130 {
				t.Errorf("exit %d, want 130", code)
			}
			if !tt.report {
				return
			}
			r, err := explore.ReadDir(out)
			switch {
			case err != nil:
				t.Fatalf("no report after Ctrl-C: %v", err)
			case !r.Interrupted || len(r.CaseResults) < 1:
				t.Errorf("report: interrupted %v, %d cases; want true and at least the first", r.Interrupted, len(r.CaseResults))
			}
		})
	}
}
