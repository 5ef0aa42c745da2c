package scenarios

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MarshalYAML writes s as a scenario file that Load reads back to the
// same value: every key written out (no base), nested mappings in block
// style, dists and lists in flow style.
func (s Scenario) MarshalYAML() ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# townsim scenario %s\n", s.Name)
	if err := writeFields(&b, reflect.ValueOf(s), 0); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// writeFields writes the keys of struct v, one per line at indent.
func writeFields(b *strings.Builder, v reflect.Value, indent int) error {
	pad := strings.Repeat("  ", indent)
	for _, f := range fieldsOf(v.Type()) {
		fv := v.FieldByIndex(f.index)
		if f.omitEmpty && fv.IsZero() {
			continue
		}
		if block(fv) {
			fmt.Fprintf(b, "%s%s:\n", pad, f.key)
			if err := writeBlock(b, fv, indent+1); err != nil {
				return fmt.Errorf("%s: %w", f.key, err)
			}
			continue
		}
		s, err := flow(fv)
		if err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
		fmt.Fprintf(b, "%s%s: %s\n", pad, f.key, s)
	}
	return nil
}

// block reports whether v is written as a nested block: a struct other
// than a dist or a time, or a non-empty map.
func block(v reflect.Value) bool {
	switch {
	case v.Type() == distType || v.Type() == timeType:
		return false
	case v.Kind() == reflect.Struct:
		return true
	case v.Kind() == reflect.Map:
		return v.Len() > 0
	case v.Kind() == reflect.Pointer:
		return !v.IsNil() && block(v.Elem())
	}
	return false
}

func writeBlock(b *strings.Builder, v reflect.Value, indent int) error {
	switch v.Kind() {
	case reflect.Pointer:
		return writeBlock(b, v.Elem(), indent)
	case reflect.Map:
		pad := strings.Repeat("  ", indent)
		keys := v.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int { return strings.Compare(x.String(), y.String()) })
		for _, k := range keys {
			e := v.MapIndex(k)
			if block(e) {
				fmt.Fprintf(b, "%s%s:\n", pad, scalarString(k.String()))
				if err := writeBlock(b, e, indent+1); err != nil {
					return err
				}
				continue
			}
			s, err := flow(e)
			if err != nil {
				return err
			}
			fmt.Fprintf(b, "%s%s: %s\n", pad, scalarString(k.String()), s)
		}
		return nil
	}
	return writeFields(b, v, indent)
}

// flow writes v on one line.
func flow(v reflect.Value) (string, error) {
	t := v.Type()
	switch t {
	case durationType:
		return FormatDuration(time.Duration(v.Int())), nil
	case timeType:
		return v.Interface().(time.Time).Format(time.RFC3339Nano), nil
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		var parts []string
		if t.Kind() == reflect.Map {
			keys := v.MapKeys()
			slices.SortFunc(keys, func(x, y reflect.Value) int { return strings.Compare(x.String(), y.String()) })
			for _, k := range keys {
				s, err := flow(v.MapIndex(k))
				if err != nil {
					return "", err
				}
				parts = append(parts, scalarString(k.String())+": "+s)
			}
		} else {
			for _, f := range fieldsOf(t) {
				fv := v.FieldByIndex(f.index)
				if f.omitEmpty && fv.IsZero() {
					continue
				}
				s, err := flow(fv)
				if err != nil {
					return "", err
				}
				parts = append(parts, f.key+": "+s)
			}
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			s, err := flow(v.Index(i))
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case reflect.Pointer:
		if v.IsNil() {
			return "null", nil
		}
		return flow(v.Elem())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64), nil
	case reflect.String:
		return scalarString(v.String()), nil
	}
	return "", fmt.Errorf("no YAML form for type %s", t)
}

// plainWord is text YAML reads back as the same string without quotes.
var plainWord = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_./-]*$`)

// yamlWords are plain words YAML would read as something else than a string.
var yamlWords = []string{"true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf"}

// scalarString writes a string plain when that reads back as the same
// string, double-quoted otherwise.
func scalarString(s string) string {
	if plainWord.MatchString(s) && !slices.Contains(yamlWords, strings.ToLower(s)) {
		return s
	}
	return strconv.Quote(s)
}
