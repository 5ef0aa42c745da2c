package des

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Field is one key=value pair of a trace record. Keys should be short
// identifiers without spaces or '='; values may be anything (they are quoted
// when needed).
type Field struct {
	Key, Value string
}

// F makes a Field, formatting v deterministically: strings as they are,
// integers in decimal, bools as true/false, durations as time.Duration's
// String, times as RFC 3339 with nanoseconds in UTC, floats in the shortest
// exact form, errors and fmt.Stringers by their text, anything else with %v.
// Never pass pointers or values whose %v form is not stable.
func F(key string, v any) Field {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case uint32:
		s = strconv.FormatUint(uint64(x), 10)
	case uint:
		s = strconv.FormatUint(uint64(x), 10)
	case bool:
		s = strconv.FormatBool(x)
	case time.Duration:
		s = x.String()
	case time.Time:
		s = x.UTC().Format(time.RFC3339Nano)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case error:
		s = x.Error()
	case fmt.Stringer:
		s = x.String()
	default:
		s = fmt.Sprintf("%v", v)
	}
	return Field{Key: key, Value: s}
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
		if needsQuote(f.Value) {
			b = strconv.AppendQuote(b, f.Value)
		} else {
			b = append(b, f.Value...)
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
		c := s[i]
		if c <= ' ' || c == '=' || c == '"' || c >= 0x7f {
			return true
		}
	}
	return false
}
