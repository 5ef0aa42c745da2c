package gate

import (
	"math"
	"sort"
)

// SignedRank is the two-sided Wilcoxon signed-rank test of paired
// differences d against "symmetric about zero": the exact p-value over
// every sign assignment of the ranks of |d| (tied magnitudes get their
// mean rank; zero differences are dropped, as Wilcoxon did). n is the
// number of differences left; with none, p is 1.
func SignedRank(d []float64) (p float64, n int) {
	var abs []float64
	var pos []bool
	for _, x := range d {
		if x == 0 || math.IsNaN(x) {
			continue
		}
		abs = append(abs, math.Abs(x))
		pos = append(pos, x > 0)
	}
	n = len(abs)
	if n == 0 {
		return 1, 0
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return abs[idx[a]] < abs[idx[b]] })
	// Doubled mid-ranks are integers: ranks i+1..j of a tie become
	// (i+1+j) each, twice their mean.
	rank2 := make([]int, n)
	for i := 0; i < n; {
		j := i
		for j+1 < n && abs[idx[j+1]] == abs[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			rank2[idx[k]] = i + 1 + j + 1
		}
		i = j + 1
	}
	w, total := 0, 0
	for i, r := range rank2 {
		total += r
		if pos[i] {
			w += r
		}
	}
	// count[s]: sign assignments whose positive doubled ranks sum to s.
	count := make([]float64, total+1)
	count[0] = 1
	for _, r := range rank2 {
		for s := total; s >= r; s-- {
			count[s] += count[s-r]
		}
	}
	all := math.Ldexp(1, n)
	var le, ge float64
	for s, c := range count {
		if s <= w {
			le += c
		}
		if s >= w {
			ge += c
		}
	}
	p = 2 * math.Min(le, ge) / all
	return math.Min(p, 1), n
}

// SignedRankMinP is the smallest two-sided p-value the signed-rank test
// can give with n non-zero differences (every one of the same sign).
func SignedRankMinP(n int) float64 {
	if n <= 0 {
		return 1
	}
	return math.Min(1, 2/math.Ldexp(1, n))
}

// PairsNeeded is the fewest pairs with which the signed-rank test can
// reject at alpha.
func PairsNeeded(alpha float64) int {
	n := 1
	for SignedRankMinP(n) >= alpha && n < 64 {
		n++
	}
	return n
}
