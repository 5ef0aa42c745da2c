package des

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// The kinds of Dist.
const (
	KindConst     = "const"     // always Value
	KindUniform   = "uniform"   // uniform in [Min, Max)
	KindExp       = "exp"       // exponential with mean Mean
	KindLogNormal = "lognormal" // Median * e^(Sigma*Z)
	KindNormal    = "normal"    // normal with mean Mean and deviation Stddev, clamped at 0
)

// Dist describes a delay distribution as plain data, so that scenarios can
// carry it and load it from files. Kind selects the distribution; only the
// fields that kind uses may be set (see the Kind constants). Call Validate
// before Sample on a Dist that came from outside.
type Dist struct {
	Kind   string        `yaml:"kind,omitempty"`
	Value  time.Duration `yaml:"value,omitempty"`  // const
	Min    time.Duration `yaml:"min,omitempty"`    // uniform
	Max    time.Duration `yaml:"max,omitempty"`    // uniform
	Mean   time.Duration `yaml:"mean,omitempty"`   // exp, normal
	Median time.Duration `yaml:"median,omitempty"` // lognormal
	Sigma  float64       `yaml:"sigma,omitempty"`  // lognormal: standard deviation of the logarithm
	Stddev time.Duration `yaml:"stddev,omitempty"` // normal
}

// Const returns a Dist that is always d.
func Const(d time.Duration) Dist { return Dist{Kind: KindConst, Value: d} }

// Uniform returns a Dist uniform in [lo, hi).
func Uniform(lo, hi time.Duration) Dist { return Dist{Kind: KindUniform, Min: lo, Max: hi} }

// Exp returns an exponential Dist with the given mean.
func Exp(mean time.Duration) Dist { return Dist{Kind: KindExp, Mean: mean} }

// LogNormal returns a log-normal Dist with the given median and log-scale
// deviation sigma.
func LogNormal(median time.Duration, sigma float64) Dist {
	return Dist{Kind: KindLogNormal, Median: median, Sigma: sigma}
}

// Normal returns a normal Dist with the given mean and standard deviation;
// samples below zero are clamped to zero.
func Normal(mean, stddev time.Duration) Dist {
	return Dist{Kind: KindNormal, Mean: mean, Stddev: stddev}
}

// Average returns the distribution's mean (0 for an unset Dist); a
// normal's clamping at zero is ignored.
func (d Dist) Average() time.Duration {
	switch d.Kind {
	case KindConst:
		return d.Value
	case KindUniform:
		return (d.Min + d.Max) / 2
	case KindExp, KindNormal:
		return d.Mean
	case KindLogNormal:
		return time.Duration(float64(d.Median) * math.Exp(d.Sigma*d.Sigma/2))
	}
	return 0
}

// Sample draws a duration from d using r. The result is never negative. A
// const Dist consumes no draw; the others consume the draws of the matching
// Rand method. Sample panics on an unknown Kind; Validate reports it first.
func (d Dist) Sample(r *Rand) time.Duration {
	var v time.Duration
	switch d.Kind {
	case KindConst:
		v = d.Value
	case KindUniform:
		v = r.Uniform(d.Min, d.Max)
	case KindExp:
		v = r.Exp(d.Mean)
	case KindLogNormal:
		v = r.LogNormal(d.Median, d.Sigma)
	case KindNormal:
		v = durationOf(r.Normal(float64(d.Mean), float64(d.Stddev)))
	default:
		panic(fmt.Sprintf("des: Dist.Sample: unknown kind %q", d.Kind))
	}
	return max(v, 0)
}

