package scenarios

import (
	"reflect"
	"testing"
)

// A campaign's case is a pure function of (campaign, index): drawing it
// twice, in any order, gives the same configuration; different indices
// give different seeds; the swarm turns faults on and heals them.
func TestCampaignCaseIsPure(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    Campaign
		kind []string // the kinds of cases 0..len-1
	}{
		{"generated", Campaign{Seed: 7, Generate: true}, []string{CaseGenerated, CaseGenerated, CaseGenerated}},
		{"named and generated", Campaign{Seed: 7, Scenarios: []string{"swarm", "idle-town"}, Generate: true},
			[]string{CaseNamed, CaseNamed, CaseGenerated, CaseNamed}},
		{"named with swarm", Campaign{Seed: 9, Scenarios: []string{"healthy-steady"}, Swarm: true}, []string{CaseNamed, CaseNamed}},
		{"generated with swarm", Campaign{Seed: 9, Generate: true, Swarm: true}, []string{CaseGenerated, CaseGenerated}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seeds := map[uint64]bool{}
			for i := len(tt.kind) - 1; i >= 0; i-- {
				a, err := tt.c.Case(i)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := tt.c.Case(i)
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("case %d drawn twice differs", i)
				}
				if a.Kind != tt.kind[i] {
					t.Errorf("case %d is %s, want %s", i, a.Kind, tt.kind[i])
				}
				if seeds[a.Config.Seed] {
					t.Errorf("case %d repeats seed %d", i, a.Config.Seed)
				}
				seeds[a.Config.Seed] = true
				if err := a.Config.Validate(); err != nil {
					t.Errorf("case %d: %v", i, err)
				}
				if tt.c.Swarm && (!a.Config.Faults.Swarm || a.Config.Faults.Heal <= 0) {
					t.Errorf("case %d: swarm %v heal %v, want a swarm that heals", i, a.Config.Faults.Swarm, a.Config.Faults.Heal)
				}
			}
		})
	}
	if _, err := (Campaign{Seed: 1}).Case(0); err == nil {
		t.Error("a campaign with no source of cases drew a case")
	}
	if _, err := ParseScenarioList("swarm,no-such"); err == nil {
		t.Error("ParseScenarioList accepted an unknown name")
	}
}
