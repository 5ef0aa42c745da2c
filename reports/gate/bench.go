package gate

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// BenchBudgets is the bench section of a budgets file: how `townsim gate
// --bench FILE` judges `go test -bench` output against a baseline bench
// file.
type BenchBudgets struct {
	// Baseline is the baseline bench file, relative to the budgets file's
	// directory (the --baseline flag overrides it).
	Baseline string `yaml:"baseline"`
	// MinEffect is the minimum effect size of a regression of a noisy
	// metric (default: the file's min_effect).
	MinEffect *float64 `yaml:"min_effect"`
	// Tolerance is the relative rise allowed in a metric that has no
	// spread in either file (a deterministic one, such as stmts/tick);
	// default: the file's tolerance.
	Tolerance *float64 `yaml:"tolerance"`
	// Ceilings are absolute limits on the median of a benchmark's metric.
	Ceilings []BenchCeiling `yaml:"ceilings"`
}

// BenchCeiling is an absolute limit on the benchmarks whose name starts
// with Benchmark (the name without the "Benchmark" prefix, e.g.
// "Tick/agents=1000"), in Unit as benchfmt tidies it ("sec/op" for
// ns/op, "sec/tick" for ns/tick, "stmts/tick" unchanged).
type BenchCeiling struct {
	Benchmark string   `yaml:"benchmark"`
	Unit      string   `yaml:"unit"`
	Max       *float64 `yaml:"max"`
	Min       *float64 `yaml:"min"`
}

func (bb *BenchBudgets) validate(f *yamlFile) error {
	for i, c := range bb.Ceilings {
		at := fmt.Sprintf("$.bench.ceilings[%d]", i)
		switch {
		case c.Benchmark == "":
			return f.errAt(at, "has no benchmark (a name prefix such as Tick/agents=1000)")
		case c.Unit == "":
			return f.errAt(at, "has no unit (e.g. sec/op, sec/tick, stmts/tick)")
		case c.Max == nil && c.Min == nil:
			return f.errAt(at, "has neither max nor min")
		}
	}
	for _, p := range []struct {
		key string
		v   *float64
	}{{"min_effect", bb.MinEffect}, {"tolerance", bb.Tolerance}} {
		if p.v != nil && (*p.v < 0 || math.IsNaN(*p.v)) {
			return f.errAt("$.bench."+p.key, "must not be negative, got %v", *p.v)
		}
	}
	return nil
}

// BenchBaselinePath is the bench baseline's path from the budgets file,
// "" when it names none.
func (b *Budgets) BenchBaselinePath() string {
	if b.Bench == nil || b.Bench.Baseline == "" {
		return ""
	}
	if filepath.IsAbs(b.Bench.Baseline) {
		return b.Bench.Baseline
	}
	return filepath.Join(filepath.Dir(b.Path), b.Bench.Baseline)
}

// BenchKey names one metric of one benchmark.
type BenchKey struct {
	// Pkg is the package's import path ("" if the output has no pkg line).
	Pkg string
	// Name is the benchmark's full name without "Benchmark".
	Name string
	// Unit is the metric's unit, tidied by benchfmt.
	Unit string
}

// BenchSet is the values of every benchmark metric of a bench file.
type BenchSet struct {
	// File is the file read.
	File string
	// Keys are the metrics in order of first appearance.
	Keys []BenchKey
	// Values has every value of each metric, one per benchmark line.
	Values map[BenchKey][]float64
}

// ReadBench reads `go test -bench` output. A malformed benchmark line is
// an error naming the file and line; a file with no benchmark results is
// an error too.
func ReadBench(file string) (*BenchSet, error) {
	fh, err := os.Open(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("bench file %s does not exist", file)
		}
		return nil, fmt.Errorf("bench file: %w", err)
	}
	defer fh.Close()
	set := &BenchSet{File: file, Values: map[BenchKey][]float64{}}
	r := benchfmt.NewReader(fh, file)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec
		case *benchfmt.Result:
			pkg := rec.GetConfig("pkg")
			for _, v := range rec.Values {
				k := BenchKey{Pkg: pkg, Name: rec.Name.String(), Unit: v.Unit}
				if _, ok := set.Values[k]; !ok {
					set.Keys = append(set.Keys, k)
				}
				set.Values[k] = append(set.Values[k], v.Value)
			}
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("bench file %s: %w", file, err)
	}
	if len(set.Keys) == 0 {
		return nil, fmt.Errorf("bench file %s has no benchmark results (want the output of go test -bench)", file)
	}
	return set, nil
}

