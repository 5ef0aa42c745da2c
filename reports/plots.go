package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	// Points draws markers instead of a line (scatter); Square draws them
	// as squares instead of circles.
	Points, Square bool
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
	// XLabel and YLabel name each axis with its unit, as "compute per
	// tick (ms)" or "simulated time (minutes)".
	Title, XLabel, YLabel string
	Series                []Series
	Thresholds            []Threshold
	// LogX and LogY put the axes on log scales. A zero on a log Y axis is
	// drawn as a triangle at the axis floor, with a legend note.
	LogX, LogY bool
	// YCount labels the Y axis with whole numbers (counts).
	YCount bool
}

// Colours of the dashboard's thresholds and series.
var (
	Red    = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	Yellow = color.RGBA{R: 0xe0, G: 0xb0, B: 0x00, A: 0xff}
	Green  = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
	Blue   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
)

// ZeroNote is the legend entry of the zeros drawn at a log axis' floor.
const ZeroNote = "value 0 (drawn at the log axis floor)"

// Plot builds the gonum plot of the chart. Its legend lists every series
// and threshold; Render draws it beside the data, never over it.
func (c Chart) Plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	p.X.Tick.Marker = linearTicks{}
	p.Y.Tick.Marker = linearTicks{Integer: c.YCount}
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
	type zero struct {
		x   float64
		col color.Color
	}
	var zeros []zero
	for i, s := range c.Series {
		col := s.Color
		if col == nil {
			col = plotutil.Color(i)
		}
		var xys plotter.XYs
		for j := range s.X {
			x, y := s.X[j], s.Y[j]
			if (c.LogX && x <= 0) || math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			if c.LogY && y <= 0 {
				if y == 0 {
					zeros = append(zeros, zero{x, col})
					xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
				}
				continue
			}
			xys = append(xys, plotter.XY{X: x, Y: y})
			xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
		if len(xys) == 0 {
			continue
		}
		if s.Points {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color = col
			sc.GlyphStyle.Radius = vg.Points(3)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			if s.Square {
				sc.GlyphStyle.Shape = draw.SquareGlyph{}
			}
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
		ymin, ymax = math.Min(ymin, t.Value), math.Max(ymax, t.Value)
	}
	if !c.LogY {
		// Counts and times start at zero; a flat zero series still gets an
		// axis from 0 to 1.
		if ymin >= 0 {
			p.Y.Min = 0
		}
		if ymax > 0 {
			p.Y.Max = ymax * 1.05
		} else if p.Y.Max <= 0 {
			p.Y.Max = 1
		}
	}
	// Keep the outermost points off the frame.
	if c.LogX && p.X.Min > 0 {
		p.X.Min, p.X.Max = p.X.Min/1.25, p.X.Max*1.25
	}
	if c.LogY {
		if math.IsInf(ymin, 1) { // nothing but zeros
			ymin, ymax = 1, 10
		}
		p.Y.Min, p.Y.Max = ymin/2, ymax*1.25
	}
	if len(zeros) > 0 {
		// A log axis cannot show 0: each zero is a downward triangle at the
		// floor, in its series' colour, and the legend says so.
		var first *plotter.Scatter
		for _, z := range zeros {
			sc, err := plotter.NewScatter(plotter.XYs{{X: z.x, Y: p.Y.Min}})
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: z.col, Radius: vg.Points(4), Shape: downTriangle{}}
			p.Add(sc)
			if first == nil {
				first = sc
			}
		}
		p.Y.Tick.Marker = logTicks{Floor: p.Y.Min}
		gray := *first
		gray.GlyphStyle.Color = color.Gray{Y: 0x60}
		p.Legend.Add(ZeroNote, &gray)
	}
	return p, nil
}

// downTriangle is a glyph pointing down: a value below the axis' floor.
type downTriangle struct{}

// DrawGlyph draws the glyph at pt.
func (downTriangle) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetColor(sty.Color)
	r := sty.Radius
	var p vg.Path
	p.Move(vg.Point{X: pt.X - r, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r/2})
	p.Close()
	c.Fill(p)
}

// ChartWidth and ChartHeight are the rendered size of every chart.
const (
	ChartWidth  = 8 * vg.Inch
	ChartHeight = 4 * vg.Inch
)

// Render renders the chart as "png" or "svg": the plot ChartWidth wide,
// and its legend in a column of its own to the right of the plot, so that
// no entry covers data.
func (c Chart) Render(format string) ([]byte, error) {
	p, err := c.Plot()
	if err != nil {
		return nil, err
	}
	leg := p.Legend
	p.Legend = plot.NewLegend()
	legW := leg.Rectangle(draw.Canvas{}).Size().X
	gap := vg.Points(10)
	if legW > 0 {
		legW += 2 * gap
	}
	cv, err := draw.NewFormattedCanvas(ChartWidth+legW, ChartHeight, format)
	if err != nil {
		return nil, err
	}
	dc := draw.New(cv)
	p.Draw(draw.Crop(dc, 0, -legW, 0, 0))
	if legW > 0 {
		title := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
		leg.Top, leg.Left = true, true
		leg.Draw(draw.Crop(dc, ChartWidth+gap, -gap, 0, -title-gap))
	}
	var buf bytes.Buffer
	if _, err := cv.WriteTo(&buf); err != nil {
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

// ShortDuration prints d rounded to a readable precision without zero
// units: 20m34s, 1h0m5s → 1h0m5s, 90s → 1m30s, 1m0s → 1m, 2h0m0s → 2h.
func ShortDuration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		d = d.Round(time.Second)
	case d >= time.Second:
		d = d.Round(time.Second)
	case d >= time.Millisecond:
		d = d.Round(time.Millisecond)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
