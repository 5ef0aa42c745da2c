package model

import "testing"

// BenchmarkFault is the cost of one failpoint evaluation: with no Faults
// (the default), with a registry where the point is not enabled, and
// enabled with a decider that says no.
func BenchmarkFault(b *testing.B) {
	open := func(f *Faults) *Town {
		t, err := Open(Options{TownID: "town-1", Faults: f})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { t.Close() })
		return t
	}
	no := func(string, string) bool { return false }
	enabled := NewFaults(no)
	if err := enabled.Enable(FPReconcile, "return(true)"); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		t    *Town
	}{
		{"no-faults", open(nil)},
		{"not-enabled", open(NewFaults(no))},
		{"enabled", open(enabled)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if tc.t.Fault(FPReconcile, "") != nil {
					b.Fatal("fired")
				}
			}
		})
	}
}
