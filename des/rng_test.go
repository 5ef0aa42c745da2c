package des

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"testing"
	"time"
)

func draws(r *Rand, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = r.Uint64()
	}
	return out
}

func TestStreamDeterminism(t *testing.T) {
	tests := []struct {
		name           string
		seedA, seedB   uint64
		nameA, nameB   string
		wantSameStream bool
	}{
		{"same seed and name", 42, 42, "containers", "containers", true},
		{"different names", 42, 42, "containers", "github", false},
		{"names differing in one byte", 42, 42, "agent-1", "agent-2", false},
		{"empty name vs other", 42, 42, "", "x", false},
		{"different seeds", 1, 2, "containers", "containers", false},
		{"seed zero", 0, 0, "containers", "containers", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := draws(NewSource(tt.seedA).Stream(tt.nameA), 8)
			b := draws(NewSource(tt.seedB).Stream(tt.nameB), 8)
			if same := slices.Equal(a, b); same != tt.wantSameStream {
				t.Errorf("streams equal = %v, want %v\n a %x\n b %x", same, tt.wantSameStream, a, b)
			}
		})
	}
}

// TestStreamGolden pins the draws of one stream so that a change to how
// streams are derived (which would change every trace hash) is noticed.
func TestStreamGolden(t *testing.T) {
	r := NewSource(20250102).Stream("containers")
	got := fmt.Sprintf("%016x %016x %s", r.Uint64(), r.Uint64(), r.UUID())
	const want = "d2f58175aceb8799 45257bcc50df5451 692e317e-852b-40eb-94ae-b21befec9923"
	if got != want {
		t.Errorf("stream draws changed:\n got %s\nwant %s", got, want)
	}
}

func TestStreamIndependentOfOthers(t *testing.T) {
	want := draws(NewSource(7).Stream("a"), 20)

	src := NewSource(7)
	a := src.Stream("a")
	got := draws(a, 10)
	b := src.Stream("b")
	draws(b, 100)
	_ = src.Stream("c")
	got = append(got, draws(src.Stream("a"), 10)...)
	if !slices.Equal(got, want) {
		t.Errorf("stream a changed when b and c were created:\n got %x\nwant %x", got, want)
	}
	if src.Stream("a") != a || src.Stream("b") != b {
		t.Error("Stream does not return the same *Rand for the same name")
	}
	if a.Name() != "a" || src.Seed() != 7 {
		t.Errorf("Name = %q, Seed = %d", a.Name(), src.Seed())
	}
}

// within reports whether got is within tol (relative) of want.
func within(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Abs(want)
}

func TestRandMeans(t *testing.T) {
	const n = 200000
	tests := []struct {
		name     string
		draw     func(r *Rand) float64
		wantMean float64
		tol      float64
	}{
		{"Float64", func(r *Rand) float64 { return r.Float64() }, 0.5, 0.01},
		{"IntN(10)", func(r *Rand) float64 { return float64(r.IntN(10)) }, 4.5, 0.01},
		{"Bool(0.3)", func(r *Rand) float64 { return b2f(r.Bool(0.3)) }, 0.3, 0.02},
		{"Exp(2s)", func(r *Rand) float64 { return float64(r.Exp(2 * time.Second)) }, 2e9, 0.02},
		{"Uniform(1s,3s)", func(r *Rand) float64 { return float64(r.Uniform(time.Second, 3*time.Second)) }, 2e9, 0.01},
		{"Normal(10,2)", func(r *Rand) float64 { return r.Normal(10, 2) }, 10, 0.01},
		// E[lognormal] = median * e^(sigma²/2).
		{"LogNormal(1s,0.5)", func(r *Rand) float64 { return float64(r.LogNormal(time.Second, 0.5)) }, 1e9 * math.Exp(0.125), 0.02},
		{"Poisson(0.5)", func(r *Rand) float64 { return float64(r.Poisson(0.5)) }, 0.5, 0.02},
		{"Poisson(3)", func(r *Rand) float64 { return float64(r.Poisson(3)) }, 3, 0.02},
		{"Poisson(9.9)", func(r *Rand) float64 { return float64(r.Poisson(9.9)) }, 9.9, 0.02},
		{"Poisson(10)", func(r *Rand) float64 { return float64(r.Poisson(10)) }, 10, 0.02},
		{"Poisson(75)", func(r *Rand) float64 { return float64(r.Poisson(75)) }, 75, 0.02},
		{"Poisson(5000)", func(r *Rand) float64 { return float64(r.Poisson(5000)) }, 5000, 0.02},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewSource(1).Stream(tt.name)
			sum := 0.0
			for range n {
				sum += tt.draw(r)
			}
			if mean := sum / n; !within(mean, tt.wantMean, tt.tol) {
				t.Errorf("mean = %g, want %g ± %g%%", mean, tt.wantMean, tt.tol*100)
			}
		})
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestRandSpread(t *testing.T) {
	const n = 100000
	r := NewSource(3).Stream("spread")
	t.Run("Normal stddev", func(t *testing.T) {
		var sum, sq float64
		for range n {
			x := r.Normal(0, 3)
			sum += x
			sq += x * x
		}
		sd := math.Sqrt(sq/n - (sum/n)*(sum/n))
		if !within(sd, 3, 0.02) {
			t.Errorf("stddev = %g, want 3", sd)
		}
	})
	t.Run("LogNormal median", func(t *testing.T) {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(r.LogNormal(4*time.Second, 1))
		}
		sort.Float64s(xs)
		if med := xs[n/2]; !within(med, 4e9, 0.02) {
			t.Errorf("median = %g, want 4e9", med)
		}
	})
	for _, lambda := range []float64{4, 40, 400} {
		t.Run(fmt.Sprintf("Poisson(%g) variance", lambda), func(t *testing.T) {
			var sum, sq float64
			for range n {
				x := float64(r.Poisson(lambda))
				sum += x
				sq += x * x
			}
			if v := sq/n - (sum/n)*(sum/n); !within(v, lambda, 0.03) {
				t.Errorf("variance = %g, want %g", v, lambda)
			}
		})
	}
}

