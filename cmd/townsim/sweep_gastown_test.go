package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// townsim sweep --gastown compares every run's reconcile passes with the
// checkout's own reconcile: the repository's fixture (which dispatches
// nothing) differs from the port, and the sweep says how often.
func TestSweepGastown(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"sweep", "--agents", "30", "--duration", "2m", "--seeds", "1", "-j", "1", "--out", out,
		"--gastown", filepath.Join("..", "..", "differential", "testdata", "minigastown")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	m := regexp.MustCompile(`(\d+) reconcile passes compared, (\d+) differed`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no comparison line in:\n%s", stdout.String())
	}
	compared, _ := strconv.Atoi(m[1])
	differed, _ := strconv.Atoi(m[2])
	if compared == 0 || differed == 0 || differed > compared {
		t.Errorf("compared %d, differed %d; want the fixture's differences counted", compared, differed)
	}
	var bad bytes.Buffer
	if code := Main([]string{"sweep", "--out", filepath.Join(t.TempDir(), "r2"), "--gastown", t.TempDir()}, &bad, &bad); code != 2 {
		t.Errorf("a folder that is no checkout: exit %d, want 2", code)
	}
}