// HigherIsBetter reports whether a larger value of a metric in unit is
// better: rates per unit of time ("events/s", "sim-s/wall-s", "B/s").
// Every other unit (sec/op, B/op, allocs/op, stmts/tick, ...) is a cost.
func HigherIsBetter(unit string) bool {
	i := strings.LastIndexByte(unit, '/')
	if i < 0 {
		return false
	}
	den := unit[i+1:]
	return den == "s" || den == "sec" || strings.HasSuffix(den, "-s")
}

// JudgeBench judges every metric of now against base: a metric with no
// spread in either file is compared exactly (within tolerance), any other
// by the U test and minimum effect; the ceilings apply to the medians.
// A metric missing from base is shown, not judged.
func JudgeBench(b *Budgets, base, now *BenchSet) ScenarioReport {
	alpha, minEff, tol := DefaultAlpha, float64(DefaultMinEffect), 0.0
	var ceilings []BenchCeiling
	if b != nil {
		alpha, minEff, tol = b.Alpha, *b.MinEffect, b.Tolerance
		if bb := b.Bench; bb != nil {
			if bb.MinEffect != nil {
				minEff = *bb.MinEffect
			}
			if bb.Tolerance != nil {
				tol = *bb.Tolerance
			}
			ceilings = bb.Ceilings
		}
	}
	r := ScenarioReport{Name: "bench " + filepath.Base(now.File)}
	pkgs := map[string]bool{}
	for _, k := range now.Keys {
		pkgs[k.Pkg] = true
	}
	for _, k := range now.Keys {
		nowV := now.Values[k]
		fig := k.Name + " " + k.Unit
		if len(pkgs) > 1 && k.Pkg != "" {
			fig = path.Base(k.Pkg) + ": " + fig
		}
		hib := HigherIsBetter(k.Unit)
		row := Row{Figure: fig, Baseline: "-"}
		var vs []Verdict
		baseV, inBase := base.Values[k]
		var med float64
		switch {
		case !inBase:
			c := Compare(nil, nowV, hib, alpha, minEff)
			med = c.Now
			row.Delta = "new"
		case constant(baseV) && constant(nowV):
			bv, nv := baseV[0], nowV[0]
			med = nv
			row.Baseline, row.BaselineValue = num(bv), ptr(bv)
			row.Delta = pct(bv, nv) + " (exact)"
			row.Limit = "exact"
			if tol > 0 {
				row.Limit = fmt.Sprintf("+%s%% of baseline", num(tol*100))
			}
			switch e := effect(bv, nv, hib); {
			case e > tol:
				vs = append(vs, VerdictRegressed)
			case e < 0:
				vs = append(vs, VerdictImproved)
			}
		default:
			c := Compare(baseV, nowV, hib, alpha, minEff)
			med = c.Now
			row.Baseline, row.BaselineValue, row.P = num(c.Baseline), ptr(c.Baseline), ptr(c.P)
			row.Delta = c.Delta()
			if !c.Significant && len(c.Warnings) > 0 {
				row.Delta += ", too few runs to judge"
			}
			row.Limit = effectLimit(minEff)
			switch {
			case c.Regressed:
				vs = append(vs, VerdictRegressed)
			case c.Improved:
				vs = append(vs, VerdictImproved)
			}
		}
		row.Now, row.NowValue = num(med), ptr(med)
		for _, c := range ceilings {
			if c.Unit != k.Unit || !strings.HasPrefix(k.Name, c.Benchmark) {
				continue
			}
			if c.Max != nil {
				row.Limit = joinLimit(row.Limit, "≤ "+num(*c.Max))
				if med > *c.Max {
					vs = append(vs, VerdictOverCeiling)
				}
			}
			if c.Min != nil {
				row.Limit = joinLimit(row.Limit, "≥ "+num(*c.Min))
				if med < *c.Min {
					vs = append(vs, VerdictUnderFloor)
				}
			}
		}
		row.Verdict = combine(vs)
		if !inBase && row.Verdict == VerdictOK {
			row.Verdict = VerdictInfo
		}
		row.Fail = isFail(row.Verdict)
		r.Failed = r.Failed || row.Fail
		r.Rows = append(r.Rows, row)
	}
	for _, k := range base.Keys {
		if _, ok := now.Values[k]; !ok {
			r.Rows = append(r.Rows, Row{Figure: k.Name + " " + k.Unit, Baseline: num(median(base.Values[k])), Now: "-", Delta: "missing", Verdict: VerdictInfo})
		}
	}
	return r
}

func constant(xs []float64) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return len(xs) > 0
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantile(0.5, s)
}
