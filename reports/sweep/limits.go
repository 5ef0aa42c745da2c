package sweep

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ExtrapolationFactor bounds how far past the largest fleet measured the
// report states where a fit reaches the budget: beyond it the fit is not
// evidence, and the report recommends the next sweep's sizes instead.
const ExtrapolationFactor = 2.0

// budgetLimitText is the "largest fleet under budget (p99)" cell: the
// largest fleet whose every seed stayed within the budget, "≥ N" when that
// is simply the largest fleet tested.
func (g *Group) budgetLimitText() string {
	switch {
	case g.LargestUnderBudget == 0:
		return "none (the smallest size tested was over budget)"
	case g.AllUnderBudget:
		return fmt.Sprintf("≥ %d agents (every size tested was under budget)", g.LargestUnderBudget)
	}
	return strconv.Itoa(g.LargestUnderBudget) + " agents"
}

// budgetReachText is the "mean compute reaches budget at" cell: the fit's
// crossing when it lies within ExtrapolationFactor × the largest fleet
// measured, otherwise what was not reached and the next sweep's sizes.
func (g *Group) budgetReachText() string {
	if g.Largest == 0 {
		return "no successful run"
	}
	if g.ComputeErr != nil {
		return "no fit"
	}
	x := g.BudgetAt
	limit := ExtrapolationFactor * float64(g.Largest)
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1) || x > limit:
		return fmt.Sprintf("not reached within the measured range (largest: %d); next sweep: --agents %s",
			g.Largest, joinInts(NextSizes(g.Largest, x)))
	case x <= float64(g.Largest):
		return fmt.Sprintf("≈%.0f agents (interpolated)", x)
	}
	return fmt.Sprintf("≈%.0f agents (extrapolated, within %g× the largest measured)", x, ExtrapolationFactor)
}

// NextSizes recommends the fleet sizes of the next sweep when the fit's
// crossing (at, +Inf when it never crosses) lies past ExtrapolationFactor ×
// largest: doubling steps from the largest measured up to the first size at
// or past the crossing, at most four sizes and at most MaxSweepAgents.
func NextSizes(largest int, at float64) []int {
	var out []int
	for n := largest * 2; len(out) < 4 && n <= MaxSweepAgents; n *= 2 {
		out = append(out, n)
		if float64(n) >= at {
			break
		}
	}
	if len(out) == 0 {
		out = []int{largest}
	}
	return out
}

// MaxSweepAgents is the largest fleet NextSizes recommends (townsim run's
// limit).
const MaxSweepAgents = 10_000

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// peakText is the "peak closed/h (at fleet)" cell.
func peakText(g *Group) string {
	if g.PeakAt == 0 {
		return "0 (no size closed an issue)"
	}
	return fmt.Sprintf("%.1f (%d agents)", g.PeakClosedPerHour, g.PeakAt)
}
