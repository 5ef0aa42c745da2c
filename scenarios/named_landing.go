package scenarios

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model/reconciler"
)

// landingClosedFast: landing-exhausted with humans who close a landing PR
// within a minute or two of its opening, faster than CV-7's longer
// cooldowns (240 s, 480 s), so the spacing of the attempts is CV-7's own.
func landingClosedFast() Scenario {
	c := landingConvoys()
	c.GitHub.LandingClose = 1
	c.GitHub.CloseDelay = des.Uniform(30*time.Second, 90*time.Second)
	c.Work.Refinery = des.Uniform(30*time.Second, time.Minute)
	return Scenario{
		Name: "landing-closed-fast",
		Purpose: "review-then-land convoys whose landing PRs are closed unmerged within two minutes: " +
			"CV-7's backoff (60 s … 480 s) spaces the five landing MRs, then fail_convoy",
		Config: c,
		Expect: Expect{
			Actions: []string{reconciler.CreateLandingMR, reconciler.FailConvoy},
			Bounds:  Bounds{NonTerminal: waiting()},
		},
	}
}
