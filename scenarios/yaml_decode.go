package scenarios

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/townsim/townsim/des"
)

// FileError is a problem in a scenario file: the file, the line (0 when
// the value at fault was not written in the file, e.g. inherited from its
// base), the key path (snake_case, as sim.Config.Validate names it, e.g.
// containers.cold_start.median) and what is wrong or expected.
type FileError struct {
	File string
	Line int
	Path string
	Msg  string
}

// Error is "FILE:LINE: PATH: MSG", leaving out what is not known.
func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Path != "" {
		b.WriteString(": " + e.Path)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// decoder reads a YAML node tree onto Go values by their yaml tags,
// remembering the line of every key it sets.
type decoder struct {
	file  string
	lines map[string]int // key path -> line of the key
}

func (d *decoder) errorf(line int, path, format string, args ...any) error {
	return &FileError{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// lineOf is the line of n, or fallback when n has no token.
func lineOf(n ast.Node, fallback int) int {
	if n != nil {
		if t := n.GetToken(); t != nil && t.Position != nil && t.Position.Line > 0 {
			return t.Position.Line
		}
	}
	return fallback
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// unwrap looks through anchors and tags; aliases are refused.
func (d *decoder) unwrap(n ast.Node, path string, line int) (ast.Node, error) {
	for {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		case *ast.AliasNode:
			return nil, d.errorf(lineOf(n, line), path, "aliases (*name) are not supported; write the value out")
		default:
			return n, nil
		}
	}
}

// describe names what a node holds, for "got ..." messages.
func describe(n ast.Node) string {
	tok := func() string {
		if t := n.GetToken(); t != nil {
			return t.Value
		}
		return ""
	}
	switch x := n.(type) {
	case nil, *ast.NullNode:
		return "no value"
	case *ast.StringNode:
		return fmt.Sprintf("the string %q", x.Value)
	case *ast.LiteralNode:
		return "a block string"
	case *ast.IntegerNode:
		return "the integer " + tok()
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + tok()
	case *ast.BoolNode:
		return "the boolean " + tok()
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	return "a " + n.Type().String()
}

// pairs returns the key-value pairs of a mapping node.
func pairs(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch x := n.(type) {
	case *ast.MappingNode:
		return x.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{x}, true
	}
	return nil, false
}

// keyText is a mapping key as text.
func keyText(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	if t := k.GetToken(); t != nil {
		return t.Value
	}
	return k.String()
}

// value sets v from n; path names v and line is the line of its key.
func (d *decoder) value(n ast.Node, v reflect.Value, path string, line int) error {
	n, err := d.unwrap(n, path, line)
	if err != nil {
		return err
	}
	line = lineOf(n, line)
	t := v.Type()
	wrong := func() error {
		return d.errorf(line, path, "expected %s, got %s", expected(t), describe(n))
	}
	switch t {
	case durationType:
		switch x := n.(type) {
		case *ast.StringNode:
			dur, err := time.ParseDuration(x.Value)
			if err != nil {
				return d.errorf(line, path, "expected %s, got %q", expected(t), x.Value)
			}
			v.SetInt(int64(dur))
			return nil
		case *ast.IntegerNode:
			if x.GetToken().Value == "0" {
				v.SetInt(0)
				return nil
			}
			return d.errorf(line, path, "expected %s, got %s (a duration needs a unit: %ss, %sm)",
				expected(t), describe(n), x.GetToken().Value, x.GetToken().Value)
		}
		return wrong()
	case timeType:
		s, ok := n.(*ast.StringNode)
		if !ok {
			return wrong()
		}
		tm, err := time.Parse(time.RFC3339Nano, s.Value)
		if err != nil {
			return d.errorf(line, path, "expected %s, got %q", expected(t), s.Value)
		}
		v.Set(reflect.ValueOf(tm))
		return nil
	case distType:
		return d.dist(n, v, path, line)
	}
	switch t.Kind() {
	case reflect.Struct:
		ps, ok := pairs(n)
		if !ok {
			return wrong()
		}
		return d.fields(ps, v, path, nil)
	case reflect.Pointer:
		if _, null := n.(*ast.NullNode); null {
			v.Set(reflect.Zero(t)) // null is a nil pointer
			return nil
		}
		p := reflect.New(t.Elem())
		if err := d.value(n, p.Elem(), path, line); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			return wrong()
		}
		if len(seq.Values) == 0 {
			v.Set(reflect.Zero(t)) // [] is a nil list, as a Go value leaves it
			return nil
		}
		s := reflect.MakeSlice(t, len(seq.Values), len(seq.Values))
		for i, e := range seq.Values {
			if err := d.value(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i), line); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		ps, ok := pairs(n)
		if !ok || t.Key().Kind() != reflect.String {
			return wrong()
		}
		if len(ps) == 0 {
			v.Set(reflect.Zero(t)) // {} is a nil map, as a Go value leaves it
			return nil
		}
		m := reflect.MakeMapWithSize(t, len(ps))
		for _, kv := range ps {
			key := keyText(kv.Key)
			p := joinPath(path, key)
			kl := lineOf(kv.Key, line)
			if m.MapIndex(reflect.ValueOf(key).Convert(t.Key())).IsValid() {
				return d.errorf(kl, p, "appears twice")
			}
			e := reflect.New(t.Elem()).Elem()
			if err := d.value(kv.Value, e, p, kl); err != nil {
				return err
			}
			d.lines[p] = kl
			m.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), e)
		}
		v.Set(m)
		return nil
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			return wrong()
		}
		v.SetBool(b.Value)
		return nil
	case reflect.String:
		switch x := n.(type) {
		case *ast.StringNode:
			v.SetString(x.Value)
		case *ast.LiteralNode:
			v.SetString(x.Value.Value)
		default:
			return wrong()
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, ok := n.(*ast.IntegerNode)
		if !ok {
			return wrong()
		}
		var i int64
		switch nv := x.Value.(type) {
		case int64:
			i = nv
		case uint64:
			if nv > math.MaxInt64 {
				return d.errorf(line, path, "%s is too large for %s", x.GetToken().Value, expected(t))
			}
			i = int64(nv)
		}
		if v.OverflowInt(i) {
			return d.errorf(line, path, "%s is too large for %s", x.GetToken().Value, expected(t))
		}
		v.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		x, ok := n.(*ast.IntegerNode)
		if !ok {
			return wrong()
		}
		var u uint64
		switch nv := x.Value.(type) {
		case int64:
			if nv < 0 {
				return d.errorf(line, path, "expected %s, got %s", expected(t), describe(n))
			}
			u = uint64(nv)
		case uint64:
			u = nv
		}
		if v.OverflowUint(u) {
			return d.errorf(line, path, "%s is too large for %s", x.GetToken().Value, expected(t))
		}
		v.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := n.(type) {
		case *ast.IntegerNode:
			switch nv := x.Value.(type) {
			case int64:
				f = float64(nv)
			case uint64:
				f = float64(nv)
			}
		case *ast.FloatNode:
			f = x.Value
		case *ast.InfinityNode, *ast.NanNode:
			return d.errorf(line, path, "expected a finite number, got %s", describe(n))
		default:
			return wrong()
		}
		v.SetFloat(f)
		return nil
	}
	panic(fmt.Sprintf("scenarios: %s: no YAML form for type %s", path, t))
}

// fields sets the fields of struct v from a mapping's pairs: every key
// must be a field's (or in skip), and at most once.
func (d *decoder) fields(ps []*ast.MappingValueNode, v reflect.Value, path string, skip map[string]bool) error {
	fs := fieldsOf(v.Type())
	seen := map[string]bool{}
	for _, kv := range ps {
		key := keyText(kv.Key)
		p := joinPath(path, key)
		kl := lineOf(kv.Key, 0)
		if seen[key] {
			return d.errorf(kl, p, "appears twice")
		}
		seen[key] = true
		if skip[key] {
			continue
		}
		i := findField(fs, key)
		if i < 0 {
			where := "here"
			if path != "" {
				where = "in " + path
			}
			return d.errorf(kl, p, "unknown key %q; the keys %s are: %s", key, where, keysOf(fs))
		}
		d.lines[p] = kl
		if err := d.value(kv.Value, v.FieldByIndex(fs[i].index), p, kl); err != nil {
			return err
		}
	}
	return nil
}

func findField(fs []field, key string) int {
	for i, f := range fs {
		if f.key == key {
			return i
		}
	}
	return -1
}

// dist sets a des.Dist from a mapping, replacing the whole distribution,
// and checks it: a bad kind or parameter is reported at its key.
func (d *decoder) dist(n ast.Node, v reflect.Value, path string, line int) error {
	ps, ok := pairs(n)
	if !ok {
		return d.errorf(line, path, "expected %s, got %s", expected(distType), describe(n))
	}
	var nd des.Dist
	if err := d.fields(ps, reflect.ValueOf(&nd).Elem(), path, nil); err != nil {
		return err
	}
	if nd != (des.Dist{}) {
		if err := nd.Validate(); err != nil {
			sub, msg := distProblem(err)
			p := joinPath(path, sub)
			at, ok := d.lines[p]
			if !ok {
				at, p = line, path
			}
			return d.errorf(at, p, "%s", msg)
		}
	}
	v.Set(reflect.ValueOf(nd))
	return nil
}

// distProblem splits a des.Dist validation error ("dist lognormal: Median
// must be positive, got 0s", `dist: Kind "x" is unknown; ...`) into the
// YAML key at fault and the rest.
func distProblem(err error) (key, msg string) {
	s := err.Error()
	_, rest, ok := strings.Cut(s, ": ")
	if !ok || !strings.HasPrefix(s, "dist") {
		return "", s
	}
	name, tail, ok := strings.Cut(rest, " ")
	if !ok {
		return "", s
	}
	switch name {
	case "Kind", "Value", "Min", "Max", "Mean", "Median", "Sigma", "Stddev":
		return strings.ToLower(name), tail
	}
	return "", s
}

// parseError turns the YAML parser's error into a FileError at its line.
func parseError(file string, err error) error {
	var se *yaml.SyntaxError
	if errors.As(err, &se) && se.Token != nil && se.Token.Position != nil {
		return &FileError{File: file, Line: se.Token.Position.Line, Msg: "not valid YAML: " + se.Message}
	}
	return &FileError{File: file, Msg: "not valid YAML: " + err.Error()}
}
