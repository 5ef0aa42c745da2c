package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/townsim/townsim/reports/gate"
)

// The flags of --against refuse what does not go together.
func TestGateAgainstFlags(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "budgets.yaml", quickBudgets)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--against", "HEAD~1", "--update-baseline"}, "--against and --update-baseline do not go together"},
		{[]string{"--pairs", "8"}, "need --against REV"},
		{[]string{"--test-extra-work", "0.25"}, "need --against REV"},
		{[]string{"--against", "HEAD", "--pairs", "-1"}, "--pairs: must be at least 1"},
		{[]string{"--scenarios", "quick,nope"}, `unknown budgets entry "nope" (entries of ` + good + `: quick)`},
	} {
		var out, errb bytes.Buffer
		if code := Main(append([]string{"gate", "--budgets", good}, c.args...), &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, errb.String(), c.want)
		}
	}
}

// A revision the clone does not have (a shallow clone's HEAD~1) falls
// back to the stored baseline and says so, on stderr and in the report.
func TestGateAgainstFallsBack(t *testing.T) {
	dir := t.TempDir()
	budgets := writeFile(t, dir, "budgets.yaml", quickBudgets)
	var out, errb bytes.Buffer
	if code := Main([]string{"gate", "--budgets", budgets, "--update-baseline"}, &out, &errb); code != 0 {
		t.Fatalf("update: exit %d\n%s", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	code := Main([]string{"gate", "--budgets", budgets, "--against", "no-such-revision-4f2a"}, &out, &errb)
	const note = "judged wall-clock against the stored baseline"
	if code != 0 || !strings.Contains(errb.String(), note) || !strings.Contains(out.String(), note) || !strings.Contains(out.String(), "gate: PASS") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
}

// --runs 1 against a stored baseline of 2 runs cannot be judged: the gate
// says UNDECIDED and exits 3; require_verdict makes it a failure.
func TestGateUndecidedExitStatus(t *testing.T) {
	dir := t.TempDir()
	budgets := writeFile(t, dir, "budgets.yaml", quickBudgets)
	var out, errb bytes.Buffer
	if code := Main([]string{"gate", "--budgets", budgets, "--update-baseline"}, &out, &errb); code != 0 {
		t.Fatalf("update: exit %d\n%s", code, errb.String())
	}
	out.Reset()
	if code := Main([]string{"gate", "--budgets", budgets, "--runs", "1"}, &out, &errb); code != gate.ExitUndecided ||
		!strings.Contains(out.String(), "gate: UNDECIDED") || !strings.Contains(out.String(), "quick: compute_ms_per_tick_p50") {
		t.Fatalf("--runs 1: exit %d\n%s", code, out.String())
	}
	strict := writeFile(t, dir, "strict.yaml", "require_verdict: true\n"+quickBudgets)
	out.Reset()
	if code := Main([]string{"gate", "--budgets", strict, "--runs", "1"}, &out, &errb); code != 1 || !strings.Contains(out.String(), "gate: FAIL") {
		t.Fatalf("require_verdict: exit %d\n%s", code, out.String())
	}
}

// --update-baseline --scenarios re-pins the entries named and keeps the
// others' baselines as they were.
func TestGateUpdateSomeScenarios(t *testing.T) {
	dir := t.TempDir()
	two := quickBudgets + "  - name: other\n    scenario: stuck-agents\n    duration: 3m\n"
	budgets := writeFile(t, dir, "budgets.yaml", quickBudgets)
	var out, errb bytes.Buffer
	if code := Main([]string{"gate", "--budgets", budgets, "--update-baseline"}, &out, &errb); code != 0 {
		t.Fatalf("update: exit %d\n%s", code, errb.String())
	}
	baseline := filepath.Join(dir, "baseline.yaml")
	before, _ := os.ReadFile(baseline)
	writeFile(t, dir, "budgets.yaml", two)
	errb.Reset()
	if code := Main([]string{"gate", "--budgets", budgets, "--update-baseline", "--scenarios", "other"}, &out, &errb); code != 0 ||
		!strings.Contains(errb.String(), "1 scenarios, 4 runs each (1 kept from the old baseline)") {
		t.Fatalf("partial update: exit %d\n%s", code, errb.String())
	}
	after, _ := os.ReadFile(baseline)
	oldQuick := string(before)[strings.Index(string(before), "  - name: quick"):]
	if !strings.Contains(string(after), oldQuick) || !strings.Contains(string(after), "name: other") {
		t.Errorf("the quick entry changed or other is missing:\n%s", after)
	}
	out.Reset()
	if code := Main([]string{"gate", "--budgets", budgets}, &out, &errb); code != 0 {
		t.Errorf("judging both: exit %d\n%s", code, out.String())
	}
}

// A child run is measured by the kernel's CPU accounting and its trace
// hash read from its JSON summary.
func TestRunChild(t *testing.T) {
	s, err := runChild("/bin/sh", []string{"-c", `i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo '{"trace_hash": "abc"}'`}, nil)
	if err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	if s.TraceHash != "abc" || s.CPU <= 0 || s.Wall <= 0 {
		t.Errorf("sample %+v", s)
	}
	if _, err := runChild("/bin/sh", []string{"-c", "echo oops >&2; exit 3"}, nil); err == nil || !strings.Contains(err.Error(), "oops") {
		t.Errorf("a failing child: %v", err)
	}
}
