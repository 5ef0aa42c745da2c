package des

import (
	"testing"
	"time"
)

// BenchmarkTraceRecordCall records the line the world writes for each
// answered call (the most frequent record of a run: ~18,000 in a 2-hour
// default town), hash only. "F" builds its fields with F, as the world did
// before the typed constructors; "typed" with Str, Dur and Int, as it does
// now.
func BenchmarkTraceRecordCall(b *testing.B) {
	at := t0.Add(90 * time.Minute)
	lat := 37*time.Millisecond + 412*time.Microsecond
	agent := "3f1c2a9e-5b7d-4c1e-9a2f-6d8e0b4c7a51"
	b.Run("F", func(b *testing.B) {
		tr := NewTrace(nil)
		b.ReportAllocs()
		for b.Loop() {
			tr.Record(at, "call", F("kind", "agent_status"), F("lat", lat), F("agent", agent),
				F("code", 200), F("status", "running"))
		}
	})
	b.Run("typed", func(b *testing.B) {
		tr := NewTrace(nil)
		b.ReportAllocs()
		for b.Loop() {
			tr.Record(at, "call", Str("kind", "agent_status"), Dur("lat", lat), Str("agent", agent),
				Int("code", 200), Str("status", "running"))
		}
	})
}
