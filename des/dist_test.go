package des

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestDistSampleMean(t *testing.T) {
	const n = 200000
	tests := []struct {
		dist     Dist
		wantMean time.Duration
		tol      float64
	}{
		{Const(3 * time.Second), 3 * time.Second, 0},
		{Uniform(time.Second, 5*time.Second), 3 * time.Second, 0.01},
		{Exp(10 * time.Second), 10 * time.Second, 0.02},
		{LogNormal(2*time.Second, 0.5), time.Duration(2e9 * math.Exp(0.125)), 0.02},
		{Normal(20*time.Second, 2*time.Second), 20 * time.Second, 0.01},
	}
	for _, tt := range tests {
		t.Run(tt.dist.String(), func(t *testing.T) {
			if err := tt.dist.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			r := NewSource(1).Stream("dist")
			sum := 0.0
			for range n {
				sum += float64(tt.dist.Sample(r))
			}
			if mean := sum / n; !within(mean, float64(tt.wantMean), tt.tol) {
				t.Errorf("mean = %v, want %v ± %g%%", time.Duration(mean), tt.wantMean, tt.tol*100)
			}
		})
	}
}

func TestDistNeverNegative(t *testing.T) {
	tests := []Dist{
		Normal(time.Second, 10*time.Second),
		{Kind: KindConst, Value: -time.Second},   // invalid, still clamped
		{Kind: KindUniform, Min: -5, Max: 5},     // invalid, still clamped
		{Kind: KindNormal, Mean: -5 * time.Hour}, // invalid, still clamped
	}
	for _, d := range tests {
		r := NewSource(2).Stream("neg")
		zeros := 0
		for range 10000 {
			v := d.Sample(r)
			if v < 0 {
				t.Fatalf("%v: sample %v is negative", d, v)
			}
			if v == 0 {
				zeros++
			}
		}
		if zeros == 0 {
			t.Errorf("%v: no sample was clamped to 0", d)
		}
	}
}

func TestDistConstDrawsNothing(t *testing.T) {
	a := NewSource(4).Stream("s")
	b := NewSource(4).Stream("s")
	Const(time.Second).Sample(a)
	if a.Uint64() != b.Uint64() {
		t.Error("Const.Sample consumed a draw")
	}
}

func TestDistSampleUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Sample of an unknown kind did not panic")
		}
	}()
	Dist{Kind: "gamma"}.Sample(NewSource(1).Stream("x"))
}

