package model

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestMain(m *testing.M) {
	SetGCPolicy()
	os.Exit(m.Run())
}

// The policy sets GCPercent, and leaves the runtime alone when GOGC or
// GOMEMLIMIT is set.
func TestSetGCPolicy(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		name, key, value string
		want             int
	}{
		{"no environment", "", "", GCPercent},
		{"GOGC set", "GOGC", "150", 100},
		{"GOGC=off set", "GOGC", "off", 100},
		{"GOMEMLIMIT set", "GOMEMLIMIT", "1GiB", 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// t.Setenv then Unsetenv: the variable is absent in this
			// subtest unless it sets it, and restored afterwards.
			for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			if tc.key != "" {
				t.Setenv(tc.key, tc.value)
			}
			debug.SetGCPercent(100)
			p := SetGCPolicy()
			if got := debug.SetGCPercent(100); got != tc.want || p.Applied != (tc.key == "") {
				t.Errorf("GC percent %d, applied %v; want %d, %v", got, p.Applied, tc.want, tc.key == "")
			}
		})
	}
}
