package record

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

func TestFormatFor(t *testing.T) {
	cases := []struct {
		path string
		want Format
		err  bool
	}{{"a.csv", CSV, false}, {"A.CSV", CSV, false}, {"a.jsonl", JSONL, false}, {"a.ndjson", JSONL, false},
		{"run.ae.jsonl", Analytics, false}, {"a.txt", "", true}, {"a", "", true}}
	for _, c := range cases {
		got, err := FormatFor(c.path)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("FormatFor(%q) = %q, %v", c.path, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml): no error")
	}
}

// recordRun runs a small town and writes its rows in every format.
func recordRun(t *testing.T) (*sim.Result, map[Format]*bytes.Buffer, int) {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Duration = 20 * time.Minute
	bufs := map[Format]*bytes.Buffer{}
	rec := &Recorder{Knobs: "production"}
	for _, f := range Formats {
		bufs[f] = &bytes.Buffer{}
		w, err := NewWriter(bufs[f], f)
		if err != nil {
			t.Fatal(err)
		}
		rec.Writers = append(rec.Writers, w)
	}
	res, err := sim.Run(cfg, sim.RunOptions{OnTick: rec.OnTick})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return res, bufs, rec.Ticks()
}

func TestWritersAgreeWithRun(t *testing.T) {
	res, bufs, n := recordRun(t)
	if n != len(res.TickRecords) || n == 0 {
		t.Fatalf("recorded %d ticks, run has %d", n, len(res.TickRecords))
	}
	// CSV: a header and one line per tick; statements match the records.
	lines, err := csv.NewReader(bufs[CSV]).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != n+1 || strings.Join(lines[0], ",") != strings.Join(CSVHeader(), ",") {
		t.Fatalf("CSV: %d lines, header %v", len(lines), lines[0][:3])
	}
	col := map[string]int{}
	for i, h := range lines[0] {
		col[h] = i
	}
	for i, tr := range res.TickRecords {
		if got := lines[i+1][col["sql_statements"]]; got != itoa64(tr.Cost.Statements) {
			t.Errorf("CSV tick %d statements %s, record %d", i+1, got, tr.Cost.Statements)
		}
	}
	// JSON lines: the drained events sum to the run's.
	sc := bufio.NewScanner(bufs[JSONL])
	sc.Buffer(nil, 1<<20)
	drained, ticks := 0, 0
	issuesSeen := false
	for sc.Scan() {
		var r Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		drained += r.EventsDrained
		ticks++
		if r.Issues[model.StatusOpen]+r.Issues[model.StatusInProgress]+r.Issues[model.StatusClosed] > 0 {
			issuesSeen = true
		}
		if r.Knobs != "production" {
			t.Errorf("row knobs %q", r.Knobs)
		}
	}
	if ticks != n || drained != res.EventsDrained || !issuesSeen {
		t.Errorf("JSONL: %d ticks, %d drained (run %d), issues seen %v", ticks, drained, res.EventsDrained, issuesSeen)
	}
	// Analytics: one reconciler_tick row per tick, slots as §5.3.
	tickRows := 0
	err = ReadAnalytics(bufs[Analytics], "ae", func(a AnalyticsRow) error {
		if a.Index1 != a.Blob(1) || a.SampleInterval != 1 {
			t.Errorf("row %+v: index1/blob1 or sample interval wrong", a)
		}
		if a.Blob(1) == "reconciler_tick" {
			tickRows++
			if a.Blob(3) != "internal" || a.Blob(6) == "" || !strings.HasPrefix(a.Blob(10), "{") {
				t.Errorf("reconciler_tick blobs %q", a.Blobs)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tickRows != n {
		t.Errorf("%d reconciler_tick rows for %d ticks", tickRows, n)
	}
}

func TestReadAnalyticsErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"blob16":"x"}`, `f:1: unknown column "blob16"`},
		{"\n{\"double2\":\"x\"}", "f:2: column double2"},
		{`{"timestamp":"yesterday"}`, "f:1: column timestamp"},
		{`not json`, "f:1:"},
	}
	for _, c := range cases {
		err := ReadAnalytics(strings.NewReader(c.in), "f", func(AnalyticsRow) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }
