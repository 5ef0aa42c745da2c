package des

import (
	"bytes"
	"errors"
	"hash/fnv"
	"strings"
	"testing"
	"time"
)

type stringer struct{}

func (stringer) String() string { return "stringer!" }

func TestF(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	tests := []struct {
		v    any
		want string
	}{
		{"plain", "plain"},
		{"", ""},
		{42, "42"},
		{-7, "-7"},
		{int64(1) << 40, "1099511627776"},
		{int32(-3), "-3"},
		{uint(5), "5"},
		{uint32(6), "6"},
		{uint64(1) << 63, "9223372036854775808"},
		{true, "true"},
		{false, "false"},
		{1500 * time.Millisecond, "1.5s"},
		{time.Duration(0), "0s"},
		{time.Date(2025, 1, 2, 3, 4, 5, 6000000, est), "2025-01-02T08:04:05.006Z"},
		{time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), "2025-01-02T03:04:05Z"},
		{0.25, "0.25"},
		{errors.New("boom"), "boom"},
		{stringer{}, "stringer!"},
		{struct{ A, B int }{1, 2}, "{1 2}"},
		{[]string{"x", "y"}, "[x y]"},
	}
	for _, tt := range tests {
		got := F("k", tt.v)
		if got.Key != "k" || got.Text() != tt.want {
			t.Errorf("F(%#v) = %q=%q, want k=%q", tt.v, got.Key, got.Text(), tt.want)
		}
	}
}

func TestTraceLineFormat(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 678900000, time.UTC)
	ms := "1735787045678"
	tests := []struct {
		name   string
		kind   string
		fields []Field
		want   string
	}{
		{"no fields", "tick", nil, ms + " tick\n"},
		{"plain fields", "dispatch", []Field{F("agent", "a1"), F("n", 3), F("ok", true)},
			ms + " dispatch agent=a1 n=3 ok=true\n"},
		{"duration and time", "effect", []Field{F("lat", 250*time.Millisecond), F("at", at)},
			ms + " effect lat=250ms at=2025-01-02T03:04:05.6789Z\n"},
		{"space quoted", "e", []Field{F("msg", "two words")}, ms + ` e msg="two words"` + "\n"},
		{"equals quoted", "e", []Field{F("expr", "a=b")}, ms + ` e expr="a=b"` + "\n"},
		{"empty quoted", "e", []Field{F("v", "")}, ms + ` e v=""` + "\n"},
		{"quote quoted", "e", []Field{F("v", `say "hi"`)}, ms + ` e v="say \"hi\""` + "\n"},
		{"newline escaped", "e", []Field{F("v", "a\nb")}, ms + ` e v="a\nb"` + "\n"},
		{"tab quoted", "e", []Field{F("v", "a\tb")}, ms + ` e v="a\tb"` + "\n"},
		{"non-ascii quoted", "e", []Field{F("v", "café")}, ms + ` e v="café"` + "\n"},
		{"symbols unquoted", "e", []Field{F("v", "a-b_c/d:e.f,[g]")}, ms + " e v=a-b_c/d:e.f,[g]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tr := NewTrace(&buf)
			tr.Record(at, tt.kind, tt.fields...)
			if err := tr.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("line = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTraceBeforeEpoch(t *testing.T) {
	var buf bytes.Buffer
	tr := NewTrace(&buf)
	tr.Record(time.Unix(0, 0).Add(-1500*time.Millisecond), "old")
	tr.Flush()
	if got := buf.String(); got != "-1500 old\n" {
		t.Errorf("line = %q", got)
	}
}

type rec struct {
	at     time.Duration
	kind   string
	fields []Field
}

func hashOf(recs []rec) string {
	tr := NewTrace(nil)
	for _, r := range recs {
		tr.Record(t0.Add(r.at), r.kind, r.fields...)
	}
	return tr.Hash()
}

func TestTraceHash(t *testing.T) {
	base := []rec{
		{0, "tick", []Field{F("n", 1)}},
		{time.Second, "dispatch", []Field{F("agent", "a1"), F("bead", "b1")}},
	}
	tests := []struct {
		name     string
		recs     []rec
		wantSame bool
	}{
		{"identical", []rec{
			{0, "tick", []Field{F("n", 1)}},
			{time.Second, "dispatch", []Field{F("agent", "a1"), F("bead", "b1")}},
		}, true},
		{"time differs", []rec{
			{0, "tick", []Field{F("n", 1)}},
			{2 * time.Second, "dispatch", []Field{F("agent", "a1"), F("bead", "b1")}},
		}, false},
		{"kind differs", []rec{
			{0, "tick", []Field{F("n", 1)}},
			{time.Second, "stop", []Field{F("agent", "a1"), F("bead", "b1")}},
		}, false},
		{"key differs", []rec{
			{0, "tick", []Field{F("m", 1)}},
			{time.Second, "dispatch", []Field{F("agent", "a1"), F("bead", "b1")}},
		}, false},
		{"value differs", []rec{
			{0, "tick", []Field{F("n", 1)}},
			{time.Second, "dispatch", []Field{F("agent", "a1"), F("bead", "b2")}},
		}, false},
		{"field order differs", []rec{
			{0, "tick", []Field{F("n", 1)}},
			{time.Second, "dispatch", []Field{F("bead", "b1"), F("agent", "a1")}},
		}, false},
		{"field missing", []rec{
			{0, "tick", []Field{F("n", 1)}},
			{time.Second, "dispatch", []Field{F("agent", "a1")}},
		}, false},
		{"record order differs", []rec{
			{time.Second, "dispatch", []Field{F("agent", "a1"), F("bead", "b1")}},
			{0, "tick", []Field{F("n", 1)}},
		}, false},
		{"extra record", append(append([]rec{}, base...), rec{0, "x", nil}), false},
		{"boundary moved between fields", []rec{
			{0, "tick", []Field{F("n", 1)}},
			{time.Second, "dispatch", []Field{F("agent", "a1 bead=b1")}},
		}, false},
	}
	want := hashOf(base)
	if len(want) != 16 || strings.Trim(want, "0123456789abcdef") != "" {
		t.Fatalf("Hash = %q, want 16 lowercase hex digits", want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if same := hashOf(tt.recs) == want; same != tt.wantSame {
				t.Errorf("hash equal = %v, want %v", same, tt.wantSame)
			}
		})
	}
}

// TestTraceHashIsFNVOfLines checks that the hash covers exactly the bytes
// written, and does not depend on whether they are written.
func TestTraceHashIsFNVOfLines(t *testing.T) {
	var buf bytes.Buffer
	written := NewTrace(&buf)
	hashOnly := NewTrace(nil)
	for i := range 100 {
		for _, tr := range []*Trace{written, hashOnly} {
			tr.Record(t0.Add(time.Duration(i)*time.Second), "ev", F("i", i), F("s", "a b"))
		}
	}
	if err := written.Flush(); err != nil {
		t.Fatal(err)
	}
	h := fnv.New64a()
	h.Write(buf.Bytes())
	if got, want := written.Hash(), hexOf(h.Sum64()); got != want {
		t.Errorf("Hash = %s, FNV-1a of the lines = %s", got, want)
	}
	if written.Hash() != hashOnly.Hash() {
		t.Error("hash with a writer differs from hash without one")
	}
	if written.Count() != 100 || hashOnly.Count() != 100 {
		t.Errorf("Count = %d, %d; want 100", written.Count(), hashOnly.Count())
	}
	if got := strings.Count(buf.String(), "\n"); got != 100 {
		t.Errorf("%d lines written, want 100", got)
	}
}

func hexOf(h uint64) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 16)
	for i := 15; i >= 0; i-- {
		b[i] = digits[h&0xf]
		h >>= 4
	}
	return string(b)
}

