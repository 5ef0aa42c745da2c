package scenarios

import (
	"path/filepath"
	"testing"
)

// TestCampaignRepros replays the three failures a 30-minute explore
// campaign found (seed 1717), shrunk, each explained: two by production
// findings whose conditions they meet, one by the checker judging a
// heartbeat that reached the Town while the tick ran (after its rules
// read the agent) — that tick's idling is no false death.
func TestCampaignRepros(t *testing.T) {
	for _, tc := range []struct {
		file, finding, fault string
	}{
		// AG-4 unhooks the idle refinery while RQ-6 re-dispatches it in the
		// same pass; the dispatch sets it working without a hook.
		{"ag4-rq6-split-hook.yaml", "ag4-rq6-split-refinery-hook", "reconciler/apply-action"},
		// A heartbeat reaches the Town during the tick that idles its agent
		// for three lost heartbeats: the rules read the agent before it.
		{"heartbeat-during-tick.yaml", "", "heartbeat_lost"},
		// RQ-5 pops a PR-less review beside a PR-backed merge request that
		// waits in progress for its merge.
		{"review-beside-pr-mr.yaml", "invariant-3-review-beside-pr-mr", "town/config-read"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s, err := LoadFile(filepath.Join("testdata", "repro", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.Check(CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Result.World.Faults[tc.fault] == 0 {
				t.Fatalf("no %s fault fired: the case no longer takes the path it was found on", tc.fault)
			}
			for _, v := range rep.Failures {
				t.Errorf("%s", v)
			}
			if tc.finding != "" && rep.Accepted[tc.finding] == 0 {
				t.Errorf("finding %s explained nothing (accepted: %v)", tc.finding, rep.Accepted)
			}
		})
	}
}
