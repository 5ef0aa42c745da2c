package reports

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFitPowerLawRecoversExponent: points of y = 3·x^1.7 with lognormal
// noise give back 1.7 inside the 95% interval, and noiseless points give
// it exactly with a zero-width interval.
func TestFitPowerLawRecoversExponent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name  string
		b     float64
		noise float64
	}{{"noiseless", 1.7, 0}, {"noisy superlinear", 1.7, 0.1}, {"noisy linear", 1.0, 0.2}, {"flat", 0, 0.05}}
	for _, c := range cases {
		var xs, ys []float64
		for _, x := range []float64{10, 30, 100, 300, 1000} {
			for s := 0; s < 3; s++ {
				xs = append(xs, x)
				ys = append(ys, 3*math.Pow(x, c.b)*math.Exp(c.noise*rng.NormFloat64()))
			}
		}
		f, err := FitPowerLaw(xs, ys, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if f.Lo > c.b || f.Hi < c.b {
			t.Errorf("%s: exponent %.3f [%.3f, %.3f] misses %.2f", c.name, f.Exponent, f.Lo, f.Hi, c.b)
		}
		if c.noise == 0 && (math.Abs(f.Exponent-c.b) > 1e-9 || f.Hi-f.Lo > 1e-6 || math.Abs(f.Coeff-3) > 1e-6) {
			t.Errorf("%s: got %+v", c.name, f)
		}
		if c.noise > 0 && f.Hi-f.Lo <= 0 {
			t.Errorf("%s: empty interval %+v", c.name, f)
		}
		if got := f.Reaches(f.At(500)); c.b > 0 && math.Abs(got-500) > 1e-6 {
			t.Errorf("%s: Reaches(At(500)) = %v", c.name, got)
		}
	}
}

// TestFitPowerLawInterval: the 95% interval of a noisy fit covers the true
// exponent in about 95% of repetitions (not 50%, not 100%).
func TestFitPowerLawInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	covered := 0
	const reps = 400
	for r := 0; r < reps; r++ {
		var xs, ys []float64
		for _, x := range []float64{10, 30, 100, 300} {
			for s := 0; s < 2; s++ {
				xs = append(xs, x)
				ys = append(ys, math.Pow(x, 1.3)*math.Exp(0.3*rng.NormFloat64()))
			}
		}
		f, err := FitPowerLaw(xs, ys, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if f.Lo <= 1.3 && 1.3 <= f.Hi {
			covered++
		}
	}
	if rate := float64(covered) / reps; rate < 0.91 || rate > 0.99 {
		t.Errorf("95%% interval covered the exponent in %.1f%% of fits", 100*rate)
	}
}

func TestFitPowerLawRejects(t *testing.T) {
	if _, err := FitPowerLaw([]float64{1, 2}, []float64{1, 2}, 0.95); err == nil {
		t.Error("two points: no error")
	}
	if _, err := FitPowerLaw([]float64{5, 5, 5}, []float64{1, 2, 3}, 0.95); err == nil {
		t.Error("one x value: no error")
	}
	if _, err := FitPowerLaw([]float64{0, -1, 2, 3}, []float64{1, 1, 0, 1}, 0.95); err == nil {
		t.Error("one usable point: no error")
	}
}

// TestSketchQuantiles: the sketch's quantiles equal gonum's empirical
// quantiles of the raw data for whole numbers, and are within 0.05% for
// reals; memory is bounded by distinct rounded values.
func TestSketchQuantiles(t *testing.T) {
	var s Sketch
	for i := 1; i <= 100; i++ {
		s.Add(float64(i))
	}
	for _, c := range []struct{ p, want float64 }{{0.5, 50}, {0.95, 95}, {0.99, 99}, {1, 100}, {0.001, 1}} {
		if got := s.Quantile(c.p); got != c.want {
			t.Errorf("Quantile(%v) of 1..100 = %v, want %v", c.p, got, c.want)
		}
	}
	if s.Mean() != 50.5 {
		t.Errorf("mean %v", s.Mean())
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var r Sketch
	var raw []float64
	for i := 0; i < 200000; i++ {
		x := math.Exp(rng.NormFloat64() * 2)
		r.Add(x)
		raw = append(raw, x)
	}
	if len(r.counts) > 40000 {
		t.Errorf("sketch holds %d keys for 200000 values", len(r.counts))
	}
	q := quantilesExact(raw)
	for _, c := range []struct{ got, want float64 }{{r.Quantile(0.5), q[0]}, {r.Quantile(0.99), q[1]}} {
		if math.Abs(c.got-c.want)/c.want > 5e-4 {
			t.Errorf("sketch quantile %v, exact %v", c.got, c.want)
		}
	}
	var empty Sketch
	if empty.Quantiles() != (Quantiles{}) {
		t.Error("empty sketch quantiles not zero")
	}
}

// quantilesExact returns the empirical p50 and p99 of xs.
func quantilesExact(xs []float64) [2]float64 {
	s := append([]float64(nil), xs...)
	sortFloats(s)
	at := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(i, 0)]
	}
	return [2]float64{at(0.5), at(0.99)}
}

func sortFloats(s []float64) { slices.Sort(s) }
