package reports

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
)

func labels(ts []plot.Tick) []string {
	var out []string
	for _, t := range ts {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return out
}

// Axis labels are whole numbers where the step is whole (minutes, counts),
// carry only the decimals a fractional step needs, and every axis reads
// at least two values.
func TestTickLabels(t *testing.T) {
	cases := []struct {
		name     string
		ticker   plot.Ticker
		min, max float64
		want     string
	}{
		{"minutes", linearTicks{}, 0, 25, "0 5 10 15 20 25"},
		{"count to 2", linearTicks{Integer: true}, 0, 2.1, "0 1 2"},
		{"fraction", linearTicks{}, 0, 0.5, "0.0 0.1 0.2 0.3 0.4 0.5"},
		{"log decades", logTicks{}, 1, 1000, "1 2 5 10 20 50 100 200 500 1000"},
		{"log within a factor of two", logTicks{}, 40, 62, "40 50 60"},
		{"log narrow", logTicks{}, 41, 44, "41 44"},
	}
	for _, c := range cases {
		got := strings.Join(labels(c.ticker.Ticks(c.min, c.max)), " ")
		if got != c.want {
			t.Errorf("%s: labels %q, want %q", c.name, got, c.want)
		}
	}
}

// A zero on a log axis is drawn at the axis floor with a legend note, not
// dropped, and the floor is labelled 0.
func TestLogAxisShowsZeros(t *testing.T) {
	c := Chart{Title: "t", XLabel: "fleet size (agents)", YLabel: "issues per simulated hour", LogX: true, LogY: true,
		Series: []Series{{Name: "closed", X: []float64{2, 5, 10}, Y: []float64{0, 4, 8}, Points: true}}}
	p, err := c.Plot()
	if err != nil {
		t.Fatal(err)
	}
	if !(p.Y.Min > 0 && p.Y.Min < 4) {
		t.Errorf("floor %v not below the smallest positive value", p.Y.Min)
	}
	ls := labels(p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max))
	if len(ls) == 0 || ls[len(ls)-1] != "0" {
		t.Errorf("floor not labelled 0: %v", ls)
	}
	b, err := c.Render("svg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "value 0") {
		t.Error("the rendered chart lacks the zero note")
	}
}

// The legend is drawn beside the plot: the image is wider than the plot by
// the legend's column, and the plot keeps its full width.
func TestLegendBesideThePlot(t *testing.T) {
	c := Chart{Title: "t", XLabel: "simulated time (minutes)", YLabel: "pending events (count)", YCount: true,
		Series: []Series{{Name: "a rather long series name", X: []float64{0, 1, 2}, Y: []float64{1, 5, 3}}}}
	b, err := c.Render("png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); float64(w) <= ChartWidth.Dots(96)+20 {
		t.Errorf("image %d px wide: no legend column beside the %v px plot", w, ChartWidth.Dots(96))
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20*time.Minute + 33843298349*time.Nanosecond: "20m34s",
		time.Minute:             "1m",
		2 * time.Hour:           "2h",
		90 * time.Second:        "1m30s",
		1500 * time.Microsecond: "2ms",
	} {
		if got := ShortDuration(d); got != want {
			t.Errorf("ShortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
