package reports

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// linearTicks labels a linear axis at a "nice" step (1, 2 or 5 times a
// power of ten) that gives four to eight labels, with an unlabelled minor
// tick half-way. Labels carry as many decimals as the step needs and no
// more: minutes print as 0, 10, 20, never 0.00. With Integer (a count) the
// step is at least 1.
type linearTicks struct{ Integer bool }

// Ticks returns the ticks between min and max.
func (t linearTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(max-min, 0) {
		return []plot.Tick{{Value: min, Label: formatTick(min, 1)}}
	}
	step := niceStep((max - min) / 5)
	if t.Integer && step < 1 {
		step = 1
	}
	var out []plot.Tick
	first := math.Ceil(min/step-1e-9) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > max+step*1e-9 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, plot.Tick{Value: v, Label: formatTick(v, step)})
		if half := v + step/2; half < max && (!t.Integer || step >= 2) {
			out = append(out, plot.Tick{Value: half})
		}
	}
	return out
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x*0.999 {
			return m * p
		}
	}
	return 10 * p
}

// formatTick prints v with the decimals its step needs (none for a step
// of 1 or more).
func formatTick(v, step float64) string {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// logTicks labels a log axis at 1, 2 and 5 times each power of ten, with
// unlabelled minor ticks at the other integers. An axis spanning too
// little for three such labels gets every integer multiple labelled, and
// one spanning less than that gets its ends labelled, so that every axis
// reads at least two values.
//
// With a Floor (zeros drawn at the axis floor), the floor is labelled "0"
// and labels too close to it are dropped.
type logTicks struct{ Floor float64 }

// Ticks returns the ticks between min and max.
func (t logTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= min {
		return nil
	}
	out := t.ticks(min, max)
	if t.Floor <= 0 {
		return out
	}
	for i := range out {
		if out[i].Value < t.Floor*1.5 {
			out[i].Label = ""
		}
	}
	return append(out, plot.Tick{Value: t.Floor, Label: "0"})
}

func (logTicks) ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	labelled := 0
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		base := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * base
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
				labelled++
			}
			out = append(out, t)
		}
	}
	if labelled < 3 {
		labelled = 0
		for i := range out {
			out[i].Label = strconv.FormatFloat(out[i].Value, 'g', -1, 64)
			labelled++
		}
	}
	if labelled < 2 {
		out = append(out, plot.Tick{Value: min, Label: strconv.FormatFloat(min, 'g', 3, 64)},
			plot.Tick{Value: max, Label: strconv.FormatFloat(max, 'g', 3, 64)})
	}
	return out
}
