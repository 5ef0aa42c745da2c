package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Bad use of `townsim check` exits 2 with a message naming the flag.
func TestCheckBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--rapid", "-1"}, "--rapid: must be >= 0"},
		{[]string{"--seed", "0"}, "--seed: must be >= 1"},
		{[]string{"--scenarios", "no-such"}, `--scenarios: no scenario is named "no-such"`},
		{[]string{"--scenarios", "default,default"}, `scenario "default" is named twice`},
		{[]string{"--scenarios", "all,default"}, `"all" must stand alone`},
		{[]string{"--scenarios", "none", "--rapid", "0"}, "nothing to run"},
		{[]string{"--duration-cap", "-1m"}, "--duration-cap: must be >= 0"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var out, errb bytes.Buffer
		if code := Main(append([]string{"check"}, tt.args...), &out, &errb); code != 2 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("check %v: exit %d, stderr %q; want 2 and %q", tt.args, code, errb.String(), tt.want)
		}
	}
}

// `townsim check` on one short scenario passes and prints its JSON
// verdict, the form `townsim mutate` reads.
func TestCheckOneShortScenario(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main([]string{"check", "--scenarios", "town-deleted", "--rapid", "0", "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q, stdout %s", code, errb.String(), out.String())
	}
	var rep checkReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if !rep.Passed || len(rep.Cases) != 1 || rep.Cases[0].Case != "town-deleted" || !rep.Cases[0].Passed || rep.Cases[0].Ticks == 0 {
		t.Errorf("report %+v", rep)
	}
}
