package procpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test binary is its own worker when PROCPOOL_TEST_WORKER is set.
func TestMain(m *testing.M) {
	if os.Getenv("PROCPOOL_TEST_WORKER") == "1" {
		if err := Serve(os.Stdin, os.Stdout, testHandler); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testTask is what the test workers are asked.
type testTask struct {
	Op string `json:"op"`
	N  int    `json:"n"`
}

func testHandler(raw json.RawMessage) (any, error) {
	var t testTask
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	switch t.Op {
	case "square":
		return map[string]int{"n": t.N * t.N, "pid": os.Getpid()}, nil
	case "fail":
		return nil, fmt.Errorf("task %d failed", t.N)
	case "panic":
		panic("boom")
	case "exit":
		os.Exit(3)
	case "sleep":
		time.Sleep(time.Duration(t.N) * time.Millisecond)
		return t.N, nil
	}
	return nil, fmt.Errorf("unknown op %q", t.Op)
}

func startTestPool(t *testing.T, n int) *Pool {
	t.Helper()
	self, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(Options{Workers: n, Command: func() *exec.Cmd {
		c := self()
		c.Env = append(os.Environ(), "PROCPOOL_TEST_WORKER=1")
		return c
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Tasks run in the worker processes (not the test's), every answer
// matches its task whatever the order workers finish in, and both workers
// take tasks.
func TestPoolRunsTasksInProcesses(t *testing.T) {
	p := startTestPool(t, 2)
	const n = 40
	got := make([]int, n)
	pids := map[int]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < n; i += 4 {
				var r struct{ N, Pid int }
				if _, err := p.Do(context.Background(), testTask{Op: "square", N: i}, &r); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got[i] = r.N
				pids[r.Pid] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i, v := range got {
		if v != i*i {
			t.Errorf("task %d answered %d, want %d", i, v, i*i)
		}
	}
	if pids[os.Getpid()] || len(pids) != 2 {
		t.Errorf("tasks ran in processes %v; want the 2 workers, not the test (%d)", pids, os.Getpid())
	}
}

// A task's error, a panic and a dying worker fail that task only; the pool
// replaces a dead worker and goes on; a cancelled task returns at once.
func TestPoolFailures(t *testing.T) {
	p := startTestPool(t, 1)
	ctx := context.Background()
	for _, tt := range []struct {
		task testTask
		want string
	}{
		{testTask{Op: "fail", N: 7}, "task 7 failed"},
		{testTask{Op: "panic"}, "the task panicked: boom"},
		{testTask{Op: "exit"}, "ended without an answer"},
	} {
		_, err := p.Do(ctx, tt.task, nil)
		if err == nil || !contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.task.Op, err, tt.want)
		}
		var r struct{ N int }
		if _, err := p.Do(ctx, testTask{Op: "square", N: 3}, &r); err != nil || r.N != 9 {
			t.Fatalf("after %s: square 3 = %d, %v", tt.task.Op, r.N, err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Do(cctx, testTask{Op: "sleep", N: 10000}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled task: %v after %v", err, time.Since(start))
	}
	var n int
	if _, err := p.Do(ctx, testTask{Op: "sleep", N: 1}, &n); err != nil || n != 1 {
		t.Errorf("after a cancel: %d, %v", n, err)
	}
	p.Close()
	if _, err := p.Do(ctx, testTask{Op: "square"}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close: %v, want ErrClosed", err)
	}
	if _, err := Start(Options{Workers: 0, Command: func() *exec.Cmd { return exec.Command("true") }}); err == nil {
		t.Error("Start accepted 0 workers")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
