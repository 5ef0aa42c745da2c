package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// --cpuprofile writes a CPU profile pprof can read, and the run it
// profiles is the same run (same trace hash) as without it.
func TestRunCPUProfile(t *testing.T) {
	run := func(extra ...string) string {
		var out, errb bytes.Buffer
		args := append([]string{"run", "--seed", "3", "--duration", "20m", "--json", "--progress", "0"}, extra...)
		if code := Main(args, &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m["trace_hash"].(string)
	}
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	with := run("--cpuprofile", path)
	without := run()
	if with != without {
		t.Errorf("trace hash %s with --cpuprofile, %s without", with, without)
	}
	// A pprof profile is a gzip-compressed protocol buffer whose sample
	// types name "cpu" (runtime/pprof's CPU profile).
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("not a gzip-compressed profile: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("cpu")) || !bytes.Contains(raw, []byte("nanoseconds")) {
		t.Errorf("profile of %d bytes names no cpu/nanoseconds sample type", len(raw))
	}
}