func TestRandEdges(t *testing.T) {
	r := NewSource(9).Stream("edges")
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"Exp(0)", r.Exp(0), time.Duration(0)},
		{"Exp(-1s)", r.Exp(-time.Second), time.Duration(0)},
		{"LogNormal(0,1)", r.LogNormal(0, 1), time.Duration(0)},
		{"LogNormal(1s,0)", r.LogNormal(time.Second, 0), time.Second},
		{"Uniform(5s,5s)", r.Uniform(5*time.Second, 5*time.Second), 5 * time.Second},
		{"Uniform(5s,1s)", r.Uniform(5*time.Second, time.Second), 5 * time.Second},
		{"Uniform(7,8)", r.Uniform(7, 8), time.Duration(7)},
		{"Poisson(0)", r.Poisson(0), 0},
		{"Poisson(-3)", r.Poisson(-3), 0},
		{"Poisson(NaN)", r.Poisson(math.NaN()), 0},
		{"Bool(0)", r.Bool(0), false},
		{"Bool(-1)", r.Bool(-1), false},
		{"Bool(1)", r.Bool(1), true},
		{"Bool(NaN)", r.Bool(math.NaN()), false},
		{"Normal(5,0)", r.Normal(5, 0), 5.0},
		{"Exp(huge) clamps", r.Exp(math.MaxInt64) >= 0, true},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestRandRanges(t *testing.T) {
	r := NewSource(11).Stream("ranges")
	for range 10000 {
		if v := r.IntN(7); v < 0 || v >= 7 {
			t.Fatalf("IntN(7) = %d", v)
		}
		if v := r.Uniform(-time.Second, time.Second); v < -time.Second || v >= time.Second {
			t.Fatalf("Uniform(-1s,1s) = %v", v)
		}
		if v := r.Float64(); v < 0 || v >= 1 {
			t.Fatalf("Float64 = %v", v)
		}
	}
}

func TestPick(t *testing.T) {
	const n = 100000
	tests := []struct {
		name    string
		weights []float64
		want    []float64 // expected frequencies; nil means always -1
	}{
		{"empty", nil, nil},
		{"all zero", []float64{0, 0}, nil},
		{"negative and NaN only", []float64{-1, math.NaN()}, nil},
		{"single", []float64{2}, []float64{1}},
		{"one positive among zeros", []float64{0, 0, 5, 0}, []float64{0, 0, 1, 0}},
		{"skewed", []float64{1, 3}, []float64{0.25, 0.75}},
		{"negative ignored", []float64{1, -5, 1, 2}, []float64{0.25, 0, 0.25, 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewSource(5).Stream("pick")
			counts := make([]float64, len(tt.weights))
			for range n {
				i := r.Pick(tt.weights)
				if tt.want == nil {
					if i != -1 {
						t.Fatalf("Pick = %d, want -1", i)
					}
					continue
				}
				if i < 0 || i >= len(tt.weights) {
					t.Fatalf("Pick = %d out of range", i)
				}
				counts[i]++
			}
			for i, w := range tt.want {
				if f := counts[i] / n; math.Abs(f-w) > 0.01 {
					t.Errorf("index %d chosen %.3f of the time, want %.3f", i, f, w)
				}
			}
		})
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestUUID(t *testing.T) {
	r := NewSource(8).Stream("uuid")
	seen := make(map[string]bool)
	for range 2000 {
		u := r.UUID()
		if !uuidRE.MatchString(u) {
			t.Fatalf("UUID %q does not look like a v4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("UUID %q repeated", u)
		}
		seen[u] = true
	}
	if a, b := NewSource(8).Stream("uuid").UUID(), NewSource(8).Stream("uuid").UUID(); a != b {
		t.Errorf("same seed and stream gave UUIDs %s and %s", a, b)
	}
}
