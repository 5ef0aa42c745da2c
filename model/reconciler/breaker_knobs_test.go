package reconciler

import (
	"fmt"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// TestBreakerKnobs: the what-if knobs move the breaker's threshold and
// window, and BreakerFailuresOnly leaves healthy work out of its count.
func TestBreakerKnobs(t *testing.T) {
	cases := []struct {
		name   string
		k      model.Knobs
		status string
		ago    time.Duration
		n      int
		open   bool
	}{
		{"threshold 5 opens at 5", model.Knobs{BreakerThreshold: 5}, model.StatusInProgress, time.Minute, 5, true},
		{"threshold 5 shut at 4", model.Knobs{BreakerThreshold: 5}, model.StatusInProgress, time.Minute, 4, false},
		{"threshold 200 shut at 150", model.Knobs{BreakerThreshold: 200}, model.StatusInProgress, time.Minute, 150, false},
		{"window 1h counts 45 min ago", model.Knobs{BreakerWindow: time.Hour}, model.StatusInProgress, 45 * time.Minute, 20, true},
		{"window 10m ignores 15 min ago", model.Knobs{BreakerWindow: 10 * time.Minute}, model.StatusInProgress, 15 * time.Minute, 20, false},
		{"production counts work in progress", model.Knobs{}, model.StatusInProgress, time.Minute, 20, true},
		{"failures only: in progress does not count", model.Knobs{BreakerFailuresOnly: true}, model.StatusInProgress, time.Minute, 30, false},
		{"failures only: in review does not count", model.Knobs{BreakerFailuresOnly: true}, model.StatusInReview, time.Minute, 30, false},
		{"failures only: back to open counts", model.Knobs{BreakerFailuresOnly: true}, model.StatusOpen, time.Minute, 20, true},
		{"failures only: failed counts", model.Knobs{BreakerFailuresOnly: true}, model.StatusFailed, time.Minute, 20, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			for i := 0; i < c.n; i++ {
				f.bead(B{ID: fmt.Sprintf("b%03d", i), Type: model.TypeMolecule, Status: c.status, Attempts: 1, LastAttempt: f.ago(c.ago)})
			}
			p := &rulePass{t: f.town, db: f.town.DB(), now: f.now, k: c.k.Resolved()}
			cb, err := p.breaker()
			if err != nil {
				t.Fatal(err)
			}
			if (len(cb) > 0) != c.open {
				t.Errorf("breaker open = %v, want %v", len(cb) > 0, c.open)
			}
		})
	}
}
