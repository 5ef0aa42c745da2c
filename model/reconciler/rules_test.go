package reconciler

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
)

// rulesAsserted collects every rule id some test asserted an emitted
// action carries; TestMain checks it covers RuleIDs after a full run.
var rulesAsserted = struct {
	sync.Mutex
	ids map[string]bool
}{ids: map[string]bool{}}

// assertRules checks that the actions carry exactly the given rule ids, in
// order, and records those ids as covered.
func assertRules(t testing.TB, as []Action, rules ...string) {
	t.Helper()
	if len(as) != len(rules) {
		t.Errorf("%d actions, %d rule ids to check: %v", len(as), len(rules), rules)
		return
	}
	for i, a := range as {
		if a.Rule != rules[i] {
			t.Errorf("action %d %s: Rule = %q, want %q", i, a, a.Rule, rules[i])
			continue
		}
		rulesAsserted.Lock()
		rulesAsserted.ids[a.Rule] = true
		rulesAsserted.Unlock()
	}
}

// repeatRule is n copies of rule.
func repeatRule(rule string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = rule
	}
	return out
}

// TestRuleIDs: the ids are distinct and non-empty.
func TestRuleIDs(t *testing.T) {
	seen := map[string]bool{}
	for _, id := range RuleIDs {
		if id == "" || seen[id] {
			t.Errorf("RuleIDs: empty or duplicate id %q", id)
		}
		seen[id] = true
	}
}

// TestMain runs the tests and, when every test ran (no -run, -skip or
// -list), checks that each id of RuleIDs was asserted on an emitted
// action by some rule test.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && !filtered() {
		var missing []string
		for _, id := range RuleIDs {
			if !rulesAsserted.ids[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: rule ids no rule test saw emitted: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}

// filtered reports whether the test run was restricted to some tests.
func filtered() bool {
	for _, name := range []string{"test.run", "test.skip", "test.list"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return true
		}
	}
	return false
}
