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
// nothing) differs from the port, and the sweep says how often, the same
// in this process (-j 0) and in a worker process (-j 1).
func TestSweepGastown(t *testing.T) {
	t.Setenv("TOWNSIM_TEST_MAIN", "1") // -j 1: the test binary is the worker's townsim
	var counts []string
	for _, jobs := range []string{"0", "1"} {
		out := filepath.Join(t.TempDir(), "report")
		var stdout, stderr bytes.Buffer
		code := Main([]string{"sweep", "--agents", "30", "--duration", "2m", "--seeds", "1", "-j", jobs, "--out", out,
			"--gastown", filepath.Join("..", "..", "differential", "testdata", "minigastown")}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("-j %s: exit %d: %s", jobs, code, stderr.String())
		}
		m := regexp.MustCompile(`(\d+) reconcile passes compared, (\d+) differed`).FindStringSubmatch(stdout.String())
		if m == nil {
			t.Fatalf("-j %s: no comparison line in:\n%s", jobs, stdout.String())
		}
		compared, _ := strconv.Atoi(m[1])
		differed, _ := strconv.Atoi(m[2])
		if compared == 0 || differed == 0 || differed > compared {
			t.Errorf("-j %s: compared %d, differed %d; want the fixture's differences counted", jobs, compared, differed)
		}
		if d, _ := filepath.Glob(filepath.Join(out+"-gastown-diffs", "1", "diff-*.json")); len(d) != differed {
			t.Errorf("-j %s: %d differences saved under %s-gastown-diffs/1, %d counted", jobs, len(d), out, differed)
		}
		counts = append(counts, m[0])
	}
	if counts[0] != counts[1] {
		t.Errorf("in this process %q, in a worker %q", counts[0], counts[1])
	}
	var bad bytes.Buffer
	if code := Main([]string{"sweep", "--out", filepath.Join(t.TempDir(), "r2"), "--gastown", t.TempDir()}, &bad, &bad); code != 2 {
		t.Errorf("a folder that is no checkout: exit %d, want 2", code)
	}
}
