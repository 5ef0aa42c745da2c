package scenarios

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/townsim/townsim/des"
)

// The YAML codec maps Go values to YAML by their `yaml:"name"` struct
// tags, by reflection, so that a field added to sim.Config (or to a type
// inside it) only needs a tag to be read and written. A tag ",inline"
// lifts a struct's keys into its parent; a tag "-" hides a field; an
// untagged exported field is a programming error the tests catch.
//
// Some types have a fixed text form: time.Duration is a Go duration string
// ("90s", "15m", "2h30m"), time.Time an RFC 3339 time, and des.Dist a
// small mapping that replaces the whole distribution ({kind: lognormal,
// median: 15m, sigma: 0.4}; {} for "not used").

var (
	durationType = reflect.TypeFor[time.Duration]()
	timeType     = reflect.TypeFor[time.Time]()
	distType     = reflect.TypeFor[des.Dist]()
)

// field is one YAML key of a struct: its name and where its value lives
// (an index path, through inline structs).
type field struct {
	key       string
	index     []int
	omitEmpty bool
}

// fieldsOf lists the YAML keys of struct type t in declaration order,
// inline structs' keys in place. It panics on an exported field without a
// yaml tag, so that a new field cannot be silently left out of files.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, ok := f.Tag.Lookup("yaml")
		if !ok {
			panic(fmt.Sprintf("scenarios: field %s.%s has no yaml tag", t, f.Name))
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if opts == "inline" {
			for _, sub := range fieldsOf(f.Type) {
				sub.index = append([]int{i}, sub.index...)
				out = append(out, sub)
			}
			continue
		}
		out = append(out, field{key: name, index: []int{i}, omitEmpty: opts == "omitempty"})
	}
	return out
}

// keysOf returns the keys of fs, for "want one of" messages.
func keysOf(fs []field) string {
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = f.key
	}
	return strings.Join(keys, ", ")
}

// expected describes what a value of type t looks like in a file.
func expected(t reflect.Type) string {
	switch t {
	case durationType:
		return "a Go duration such as 90s, 15m or 2h30m"
	case timeType:
		return "an RFC 3339 time such as 2026-01-01T00:00:00Z"
	case distType:
		return "a dist mapping such as {kind: lognormal, median: 15m, sigma: 0.4} ({} = not used)"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list, each item " + expected(t.Elem())
	case reflect.Map:
		return "a mapping"
	case reflect.Struct:
		return "a mapping"
	case reflect.Pointer:
		return expected(t.Elem())
	}
	return t.String()
}

// FormatDuration writes d as a Go duration without zero units: 1h, 1h30m,
// 2m30s, 500ms (time.Duration.String writes 1h0m0s).
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
