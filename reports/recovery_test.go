package reports

import (
	"testing"
	"time"

	"github.com/townsim/townsim/sim"
)

// A fault is recovered from once the faulty backlog is back within the
// fault-free run's envelope and stays there for RecoveryHold; one that
// leaves the backlog above the envelope to the end is not.
func TestJudgeRecovery(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(m float64) time.Time { return t0.Add(time.Duration(m * float64(time.Minute))) }
	var base, faulty []Backlog
	for m := 0; m <= 60; m++ {
		base = append(base, Backlog{At: at(float64(m)), Open: 10})
		open := 10
		switch {
		case m >= 10 && m < 20: // a fault at 10 pushes the backlog to 30 until minute 20
			open = 30
		case m >= 40: // a fault at 40 never recovers
			open = 50
		}
		faulty = append(faulty, Backlog{At: at(float64(m)), Open: open})
	}
	firings := []sim.FaultFiring{{Kind: "crashed", At: at(10)}, {Kind: "crashed", At: at(40)},
		{Kind: "github_5xx", At: at(25)}}
	got := JudgeRecovery(faulty, base, firings)
	c := got["crashed"]
	if c.Recovered != 1 || c.NotRecovered != 1 || c.TicksMax != 10 || c.MinutesMax != 10 {
		t.Errorf("crashed: %+v, want 1 recovered after 10 ticks (10 min) and 1 not recovered", c)
	}
	// At 25 the backlog is inside but leaves it at 40, 15 minutes later:
	// it held for RecoveryHold, so recovered at once.
	if g := got["github_5xx"]; g.Recovered != 1 || g.TicksMax != 0 {
		t.Errorf("github_5xx: %+v, want recovered at once", g)
	}
	// Within the envelope's slack (+10% +1 over 10 = 12): no departure.
	for i := range faulty {
		faulty[i].Open = 12
	}
	if c := JudgeRecovery(faulty, base, firings)["crashed"]; c.NotRecovered != 0 {
		t.Errorf("within the slack: %+v", c)
	}
}
