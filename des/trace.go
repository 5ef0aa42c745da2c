package des

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Field is one key=value pair of a trace record. Keys should be short
// identifiers without spaces or '='; values may be anything (they are quoted
// when needed). Integers, booleans, durations and times are kept as they are
// and written into the record's line only when Record runs, so a Field made
// by Int, Bool, Dur or Time (or by F from such a value) costs no allocation.
type Field struct {
	// Key is the field's name.
	Key  string
	text string    // kindText: the value as written
	num  int64     // kindInt, kindUint, kindBool, kindDur: the value; kindTime: Unix nanoseconds
	kind fieldKind // how the value is held
}

// fieldKind says how a Field holds its value.
type fieldKind uint8

const (
	kindText fieldKind = iota // text
	kindInt                   // num, signed decimal
	kindUint                  // num's bits, unsigned decimal
	kindBool                  // num != 0
	kindDur                   // num as time.Duration's String
	kindTime                  // num as UTC RFC 3339 with nanoseconds
)

// Str makes a Field whose value is s as it is.
func Str(key, s string) Field { return Field{Key: key, text: s} }

// Int makes a Field whose value is n in decimal.
func Int(key string, n int64) Field { return Field{Key: key, num: n, kind: kindInt} }

// Bool makes a Field whose value is true or false.
func Bool(key string, b bool) Field {
	f := Field{Key: key, kind: kindBool}
	if b {
		f.num = 1
	}
	return f
}

// Dur makes a Field whose value is d as time.Duration's String writes it.
func Dur(key string, d time.Duration) Field { return Field{Key: key, num: int64(d), kind: kindDur} }

// Time makes a Field whose value is t in UTC as RFC 3339 with nanoseconds
// (time.RFC3339Nano).
func Time(key string, t time.Time) Field {
	if t.Before(minNanoTime) || t.After(maxNanoTime) { // outside UnixNano's range
		return Field{Key: key, text: t.UTC().Format(time.RFC3339Nano)}
	}
	return Field{Key: key, num: t.UnixNano(), kind: kindTime}
}

// The times UnixNano can represent.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// F makes a Field, formatting v deterministically: strings as they are,
// integers in decimal, bools as true/false, durations as time.Duration's
// String, times as RFC 3339 with nanoseconds in UTC, floats in the shortest
// exact form, errors and fmt.Stringers by their text, anything else with %v.
// Never pass pointers or values whose %v form is not stable. Str, Int, Bool,
// Dur and Time write the same text for their types without boxing v.
func F(key string, v any) Field {
	switch x := v.(type) {
	case string:
		return Str(key, x)
	case int:
		return Int(key, int64(x))
	case int64:
		return Int(key, x)
	case int32:
		return Int(key, int64(x))
	case uint64:
		return Field{Key: key, num: int64(x), kind: kindUint}
	case uint32:
		return Int(key, int64(x))
	case uint:
		return Field{Key: key, num: int64(x), kind: kindUint}
	case bool:
		return Bool(key, x)
	case time.Duration:
		return Dur(key, x)
	case time.Time:
		return Time(key, x)
	case float64:
		return Str(key, strconv.FormatFloat(x, 'g', -1, 64))
	case error:
		return Str(key, x.Error())
	case fmt.Stringer:
		return Str(key, x.String())
	default:
		return Str(key, fmt.Sprintf("%v", v))
	}
}

// Text returns the field's value as Record writes it, before any quoting.
func (f Field) Text() string {
	if f.kind == kindText {
		return f.text
	}
	return string(f.appendValue(nil))
}

// appendValue appends the value's text, unquoted, to b.
func (f Field) appendValue(b []byte) []byte {
	switch f.kind {
	case kindInt:
		return strconv.AppendInt(b, f.num, 10)
	case kindUint:
		return strconv.AppendUint(b, uint64(f.num), 10)
	case kindBool:
		return strconv.AppendBool(b, f.num != 0)
	case kindDur:
		return appendDuration(b, time.Duration(f.num))
	case kindTime:
		return time.Unix(0, f.num).UTC().AppendFormat(b, time.RFC3339Nano)
	}
	return append(b, f.text...)
}

// Trace records everything that happens in a run as lines of text and folds
// the same bytes into a running 64-bit FNV-1a hash, so that two runs can be
// compared by Hash alone. Each record is one line:
//
//	<unix-ms> <kind> k=v k=v ...
//
// where a value that is empty or contains a space, '=', '"', a control or a
// non-ASCII byte is written with strconv.Quote. The methods of a nil *Trace
// do nothing, so tracing can be switched off by passing nil.
type Trace struct {
	w     *bufio.Writer
	buf   []byte
	hash  uint64
	count uint64
	err   error
}

// NewTrace returns a Trace that writes its lines to w through a buffer, or
// only hashes them if w is nil. Call Flush at the end of the run.
func NewTrace(w io.Writer) *Trace {
	t := &Trace{hash: fnvOffset, buf: make([]byte, 0, 256)}
	if w != nil {
		t.w = bufio.NewWriterSize(w, 64<<10)
	}
	return t
}

// Record adds one record of the given kind at time at, with fields in the
// order given.
func (t *Trace) Record(at time.Time, kind string, fields ...Field) {
	if t == nil {
		return
	}
	b := strconv.AppendInt(t.buf[:0], at.UnixMilli(), 10)
	b = append(b, ' ')
	b = append(b, kind...)
	for _, f := range fields {
		b = append(b, ' ')
		b = append(b, f.Key...)
		b = append(b, '=')
		if f.kind == kindText {
			if needsQuote(f.text) {
				b = strconv.AppendQuote(b, f.text)
			} else {
				b = append(b, f.text...)
			}
			continue
		}
		v := len(b)
		b = f.appendValue(b)
		if needsQuoteBytes(b[v:]) { // a duration in µs
			b = strconv.AppendQuote(b[:v], string(b[v:]))
		}
	}
	b = append(b, '\n')
	t.buf = b
	t.hash = fnv1aBytes(t.hash, b)
	t.count++
	if t.w != nil && t.err == nil {
		if _, err := t.w.Write(b); err != nil {
			t.err = err
		}
	}
}

// Hash returns the hash of every record so far as 16 lowercase hex digits.
func (t *Trace) Hash() string {
	h := uint64(fnvOffset)
	if t != nil {
		h = t.hash
	}
	var b [16]byte
	const hexdigits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b[i] = hexdigits[h&0xf]
		h >>= 4
	}
	return string(b[:])
}

// Count returns the number of records so far.
func (t *Trace) Count() uint64 {
	if t == nil {
		return 0
	}
	return t.count
}

// Flush writes any buffered lines to the underlying writer and returns the
// first write error, if any.
func (t *Trace) Flush() error {
	if t == nil {
		return nil
	}
	if t.w != nil && t.err == nil {
		t.err = t.w.Flush()
	}
	return t.err
}

// Err returns the first error met writing the trace, or nil. The hash and
// count go on regardless of write errors.
func (t *Trace) Err() error {
	if t == nil {
		return nil
	}
	return t.err
}

// needsQuote reports whether a value must be quoted to keep a line readable
// and splittable on spaces.
func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		if quoted(s[i]) {
			return true
		}
	}
	return false
}

// needsQuoteBytes is needsQuote for bytes.
func needsQuoteBytes(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	for _, c := range b {
		if quoted(c) {
			return true
		}
	}
	return false
}

// quoted reports whether a byte makes a value need quoting.
func quoted(c byte) bool { return c <= ' ' || c == '=' || c == '"' || c >= 0x7f }
