package des

import (
	"bytes"
	"math"
	"strconv"
	"testing"
	"time"
)

// TestAppendDuration holds appendDuration to time.Duration's String, on
// the edges of each unit and on a seeded spread of values of every size.
func TestAppendDuration(t *testing.T) {
	ds := []time.Duration{0, 1, -1, 999, 1000, 1001, 1500, 999999, time.Millisecond,
		1500 * time.Microsecond, 250 * time.Millisecond, time.Second - 1, time.Second,
		1500 * time.Millisecond, time.Minute, time.Minute + time.Nanosecond, time.Hour,
		time.Hour + 2*time.Minute + 3*time.Second, 100 * time.Hour, -90 * time.Minute,
		math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	r := NewSource(7).Stream("durations")
	for range 20000 {
		d := time.Duration(r.Uint64() >> (r.Uint64() % 64))
		if r.Uint64()%2 == 0 {
			d = -d
		}
		ds = append(ds, d)
	}
	for _, d := range ds {
		if got, want := string(appendDuration([]byte("x"), d)), "x"+d.String(); got != want {
			t.Fatalf("appendDuration(%d) = %q, want %q", int64(d), got, want)
		}
	}
}

// TestTypedFieldsWriteWhatFWrites checks that the typed constructors and
// F write the text the eager formatting wrote (strconv, time.Duration's
// String, RFC 3339 in UTC), quoting included, so that trace hashes do not
// depend on which constructor a caller used.
func TestTypedFieldsWriteWhatFWrites(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	far := time.Date(3000, 5, 6, 7, 8, 9, 10, est)
	tests := []struct {
		name  string
		typed Field
		want  string // the value as written in the line
	}{
		{"int", Int("n", -42), "-42"},
		{"int max", Int("n", math.MaxInt64), strconv.FormatInt(math.MaxInt64, 10)},
		{"uint64 top bit", F("n", uint64(1)<<63), "9223372036854775808"},
		{"bool true", Bool("ok", true), "true"},
		{"bool false", Bool("ok", false), "false"},
		{"duration", Dur("lat", 1500*time.Millisecond), "1.5s"},
		{"duration µs quoted", Dur("lat", 1500*time.Nanosecond), strconv.Quote("1.5µs")},
		{"time in a zone", Time("at", time.Date(2025, 1, 2, 3, 4, 5, 6000000, est)), "2025-01-02T08:04:05.006Z"},
		{"time whole", Time("at", at), "2026-01-01T00:00:00Z"},
		{"time beyond UnixNano", Time("at", far), far.UTC().Format(time.RFC3339Nano)},
		{"time zero", Time("at", time.Time{}), "0001-01-01T00:00:00Z"},
		{"string", Str("s", "a b"), `"a b"`},
		{"empty string", Str("s", ""), `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tr := NewTrace(&buf)
			tr.Record(at, "e", tt.typed)
			if err := tr.Flush(); err != nil {
				t.Fatal(err)
			}
			want := strconv.FormatInt(at.UnixMilli(), 10) + " e " + tt.typed.Key + "=" + tt.want + "\n"
			if got := buf.String(); got != want {
				t.Errorf("line = %q, want %q", got, want)
			}
		})
	}
}

// TestTypedFieldsAllocateNothing: building and recording typed fields (the
// trace's hot path, once per call and tick) allocates nothing.
func TestTypedFieldsAllocateNothing(t *testing.T) {
	tr := NewTrace(nil)
	at := t0.Add(time.Hour)
	n := testing.AllocsPerRun(200, func() {
		tr.Record(at, "call", Str("kind", "agent_status"), Dur("lat", 37*time.Millisecond),
			Int("code", 200), Bool("ok", true), Time("at", at))
	})
	if n != 0 {
		t.Errorf("Record with typed fields allocates %v times per call, want 0", n)
	}
}
