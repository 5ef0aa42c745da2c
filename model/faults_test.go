package model

import "testing"

// Failpoint terms bound how often a point fires ("2*return(true)"); the
// decider is asked only while the terms are active.
func TestFaultTermsCount(t *testing.T) {
	asked := 0
	f := NewFaults(func(string, string) bool { asked++; return true })
	if err := f.Enable(FPReconcile, "2*return(true)"); err != nil {
		t.Fatal(err)
	}
	town, err := Open(Options{TownID: "town-1", Faults: f})
	if err != nil {
		t.Fatal(err)
	}
	defer town.Close()
	fired := 0
	for range 5 {
		if town.Fault(FPReconcile, "") != nil {
			fired++
		}
	}
	if fired != 2 || asked != 2 {
		t.Errorf("fired %d times, decider asked %d times; want 2 and 2", fired, asked)
	}
	if town.Fault(FPDrainRead, "") != nil {
		t.Error("a point that is not enabled fired")
	}
}
