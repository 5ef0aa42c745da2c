package gate

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Defaults of the against section of a budgets file.
const (
	// DefaultPairs is the number of baseline/current pairs per scenario.
	DefaultPairs = 10
	// DefaultAgainstMinEffect is the smallest slowdown of the paired
	// comparison that fails the gate (0.10: 10% more CPU time).
	DefaultAgainstMinEffect = 0.10
	// MetricCPU judges the child processes' CPU time (user + system).
	MetricCPU = "cpu"
	// MetricWall judges their wall time.
	MetricWall = "wall"
)

// Against configures `townsim gate --against REV`: the budgets entries
// that are timed in pairs with a build of REV, how many pairs, the
// smallest slowdown that fails, and which time is judged.
type Against struct {
	// Scenarios names the budgets entries timed in pairs (default: the
	// first entry).
	Scenarios []string `yaml:"scenarios"`
	// Pairs is the number of baseline/current pairs (default
	// DefaultPairs; the signed-rank test needs 6 to reject at 0.05).
	Pairs int `yaml:"pairs"`
	// MinEffect is the smallest relative slowdown that fails (default
	// DefaultAgainstMinEffect).
	MinEffect *float64 `yaml:"min_effect"`
	// Metric is the time judged: "cpu" (default) or "wall"; the other is
	// shown.
	Metric string `yaml:"metric"`
	// Warmup runs each binary once before the pairs, not counted
	// (default false).
	Warmup *bool `yaml:"warmup"`
}

func (a *Against) validate(f *yamlFile, b *Budgets) error {
	if a.Pairs == 0 {
		a.Pairs = DefaultPairs
	}
	if a.MinEffect == nil {
		d := float64(DefaultAgainstMinEffect)
		a.MinEffect = &d
	}
	if a.Metric == "" {
		a.Metric = MetricCPU
	}
	if a.Warmup == nil {
		w := false
		a.Warmup = &w
	}
	switch {
	case a.Pairs < 1:
		return f.errAt("$.against.pairs", "must be at least 1, got %d", a.Pairs)
	case *a.MinEffect < 0 || math.IsNaN(*a.MinEffect):
		return f.errAt("$.against.min_effect", "must not be negative, got %v", *a.MinEffect)
	case a.Metric != MetricCPU && a.Metric != MetricWall:
		return f.errAt("$.against.metric", "must be cpu or wall, got %q", a.Metric)
	}
	return nil
}

// checkNames checks that the entries named exist, once the entries are read.
func (a *Against) checkNames(f *yamlFile, b *Budgets) error {
	var names []string
	for _, e := range b.Scenarios {
		names = append(names, e.Name)
	}
	for i, n := range a.Scenarios {
		if !slices.Contains(names, n) {
			return f.errAt(fmt.Sprintf("$.against.scenarios[%d]", i), "no budgets entry is named %q (entries: %s)", n, strings.Join(names, ", "))
		}
	}
	if len(a.Scenarios) == 0 && len(names) > 0 {
		a.Scenarios = names[:1]
	}
	return nil
}

// Side is which build a paired run uses.
type Side int

const (
	// SideBase is the build of the revision compared against.
	SideBase Side = iota
	// SideCurrent is the build of the code being judged.
	SideCurrent
)

func (s Side) String() string {
	if s == SideBase {
		return "baseline"
	}
	return "current"
}

// Sample is what the gate measures of one run of a build: the CPU time
// (user + system) and wall time of its process, and its trace hash.
type Sample struct {
	CPU       time.Duration
	Wall      time.Duration
	TraceHash string
}

// Pair is a baseline run and a current run, one right after the other.
type Pair struct {
	Base, Now Sample
}