func TestDistValidate(t *testing.T) {
	tests := []struct {
		name string
		dist Dist
		want string // substring of the error; "" means valid
	}{
		{"const ok", Const(time.Second), ""},
		{"const zero ok", Const(0), ""},
		{"uniform ok", Uniform(time.Second, 2*time.Second), ""},
		{"uniform degenerate ok", Uniform(time.Second, time.Second), ""},
		{"exp ok", Exp(time.Second), ""},
		{"lognormal ok", LogNormal(time.Second, 0.7), ""},
		{"lognormal without sigma", LogNormal(time.Second, 0), "Sigma"},
		{"normal ok", Normal(time.Second, time.Second), ""},
		{"empty kind", Dist{}, "Kind is empty"},
		{"unknown kind", Dist{Kind: "gamma"}, `Kind "gamma" is unknown`},
		{"kind is case sensitive", Dist{Kind: "Exp", Mean: 1}, `Kind "Exp" is unknown`},
		{"const negative", Const(-time.Second), "dist const: Value is negative"},
		{"uniform negative min", Uniform(-time.Second, time.Second), "dist uniform: Min is negative"},
		{"uniform max below min", Uniform(2*time.Second, time.Second), "dist uniform: Max (1s) is less than Min (2s)"},
		{"exp zero mean", Exp(0), "dist exp: Mean must be positive"},
		{"exp negative mean", Exp(-time.Second), "dist exp: Mean must be positive"},
		{"lognormal zero median", LogNormal(0, 1), "dist lognormal: Median must be positive"},
		{"lognormal negative sigma", LogNormal(time.Second, -1), "dist lognormal: Sigma must be"},
		{"lognormal NaN sigma", LogNormal(time.Second, math.NaN()), "dist lognormal: Sigma must be"},
		{"lognormal Inf sigma", LogNormal(time.Second, math.Inf(1)), "dist lognormal: Sigma must be"},
		{"normal negative mean", Normal(-time.Second, 0), "dist normal: Mean is negative"},
		{"normal negative stddev", Normal(time.Second, -1), "dist normal: Stddev is negative"},
		{"const with Mean", Dist{Kind: KindConst, Value: 1, Mean: 2}, "dist const: Mean is not used"},
		{"exp with Sigma", Dist{Kind: KindExp, Mean: 1, Sigma: 1}, "dist exp: Sigma is not used"},
		{"uniform with Value", Dist{Kind: KindUniform, Max: 1, Value: 1}, "dist uniform: Value is not used"},
		{"lognormal with Mean", Dist{Kind: KindLogNormal, Median: 1, Sigma: 0.5, Mean: 1}, "dist lognormal: Mean is not used"},
		{"normal with Median", Dist{Kind: KindNormal, Mean: 1, Median: 1}, "dist normal: Median is not used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.dist.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate() = nil, want an error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDistString(t *testing.T) {
	tests := []struct {
		dist Dist
		want string
	}{
		{Const(1500 * time.Millisecond), "const(1.5s)"},
		{Uniform(time.Second, 5*time.Second), "uniform(1s,5s)"},
		{Exp(2 * time.Minute), "exp(mean=2m0s)"},
		{LogNormal(3*time.Second, 0.5), "lognormal(median=3s,sigma=0.5)"},
		{Normal(time.Second, 100*time.Millisecond), "normal(mean=1s,stddev=100ms)"},
		{Dist{Kind: "gamma"}, `dist(kind="gamma")`},
	}
	for _, tt := range tests {
		if got := tt.dist.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestPickChoice(t *testing.T) {
	const n = 100000
	tests := []struct {
		name    string
		choices []Choice
		want    []Choice // expected frequencies; nil means always ""
	}{
		{"nil", nil, nil},
		{"all zero", []Choice{{"a", 0}, {"b", 0}}, nil},
		{"single", []Choice{{"only", 0.1}}, []Choice{{"only", 1}}},
		{"weighted", []Choice{{"crash", 1}, {"ok", 8}, {"slow", 1}},
			[]Choice{{"crash", 0.1}, {"ok", 0.8}, {"slow", 0.1}}},
		{"negative ignored", []Choice{{"neg", -3}, {"a", 1}, {"b", 1}},
			[]Choice{{"neg", 0}, {"a", 0.5}, {"b", 0.5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewSource(6).Stream("choice")
			counts := make(map[string]float64)
			for range n {
				counts[PickChoice(r, tt.choices)]++
			}
			if tt.want == nil {
				if counts[""] != n {
					t.Errorf("got %v, want always \"\"", counts)
				}
				return
			}
			for _, w := range tt.want {
				if f := counts[w.Name] / n; math.Abs(f-w.Weight) > 0.01 {
					t.Errorf("%q chosen %.3f of the time, want %.3f", w.Name, f, w.Weight)
				}
			}
		})
	}
}

// TestPickChoiceMatchesPick checks that PickChoice and Pick make the same
// choice from the same draws.
func TestPickChoiceMatchesPick(t *testing.T) {
	cs := []Choice{{"a", 0.5}, {"b", 0}, {"c", 2}, {"d", 1.5}}
	ws := []float64{0.5, 0, 2, 1.5}
	r1 := NewSource(10).Stream("x")
	r2 := NewSource(10).Stream("x")
	for range 1000 {
		if got, want := PickChoice(r1, cs), cs[r2.Pick(ws)].Name; got != want {
			t.Fatalf("PickChoice = %q, Pick chose %q", got, want)
		}
	}
}

func TestDistAverage(t *testing.T) {
	for _, tt := range []struct {
		name string
		d    Dist
		want time.Duration
	}{
		{"unset", Dist{}, 0},
		{"const", Const(3 * time.Second), 3 * time.Second},
		{"uniform", Uniform(time.Second, 3*time.Second), 2 * time.Second},
		{"exp", Exp(time.Minute), time.Minute},
		{"normal", Normal(time.Minute, time.Second), time.Minute},
		{"lognormal sigma 0 is its median", LogNormal(time.Minute, 0), time.Minute},
		{"lognormal", LogNormal(time.Minute, 1), time.Duration(float64(time.Minute) * math.Exp(0.5))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Average(); got != tt.want {
				t.Errorf("%v.Average() = %v, want %v", tt.d, got, tt.want)
			}
		})
	}
}
