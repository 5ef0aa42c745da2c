package des

import (
	"math"
	"math/rand/v2"
	"time"
)

// Source splits one seed into independent, named random streams. Each stream
// depends only on the seed and its own name, so adding a new consumer never
// shifts the draws of the others. A Source is not safe for concurrent use.
type Source struct {
	seed    uint64
	streams map[string]*Rand // looked up by name, never iterated
}

// NewSource returns a Source for seed.
func NewSource(seed uint64) *Source {
	return &Source{seed: seed, streams: make(map[string]*Rand)}
}

// Seed returns the seed the Source was made with.
func (s *Source) Seed() uint64 {
	return s.seed
}

// Stream returns the random stream called name. The same seed and name always
// give the same sequence; calling Stream again with the same name returns the
// same *Rand, continuing where it left off.
func (s *Source) Stream(name string) *Rand {
	if r, ok := s.streams[name]; ok {
		return r
	}
	h := fnv1a(fnvOffset, name)
	a := splitmix64(s.seed ^ splitmix64(h))
	b := splitmix64(a ^ 0x6a09e667f3bcc909)
	r := &Rand{name: name, r: rand.New(rand.NewPCG(a, b))}
	s.streams[name] = r
	return r
}

// splitmix64 is the SplitMix64 finaliser: a bijective mix of all 64 bits.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// Rand is one named random stream. Its methods draw from it in a fixed,
// documented way so that a run is reproducible from its seed.
type Rand struct {
	name string
	r    *rand.Rand
}

// Name returns the name the stream was created with.
func (r *Rand) Name() string {
	return r.name
}

// Float64 returns a uniform number in [0, 1).
func (r *Rand) Float64() float64 {
	return r.r.Float64()
}

// IntN returns a uniform integer in [0, n). It panics if n <= 0.
func (r *Rand) IntN(n int) int {
	return r.r.IntN(n)
}

// Uint64 returns 64 uniform random bits.
func (r *Rand) Uint64() uint64 {
	return r.r.Uint64()
}

// Bool returns true with probability p (p <= 0: never, p >= 1: always). It
// consumes one draw whatever p is, so changing p does not shift later draws.
func (r *Rand) Bool(p float64) bool {
	return r.r.Float64() < p
}

// Exp returns an exponentially distributed duration with the given mean; a
// mean <= 0 gives 0.
func (r *Rand) Exp(mean time.Duration) time.Duration {
	if mean <= 0 {
		return 0
	}
	return durationOf(r.r.ExpFloat64() * float64(mean))
}

// Uniform returns a duration uniform in [lo, hi); if hi <= lo it returns lo
// without drawing.
func (r *Rand) Uniform(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.r.Uint64N(uint64(hi)-uint64(lo)))
}

// Normal returns a normally distributed number with the given mean and
// standard deviation.
func (r *Rand) Normal(mean, stddev float64) float64 {
	return mean + stddev*r.r.NormFloat64()
}

// LogNormal returns a log-normally distributed duration: median * e^(sigma*Z)
// with Z standard normal. A median <= 0 gives 0.
func (r *Rand) LogNormal(median time.Duration, sigma float64) time.Duration {
	if median <= 0 {
		return 0
	}
	return durationOf(float64(median) * math.Exp(sigma*r.r.NormFloat64()))
}

// Poisson returns a Poisson-distributed count with mean lambda; lambda <= 0
// gives 0. Small means use Knuth's product method, larger ones Hörmann's
// transformed rejection (PTRS), so the cost stays bounded.
func (r *Rand) Poisson(lambda float64) int {
	switch {
	case !(lambda > 0):
		return 0
	case lambda < 10:
		limit := math.Exp(-lambda)
		k := 0
		for p := r.r.Float64(); p > limit; p *= r.r.Float64() {
			k++
		}
		return k
	}
	slam := math.Sqrt(lambda)
	loglam := math.Log(lambda)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.r.Float64() - 0.5
		v := r.r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lambda + 0.43)
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -lambda+k*loglam-lg {
			return int(k)
		}
	}
}

// Pick returns index i with probability weights[i] / sum(weights). Weights
// that are negative or NaN count as zero. If no weight is positive it returns
// -1 without drawing; otherwise it consumes one draw.
func (r *Rand) Pick(weights []float64) int {
	total := 0.0
	for _, w := range weights {
		if w > 0 {
			total += w
		}
	}
	if !(total > 0) {
		return -1
	}
	u := r.r.Float64() * total
	last := -1
	for i, w := range weights {
		if !(w > 0) {
			continue
		}
		if u < w {
			return i
		}
		u -= w
		last = i
	}
	return last // rounding left u just past the end
}

// UUID returns a random version-4-shaped UUID in lowercase, 36 characters,
// built from two draws of the stream.
func (r *Rand) UUID() string {
	var b [16]byte
	hi, lo := r.r.Uint64(), r.r.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	const hexdigits = "0123456789abcdef"
	var s [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j] = hexdigits[c>>4]
		s[j+1] = hexdigits[c&0x0f]
		j += 2
	}
	return string(s[:])
}

// durationOf converts nanoseconds to a Duration, clamping to [0, max].
func durationOf(ns float64) time.Duration {
	switch {
	case !(ns > 0):
		return 0
	case ns >= math.MaxInt64:
		return math.MaxInt64
	}
	return time.Duration(ns)
}
