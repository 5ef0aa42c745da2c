package scenarios

import (
	"path/filepath"
	"testing"
)

// TestStartTimeoutRaceIsNoFalseDeath replays a drawn case whose refinery
// dispatch timed out on the Town's side (60 s) while the container started
// the process, which heartbeated before the tick ended. Production leaves
// the agent working for exactly this race (scheduling.ts dispatchAgent),
// as the port does; the dispatch was decided before that process existed,
// so no property may call it a false death.
func TestStartTimeoutRaceIsNoFalseDeath(t *testing.T) {
	s, err := LoadFile(filepath.Join("testdata", "repro", "start-timeout-race.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Result.World.Faults["start_timeout"]; n == 0 {
		t.Fatalf("no start timed out: the case no longer exercises the race")
	}
	for _, v := range rep.Failures {
		t.Errorf("%s", v)
	}
}
