package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named line of a chart.
type Series struct {
	Name string
	X, Y []float64
	// Points draws markers instead of a line (scatter).
	Points bool
	// Color overrides the palette ("" = next palette colour); Dashed draws
	// the line dashed.
	Color  color.Color
	Dashed bool
}

// Threshold is a horizontal line drawn across a chart.
type Threshold struct {
	Name  string
	Value float64
	Color color.Color
}

// Chart is a chart to render with gonum/plot.
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
	Thresholds            []Threshold
	// LogX and LogY put the axes on log scales (values ≤ 0 are dropped).
	LogX, LogY bool
	// LegendBottomRight moves the legend from the top left corner.
	LegendBottomRight bool
}

// Colours of the dashboard's thresholds and series.
var (
	Red    = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	Yellow = color.RGBA{R: 0xe0, G: 0xb0, B: 0x00, A: 0xff}
	Green  = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
	Blue   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
)

// Plot builds the gonum plot of the chart.
func (c Chart) Plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	p.Legend.Top = !c.LegendBottomRight
	p.Legend.Left = !c.LegendBottomRight
	p.Add(plotter.NewGrid())
	if c.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	if c.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i, s := range c.Series {
		var xys plotter.XYs
		for j := range s.X {
			x, y := s.X[j], s.Y[j]
			if (c.LogX && x <= 0) || (c.LogY && y <= 0) || math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: x, Y: y})
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
		if len(xys) == 0 {
			continue
		}
		col := s.Color
		if col == nil {
			col = plotutil.Color(i)
		}
		if s.Points {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color = col
			sc.GlyphStyle.Radius = vg.Points(3)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(sc)
			p.Legend.Add(s.Name, sc)
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.LineStyle.Color = col
		l.LineStyle.Width = vg.Points(1.5)
		if s.Dashed {
			l.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(s.Name, l)
	}
	for _, t := range c.Thresholds {
		if math.IsInf(xmin, 1) {
			break
		}
		l, err := plotter.NewLine(plotter.XYs{{X: xmin, Y: t.Value}, {X: xmax, Y: t.Value}})
		if err != nil {
			return nil, err
		}
		l.LineStyle.Color = t.Color
		l.LineStyle.Width = vg.Points(1.5)
		l.LineStyle.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(t.Name, l)
		ymax = math.Max(ymax, t.Value)
	}
	if !c.LogY {
		// Counts and times start at zero; leave room above the highest
		// line or threshold for the legend; a flat zero series still gets
		// an axis from 0 to 1.
		if ymin >= 0 {
			p.Y.Min = 0
		}
		if ymax > 0 {
			entries := min(len(c.Series)+len(c.Thresholds), 8)
			p.Y.Max = ymax * (1.08 + 0.06*float64(entries))
		} else if p.Y.Max <= 0 {
			p.Y.Max = 1
		}
	}
	// Keep the outermost points off the frame.
	if c.LogX && p.X.Min > 0 {
		p.X.Min, p.X.Max = p.X.Min/1.25, p.X.Max*1.25
	}
	if c.LogY && p.Y.Min > 0 {
		p.Y.Min, p.Y.Max = p.Y.Min/1.25, p.Y.Max*1.25
	}
	return p, nil
}

// logTicks labels a log axis at 1, 2 and 5 times each power of ten, with
// unlabelled minor ticks at the other integers, so that an axis spanning
// less than a decade still has labels.
type logTicks struct{}

// Ticks returns the ticks between min and max.
func (logTicks) Ticks(min, max float64) []plot.Tick {
	if min <= 0 || max <= min {
		return nil
	}
	var out []plot.Tick
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
			}
			out = append(out, t)
		}
	}
	return out
}

// ChartWidth and ChartHeight are the rendered size of every chart.
const (
	ChartWidth  = 8 * vg.Inch
	ChartHeight = 4 * vg.Inch
)

// Render renders the chart as "png" or "svg".
func (c Chart) Render(format string) ([]byte, error) {
	p, err := c.Plot()
	if err != nil {
		return nil, err
	}
	wt, err := p.WriterTo(ChartWidth, ChartHeight, format)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFiles renders the chart as dir/name.png and dir/name.svg, which
// must not exist, and returns the PNG bytes.
func (c Chart) WriteFiles(dir, name string) ([]byte, error) {
	var png []byte
	for _, f := range []string{"png", "svg"} {
		b, err := c.Render(f)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", name, err)
		}
		if err := WriteNew(filepath.Join(dir, name+"."+f), b); err != nil {
			return nil, err
		}
		if f == "png" {
			png = b
		}
	}
	return png, nil
}

// WriteNew writes b to a new file at path; an existing file is an error
// (townsim never overwrites a file).
func WriteNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Slug turns a title into a file name.
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
