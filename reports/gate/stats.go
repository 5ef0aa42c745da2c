package gate

import (
	"fmt"
	"slices"

	"golang.org/x/perf/benchmath"
)

// Change is the comparison of a noisy figure's baseline sample with its
// current sample, as benchstat compares benchmarks: medians, a
// Mann-Whitney U test, and a minimum effect size.
type Change struct {
	// Baseline and Now are the samples' medians.
	Baseline, Now float64
	// Effect is how much worse Now is than Baseline, as a fraction: for a
	// figure where lower is better, Now/Baseline-1; where higher is better,
	// Baseline/Now-1. Negative is better.
	Effect float64
	// P is the U test's p-value; N1 and N2 the sample sizes.
	P      float64
	N1, N2 int
	// Significant reports P < alpha.
	Significant bool
	// Regressed reports a significant change worse than the minimum effect.
	Regressed bool
	// Improved reports a significant change for the better, by more than
	// the minimum effect too (so that a quieter machine is not mistaken
	// for faster code).
	Improved bool
	// Warnings are benchmath's notes (e.g. too few samples to detect a
	// difference).
	Warnings []string
}

// Compare judges a noisy figure: base and now are its values in the
// baseline's runs and in the current runs. It regresses only when the U
// test rejects "same distribution" at alpha and the medians differ by
// more than minEffect in the worse direction.
func Compare(base, now []float64, higherIsBetter bool, alpha, minEffect float64) Change {
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	s1 := benchmath.NewSample(slices.Clone(base), th)
	s2 := benchmath.NewSample(slices.Clone(now), th)
	c := Change{N1: len(base), N2: len(now), P: 1}
	if len(base) > 0 {
		c.Baseline = benchmath.AssumeNothing.Summary(s1, 0.95).Center
	}
	if len(now) > 0 {
		c.Now = benchmath.AssumeNothing.Summary(s2, 0.95).Center
	}
	if len(base) == 0 || len(now) == 0 {
		c.Warnings = append(c.Warnings, "no sample to compare")
		return c
	}
	cmp := benchmath.AssumeNothing.Compare(s1, s2)
	c.P = cmp.P
	for _, w := range cmp.Warnings {
		c.Warnings = append(c.Warnings, w.Error())
	}
	c.Effect = effect(c.Baseline, c.Now, higherIsBetter)
	c.Significant = cmp.P < alpha
	c.Regressed = c.Significant && c.Effect > minEffect
	c.Improved = c.Significant && effect(c.Now, c.Baseline, higherIsBetter) > minEffect
	return c
}

// effect is how much worse now is than base, as a fraction.
func effect(base, now float64, higherIsBetter bool) float64 {
	switch {
	case base == now:
		return 0
	case higherIsBetter && now == 0, !higherIsBetter && base == 0:
		return 1e9 // from something to nothing, or from nothing to something
	case higherIsBetter:
		return base/now - 1
	default:
		return now/base - 1
	}
}

// Delta renders the change as benchstat does: "~" when not significant,
// else the relative change of the medians; then the test's p and n.
func (c Change) Delta() string {
	n := fmt.Sprintf("n=%d+%d", c.N1, c.N2)
	if c.N1 == c.N2 {
		n = fmt.Sprintf("n=%d", c.N1)
	}
	if !c.Significant {
		return fmt.Sprintf("~ (p=%.3f %s)", c.P, n)
	}
	return fmt.Sprintf("%s (p=%.3f %s)", pct(c.Baseline, c.Now), c.P, n)
}

// pct is the relative change from a to b, "+12.3%".
func pct(a, b float64) string {
	switch {
	case a == b:
		return "0%"
	case a == 0:
		return "new"
	}
	return fmt.Sprintf("%+.1f%%", (b/a-1)*100)
}