// Validate reports the first problem with d, naming the field at fault: an
// unknown Kind, a negative or missing parameter, Max below Min, or a field
// set that the kind does not use.
func (d Dist) Validate() error {
	var used []string
	switch d.Kind {
	case KindConst:
		used = []string{"Value"}
		if d.Value < 0 {
			return d.errorf("Value", "is negative (%v)", d.Value)
		}
	case KindUniform:
		used = []string{"Min", "Max"}
		if d.Min < 0 {
			return d.errorf("Min", "is negative (%v)", d.Min)
		}
		if d.Max < d.Min {
			return d.errorf("Max", "(%v) is less than Min (%v)", d.Max, d.Min)
		}
	case KindExp:
		used = []string{"Mean"}
		if d.Mean <= 0 {
			return d.errorf("Mean", "must be positive, got %v", d.Mean)
		}
	case KindLogNormal:
		used = []string{"Median", "Sigma"}
		if d.Median <= 0 {
			return d.errorf("Median", "must be positive, got %v", d.Median)
		}
		if !(d.Sigma > 0) || math.IsInf(d.Sigma, 0) {
			// Zero is also what a missing sigma reads as: refused, so that a
			// forgotten key is not a silent constant (kind const is that).
			return d.errorf("Sigma", "must be a finite number > 0 (missing?), got %v; for a fixed duration use kind const", d.Sigma)
		}
	case KindNormal:
		used = []string{"Mean", "Stddev"}
		if d.Mean < 0 {
			return d.errorf("Mean", "is negative (%v)", d.Mean)
		}
		if d.Stddev < 0 {
			return d.errorf("Stddev", "is negative (%v)", d.Stddev)
		}
	case "":
		return fmt.Errorf("dist: Kind is empty; want one of %s", kindList)
	default:
		return fmt.Errorf("dist: Kind %q is unknown; want one of %s", d.Kind, kindList)
	}
	for _, f := range d.setFields() {
		if !contains(used, f) {
			return d.errorf(f, "is not used by this kind (uses %v)", used)
		}
	}
	return nil
}

const kindList = "const, uniform, exp, lognormal, normal"

// setFields lists the parameter fields of d that are not zero, in
// declaration order.
func (d Dist) setFields() []string {
	var fs []string
	add := func(name string, set bool) {
		if set {
			fs = append(fs, name)
		}
	}
	add("Value", d.Value != 0)
	add("Min", d.Min != 0)
	add("Max", d.Max != 0)
	add("Mean", d.Mean != 0)
	add("Median", d.Median != 0)
	add("Sigma", d.Sigma != 0)
	add("Stddev", d.Stddev != 0)
	return fs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d Dist) errorf(field, format string, args ...any) error {
	return fmt.Errorf("dist %s: %s %s", d.Kind, field, fmt.Sprintf(format, args...))
}

// String describes d compactly, for example "uniform(1s,5s)" or
// "lognormal(median=3s,sigma=0.5)".
func (d Dist) String() string {
	switch d.Kind {
	case KindConst:
		return "const(" + d.Value.String() + ")"
	case KindUniform:
		return "uniform(" + d.Min.String() + "," + d.Max.String() + ")"
	case KindExp:
		return "exp(mean=" + d.Mean.String() + ")"
	case KindLogNormal:
		return "lognormal(median=" + d.Median.String() + ",sigma=" +
			strconv.FormatFloat(d.Sigma, 'g', -1, 64) + ")"
	case KindNormal:
		return "normal(mean=" + d.Mean.String() + ",stddev=" + d.Stddev.String() + ")"
	}
	return fmt.Sprintf("dist(kind=%q)", d.Kind)
}

// Choice is one weighted alternative of a discrete choice, kept in a slice
// so that the order, and hence every draw, is fixed.
type Choice struct {
	Name   string
	Weight float64
}

// PickChoice returns the Name of a choice drawn with probability proportional
// to its Weight, with the same rules and draws as Rand.Pick. It returns "" if
// no weight is positive.
func PickChoice(r *Rand, cs []Choice) string {
	total := 0.0
	for _, c := range cs {
		if c.Weight > 0 {
			total += c.Weight
		}
	}
	if !(total > 0) {
		return ""
	}
	u := r.Float64() * total
	last := ""
	for _, c := range cs {
		if !(c.Weight > 0) {
			continue
		}
		if u < c.Weight {
			return c.Name
		}
		u -= c.Weight
		last = c.Name
	}
	return last
}
