package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds townsim once for the signal tests.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "townsim-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "townsim")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, binPath)
	}
	return binPath
}

// A signal during a long setup (the initial fill of a 10,000-agent fleet)
// is noticed: the run stops, prints the partial summary and exits 130.
// Sent twice, the second quits at once, also with 130.
func TestSignalStopsALongRun(t *testing.T) {
	bin := binary(t)
	cases := []struct {
		name    string
		signals []os.Signal
		summary bool
	}{
		{"SIGINT", []os.Signal{os.Interrupt}, true},
		{"SIGTERM", []os.Signal{syscall.SIGTERM}, true},
		{"SIGINT twice", []os.Signal{os.Interrupt, os.Interrupt}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, "run", "--agents", "10000", "--duration", "2h", "--json", "--progress", "0")
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			time.Sleep(time.Second)
			for _, s := range c.signals {
				if err := cmd.Process.Signal(s); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 60 s after %v; stderr:\n%s", c.signals, errb.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != 130 {
				t.Fatalf("exit %d, want 130; stderr:\n%s", code, errb.String())
			}
			if !strings.Contains(errb.String(), "stopping after the current event") {
				t.Fatalf("the first signal was not acknowledged:\n%s", errb.String())
			}
			if !c.summary {
				return
			}
			var m map[string]any
			if err := json.Unmarshal(out.Bytes(), &m); err != nil {
				t.Fatalf("no summary: %v\n%s", err, out.String())
			}
			if m["interrupted"] != true || m["simulated_seconds"].(float64) >= 7200 {
				t.Fatalf("summary does not show the interruption: %v", m)
			}
		})
	}
}

// The second signal exits at once with 130, whatever the run is doing.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	defer func(n func(chan<- os.Signal), s func(chan<- os.Signal), e func(int)) {
		notifyInterrupt, stopSignals, exitNow = n, s, e
	}(notifyInterrupt, stopSignals, exitNow)
	var sigs chan<- os.Signal
	notifyInterrupt = func(c chan<- os.Signal) { sigs = c }
	stopSignals = func(chan<- os.Signal) {}
	exited := make(chan int, 1)
	exitNow = func(code int) { exited <- code }
	var errb bytes.Buffer
	w := &lockedWriter{w: &errb}
	in := watchInterrupts(w)
	defer in.close()
	if in.requested() {
		t.Fatal("stop requested before any signal")
	}
	sigs <- os.Interrupt
	deadline := time.Now().Add(10 * time.Second)
	for !in.requested() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !in.requested() {
		t.Fatal("first signal not noticed")
	}
	select {
	case code := <-exited:
		t.Fatalf("exited (%d) after one signal", code)
	default:
	}
	sigs <- os.Interrupt
	select {
	case code := <-exited:
		if code != 130 {
			t.Fatalf("exit code %d, want 130", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second signal did not exit")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !strings.Contains(errb.String(), "quitting at once") {
		t.Fatalf("stderr %q", errb.String())
	}
}