func TestTraceEmptyAndNil(t *testing.T) {
	const empty = "cbf29ce484222325" // FNV-1a 64 offset basis
	if got := NewTrace(nil).Hash(); got != empty {
		t.Errorf("empty Hash = %s, want %s", got, empty)
	}
	var tr *Trace
	tr.Record(t0, "ignored", F("a", 1))
	if tr.Hash() != empty || tr.Count() != 0 || tr.Flush() != nil || tr.Err() != nil {
		t.Error("nil *Trace is not a no-op")
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

func TestTraceWriteError(t *testing.T) {
	w := &failWriter{}
	tr := NewTrace(w)
	ref := NewTrace(nil)
	long := strings.Repeat("x", 40<<10) // two records overflow the buffer
	for i := range 5 {
		tr.Record(t0, "big", F("i", i), F("v", long))
		ref.Record(t0, "big", F("i", i), F("v", long))
	}
	if tr.Err() == nil || !strings.Contains(tr.Err().Error(), "disk full") {
		t.Errorf("Err = %v, want disk full", tr.Err())
	}
	if err := tr.Flush(); err == nil {
		t.Error("Flush after a write error returned nil")
	}
	if w.n != 1 {
		t.Errorf("writer called %d times after failing, want 1", w.n)
	}
	if tr.Hash() != ref.Hash() || tr.Count() != 5 {
		t.Error("hash or count stopped at the write error")
	}
}

func TestTraceRecordAllocs(t *testing.T) {
	tr := NewTrace(nil)
	fields := []Field{F("agent", "a1"), F("bead", "b1"), F("n", 12345)}
	tr.Record(t0, "warm", fields...)
	if n := testing.AllocsPerRun(100, func() { tr.Record(t0, "dispatch", fields...) }); n != 0 {
		t.Errorf("Record allocates %v times per call, want 0", n)
	}
}

func BenchmarkTraceRecord(b *testing.B) {
	at := t0.Add(90 * time.Minute)
	for _, bc := range []struct {
		name string
		tr   *Trace
	}{
		{"hash-only", NewTrace(nil)},
		{"writer", NewTrace(discard{})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				bc.tr.Record(at, "dispatch", Str("agent", "agent-0042"), Str("bead", "bd-7f3a9c"),
					F("attempt", i&7), F("ok", true))
			}
			if err := bc.tr.Flush(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
