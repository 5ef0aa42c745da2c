package record

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
)

// AnalyticsRow is one Analytics Engine data point as production's
// dataset holds it (reconciler.md §5.2): the time, index1, blob1…blob15,
// double1…double11, and the sampling weight (always 1: townsim writes
// every point). Its JSON uses the dataset's column names.
type AnalyticsRow struct {
	Timestamp      time.Time
	Index1         string
	Blobs          [15]string
	Doubles        [11]float64
	SampleInterval float64
}

// NewAnalyticsRow is the data point of event e written at t.
func NewAnalyticsRow(t time.Time, e model.AnalyticsEvent) AnalyticsRow {
	return AnalyticsRow{Timestamp: t, Index1: e.Event, Blobs: e.Blobs(), Doubles: e.Doubles(), SampleInterval: 1}
}

// Blob returns blobN (1-based).
func (a AnalyticsRow) Blob(n int) string { return a.Blobs[n-1] }

// Double returns doubleN (1-based).
func (a AnalyticsRow) Double(n int) float64 { return a.Doubles[n-1] }

// MarshalJSON writes the row with the dataset's column names:
// timestamp, index1, blob1…blob15, double1…double11, _sample_interval.
func (a AnalyticsRow) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 29)
	m["timestamp"] = a.Timestamp.UTC().Format(time.RFC3339Nano)
	m["index1"] = a.Index1
	for i, b := range a.Blobs {
		m[fmt.Sprintf("blob%d", i+1)] = b
	}
	for i, d := range a.Doubles {
		m[fmt.Sprintf("double%d", i+1)] = d
	}
	m["_sample_interval"] = a.SampleInterval
	return json.Marshal(m)
}

// UnmarshalJSON reads a row written by MarshalJSON; unknown columns are errors.
func (a *AnalyticsRow) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*a = AnalyticsRow{SampleInterval: 1}
	for k, v := range m {
		var err error
		var n int
		switch {
		case k == "timestamp":
			var s string
			if err = json.Unmarshal(v, &s); err == nil {
				a.Timestamp, err = time.Parse(time.RFC3339Nano, s)
			}
		case k == "index1":
			err = json.Unmarshal(v, &a.Index1)
		case k == "_sample_interval":
			err = json.Unmarshal(v, &a.SampleInterval)
		case slot(k, "blob", 15, &n):
			err = json.Unmarshal(v, &a.Blobs[n-1])
		case slot(k, "double", 11, &n):
			err = json.Unmarshal(v, &a.Doubles[n-1])
		default:
			return fmt.Errorf("unknown column %q", k)
		}
		if err != nil {
			return fmt.Errorf("column %s: %w", k, err)
		}
	}
	return nil
}

// slot reports whether column is prefix followed by a slot number from 1
// to last, written without leading zeros, and stores the number in n.
func slot(column, prefix string, last int, n *int) bool {
	digits, ok := strings.CutPrefix(column, prefix)
	if !ok {
		return false
	}
	v, err := strconv.Atoi(digits)
	if err != nil || v < 1 || v > last || strconv.Itoa(v) != digits {
		return false
	}
	*n = v
	return true
}

// ReadAnalytics reads analytics rows (JSON lines) from r; name is used in
// errors ("file:line: ...").
func ReadAnalytics(r io.Reader, name string, each func(AnalyticsRow) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var a AnalyticsRow
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if err := each(a); err != nil {
			return fmt.Errorf("%s:%d: %v", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}

type analyticsWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

// Write writes the analytics data points of the row's tick, stamped with
// the tick's start plus its wall-clock metric (when production writes
// reconciler_tick, T12).
func (w *analyticsWriter) Write(r Row) error {
	for _, a := range r.AnalyticsRows() {
		if err := w.enc.Encode(a); err != nil {
			return err
		}
	}
	return nil
}

func (w *analyticsWriter) Flush() error { return w.bw.Flush() }

// AnalyticsRows returns the analytics data points of the row's tick as
// the Analytics format writes them.
func (r Row) AnalyticsRows() []AnalyticsRow {
	at := r.At.Add(time.Duration(r.WallClockMs * float64(time.Millisecond)))
	out := make([]AnalyticsRow, len(r.analytics))
	for i, e := range r.analytics {
		out[i] = NewAnalyticsRow(at, e)
	}
	return out
}
