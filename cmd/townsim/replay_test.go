package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// traceTicks reads the tick records of a trace: the time and the action
// count of tick n (1-based) at index n-1.
func traceTicks(t *testing.T, path string) (at []time.Time, actions []int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || fields[1] != "tick" {
			continue
		}
		for _, kv := range fields[2:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "at":
				ts, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					t.Fatal(err)
				}
				at = append(at, ts)
			case "actions":
				n, _ := strconv.Atoi(v)
				actions = append(actions, n)
			}
		}
	}
	return at, actions
}

// replay --at N shows tick N as the trace numbers it (its time, and for a
// tick whose actions the state before it decides, the same actions); the
// JSON keeps zero counts and gives numbers as numbers; the table prints no
// Go map syntax.
func TestReplayAtShowsTickN(t *testing.T) {
	tr := filepath.Join(t.TempDir(), "trace")
	var out, errb bytes.Buffer
	if code := Main([]string{"run", "--duration", "6m", "--progress", "0", "--trace", tr}, &out, &errb); code != 0 {
		t.Fatalf("run: %d %s", code, errb.String())
	}
	at, actions := traceTicks(t, tr)
	for _, n := range []int{1, 20, 57} {
		out.Reset()
		if code := Main([]string{"replay", "--scenario", "default", "--at", strconv.Itoa(n), "--json"}, &out, &errb); code != 0 {
			t.Fatalf("replay --at %d: %d %s", n, code, errb.String())
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		st := m["state"].(map[string]any)
		if want := at[n-1].Round(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00"); st["time"] != want {
			t.Errorf("--at %d: time %v, want tick %d's %s", n, st["time"], n, want)
		}
		if _, ok := m["events_drained"].(float64); !ok {
			t.Errorf("--at %d: events_drained %v is not a number (zero kept)", n, m["events_drained"])
		}
		acts, ok := m["actions"].([]any)
		if !ok {
			t.Errorf("--at %d: actions %v missing", n, m["actions"])
		}
		if closed, ok := st["issues"].(map[string]any)["closed"].(float64); !ok || closed < 0 {
			t.Errorf("--at %d: issues.closed %v is not a number", n, st["issues"])
		}
		// Tick 57 emits one AG-1 action that the state before it decides.
		if n == 57 && (actions[n-1] != 1 || len(acts) != 1) {
			t.Errorf("--at 57: dry run %d actions, trace %d", len(acts), actions[n-1])
		}
	}
	out.Reset()
	if code := Main([]string{"replay", "--scenario", "default", "--at", "57"}, &out, &errb); code != 0 {
		t.Fatalf("replay table: %d", code)
	}
	if strings.Contains(out.String(), "map[") || !strings.Contains(out.String(), "tick 57: time") {
		t.Errorf("replay table:\n%s", out.String())
	}
}