// RunPairs runs the baseline and the current build alternately, pair
// after pair, so that a change of the machine's load between pairs hits
// both sides alike. The order within a pair alternates too (B C, C B,
// B C, ...: the sequence B C C B B C ...), so that whatever the second run
// of a pair gains or loses from the first (caches, the first's teardown)
// falls on both sides equally. With warmup each side runs once first, not
// counted. run(side, i) runs one (i counts that side's runs from 0,
// warm-up included); progress, when set, hears about each pair.
func RunPairs(pairs int, warmup bool, run func(Side, int) (Sample, error), progress func(string)) ([]Pair, error) {
	counts := [2]int{}
	one := func(s Side) (Sample, error) {
		x, err := run(s, counts[s])
		counts[s]++
		if err != nil {
			return x, fmt.Errorf("%s build, run %d: %w", s, counts[s], err)
		}
		return x, nil
	}
	if warmup {
		for _, s := range []Side{SideBase, SideCurrent} {
			if _, err := one(s); err != nil {
				return nil, err
			}
		}
	}
	out := make([]Pair, 0, pairs)
	for i := 0; i < pairs; i++ {
		order := []Side{SideBase, SideCurrent}
		if i%2 == 1 {
			order = []Side{SideCurrent, SideBase}
		}
		var p Pair
		for _, s := range order {
			x, err := one(s)
			if err != nil {
				return nil, err
			}
			if s == SideBase {
				p.Base = x
			} else {
				p.Now = x
			}
		}
		out = append(out, p)
		if progress != nil {
			progress(fmt.Sprintf("pair %d/%d (%s first): cpu %s → %s, wall %s → %s", i+1, pairs, order[0],
				secs(p.Base.CPU), secs(p.Now.CPU), secs(p.Base.Wall), secs(p.Now.Wall)))
		}
	}
	return out, nil
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

// PairedChange is the comparison of one time over the pairs.
type PairedChange struct {
	// Base and Now are the medians of each side's times, in seconds.
	Base, Now float64
	// Ratio is the median of the per-pair ratios now/base; Spread half
	// their interquartile range over the median, the noise of one pair
	// (0.03: ±3%).
	Ratio, Spread float64
	// P is the two-sided signed-rank p-value of the per-pair log ratios;
	// N the number of pairs that differ.
	P float64
	N int
	// Decided is false when the number of pairs cannot reach alpha.
	Decided bool
	// Regressed and Improved: significant and beyond the minimum effect.
	Regressed, Improved bool
}

// ComparePairs judges one time (pick) over the pairs: the signed-rank test
// of the per-pair log ratios, and the median ratio against 1+minEffect.
func ComparePairs(pairs []Pair, pick func(Sample) time.Duration, alpha, minEffect float64) PairedChange {
	var c PairedChange
	var bs, ns, lr, ratios []float64
	for _, p := range pairs {
		b, n := pick(p.Base).Seconds(), pick(p.Now).Seconds()
		bs, ns = append(bs, b), append(ns, n)
		if b > 0 && n > 0 {
			lr = append(lr, math.Log(n/b))
			ratios = append(ratios, n/b)
		}
	}
	c.Base, c.Now = median(bs), median(ns)
	c.P, c.N = SignedRank(lr)
	// Decided counts every pair: identical times are evidence of no change.
	c.Decided = SignedRankMinP(len(lr)) < alpha
	if len(ratios) > 0 {
		sort.Float64s(ratios)
		c.Ratio = median(ratios)
		c.Spread = (quantile(0.75, ratios) - quantile(0.25, ratios)) / 2 / c.Ratio
	}
	sig := c.Decided && c.P < alpha
	c.Regressed = sig && c.Ratio > 1+minEffect
	c.Improved = sig && c.Ratio < 1/(1+minEffect)
	return c
}

// Paired figure names.
const (
	figPairedCPU   = "cpu_seconds_vs_"
	figPairedWall  = "wall_seconds_vs_"
	figPairedTrace = "trace_hash_vs_"
)

// JudgePaired is the report of one budgets entry timed in pairs against
// the build of rev: the judged time (against.metric), the other one shown,
// and whether the two builds' runs agree on the trace hash (shown; the
// current build's runs must agree with each other).
func JudgePaired(b *Budgets, name, rev string, pairs []Pair) ScenarioReport {
	a := b.Against
	r := ScenarioReport{Name: name}
	add := func(row Row) {
		row.Fail = isFail(row.Verdict) || (b.RequireVerdict && row.Verdict == VerdictUndecided)
		r.Failed = r.Failed || row.Fail
		r.Undecided = r.Undecided || row.Verdict == VerdictUndecided
		r.Rows = append(r.Rows, row)
	}
	for _, m := range []struct {
		fig, metric string
		pick        func(Sample) time.Duration
	}{
		{figPairedCPU, MetricCPU, func(s Sample) time.Duration { return s.CPU }},
		{figPairedWall, MetricWall, func(s Sample) time.Duration { return s.Wall }},
	} {
		c := ComparePairs(pairs, m.pick, b.Alpha, *a.MinEffect)
		row := Row{Figure: m.fig + rev, Baseline: num(c.Base), Now: num(c.Now),
			BaselineValue: ptr(c.Base), NowValue: ptr(c.Now), P: ptr(c.P)}
		row.Delta = fmt.Sprintf("%s ±%.1f%% (p=%.3f, %d pairs)", pct(1, c.Ratio), c.Spread*100, c.P, len(pairs))
		switch {
		case m.metric != a.Metric:
			row.Verdict = VerdictInfo
			row.Limit = "shown, not judged"
		case !c.Decided:
			row.Verdict = VerdictUndecided
			row.Limit = fmt.Sprintf("too few pairs to judge: need %d", PairsNeeded(b.Alpha))
		case c.Regressed:
			row.Verdict = VerdictRegressed
		case c.Improved:
			row.Verdict = VerdictImproved
		default:
			row.Verdict = VerdictOK
		}
		if row.Limit == "" {
			row.Limit = "significant and > " + num(1+*a.MinEffect) + "× slower"
		}
		add(row)
	}
	hash := Row{Figure: figPairedTrace + rev, Verdict: VerdictInfo}
	if len(pairs) > 0 {
		hash.Baseline, hash.Now = pairs[0].Base.TraceHash, pairs[0].Now.TraceHash
		hash.Delta = "same"
		if hash.Baseline != hash.Now {
			hash.Delta = "differs (behaviour changed since " + rev + ")"
		}
		for i, p := range pairs {
			if p.Now.TraceHash != pairs[0].Now.TraceHash {
				hash.Verdict = VerdictNondeterministic
				hash.Delta = fmt.Sprintf("current build's run %d gave %s, run 1 %s", i+1, p.Now.TraceHash, pairs[0].Now.TraceHash)
				break
			}
		}
	}
	add(hash)
	return r
}
