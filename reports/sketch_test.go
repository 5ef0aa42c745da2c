package reports

import (
	"math"
	"testing"
)

// BenchmarkTickStatsAdd adds the figures of one tick shaped like the
// default town's (a fractional compute, whole statements and rows), as
// townsim run does once per tick.
func BenchmarkTickStatsAdd(b *testing.B) {
	var ts TickStats
	i := 0
	for b.Loop() {
		ts.Add(0.8+float64(i%97)*0.0131, int64(60+i%90), int64(120+i%60))
		i++
	}
}

// TestRound4WholeNumbers: the whole-number shortcut gives what the
// general rounding gives, for every whole number it covers and around it.
func TestRound4WholeNumbers(t *testing.T) {
	general := func(x float64) float64 {
		e := math.Floor(math.Log10(math.Abs(x)))
		scale := math.Pow(10, 3-e)
		return math.Round(x*scale) / scale
	}
	for i := -10010; i <= 10010; i++ {
		if i == 0 {
			continue
		}
		for _, x := range []float64{float64(i), float64(i) + 0.25, float64(i) - 1e-9} {
			if got, want := round4(x), general(x); got != want {
				t.Fatalf("round4(%v) = %v, want %v", x, got, want)
			}
		}
	}
}
