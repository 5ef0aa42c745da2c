package gate

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// yamlFile is a YAML file being read: its name (as the user gave it) and
// bytes, so that every error can name the file, the line and the key.
type yamlFile struct {
	name string
	data []byte
	ast  *ast.File
}

// decode decodes the file into v strictly: an unknown or duplicate key, a
// value of the wrong type or a syntax error is an error naming the file,
// the line, the column and the key path.
func (f *yamlFile) decode(v any) error {
	parsed, err := parser.ParseBytes(f.data, 0)
	if err == nil {
		f.ast = parsed
		err = yaml.UnmarshalWithOptions(f.data, v, yaml.Strict())
	}
	if err == nil {
		return nil
	}
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return fmt.Errorf("%s: %v", f.name, err)
	}
	tk := ye.GetToken()
	msg := ye.GetMessage()
	path, node, found := f.find(tk)
	var unknown *yaml.UnknownFieldError
	switch {
	case errors.As(err, &unknown):
		msg = fmt.Sprintf("unknown key %q", tk.Value)
	case isTypeError(msg):
		// goccy/go-yaml says "cannot unmarshal string into Go struct field
		// Budgets.Runs of type int": say what the key wants in words.
		msg = "expected " + describeType(typeAt(reflect.TypeOf(v), path)) + ", got " + describeNode(node, tk)
	}
	switch {
	case path != "":
		msg += " (key " + path + ")"
	case found && isTypeError(ye.GetMessage()):
		msg += " (the whole file)"
	}
	return fmt.Errorf("%s:%d:%d: %s", f.name, tk.Position.Line, tk.Position.Column, msg)
}

// isTypeError reports a decoding message about a value of the wrong type.
func isTypeError(msg string) bool {
	return strings.Contains(msg, "cannot unmarshal") || strings.Contains(msg, "was used where")
}

// errAt is an error about the value at path (a YAML path such as
// "$.scenarios[0].duration"), naming the file, its line and the key path.
func (f *yamlFile) errAt(path string, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	key := strings.TrimPrefix(strings.TrimPrefix(path, "$"), ".")
	if line, col, ok := f.position(path); ok {
		return fmt.Errorf("%s:%d:%d: %s: %s", f.name, line, col, key, msg)
	}
	return fmt.Errorf("%s: %s: %s", f.name, key, msg)
}

// position is where the value at path starts, if the file has it.
func (f *yamlFile) position(path string) (line, col int, ok bool) {
	if f.ast == nil {
		return 0, 0, false
	}
	p, err := yaml.PathString(path)
	if err != nil {
		return 0, 0, false
	}
	n, err := p.FilterFile(f.ast)
	if err != nil || n == nil || n.GetToken() == nil {
		return 0, 0, false
	}
	pos := n.GetToken().Position
	return pos.Line, pos.Column, true
}

// find is the dotted key path ("scenarios[0].seed") of the key or value
// whose token is tk, and its node; found is false when tk is not in the
// file's tree.
func (f *yamlFile) find(tk *token.Token) (path string, node ast.Node, found bool) {
	if f.ast == nil {
		return "", nil, false
	}
	for _, doc := range f.ast.Docs {
		if p, n, ok := findPath(doc.Body, tk, ""); ok {
			return p, n, true
		}
	}
	return "", nil, false
}

func findPath(n ast.Node, tk *token.Token, path string) (string, ast.Node, bool) {
	if n == nil {
		return "", nil, false
	}
	switch n := n.(type) {
	case *ast.MappingNode:
		if samePos(n.GetToken(), tk) {
			return path, n, true
		}
		for _, mv := range n.Values {
			if p, m, ok := findPath(mv, tk, path); ok {
				return p, m, true
			}
		}
		return "", nil, false
	case *ast.MappingValueNode:
		if samePos(n.GetToken(), tk) {
			return path, n, true // the ':' of a mapping: the mapping itself
		}
		key := n.Key.GetToken().Value
		p := key
		if path != "" {
			p = path + "." + key
		}
		if samePos(n.Key.GetToken(), tk) {
			return p, n.Value, true
		}
		return findPath(n.Value, tk, p)
	case *ast.SequenceNode:
		if samePos(n.GetToken(), tk) {
			return path, n, true
		}
		for i, v := range n.Values {
			if p, m, ok := findPath(v, tk, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, m, true
			}
		}
		return "", nil, false
	}
	if samePos(n.GetToken(), tk) {
		return path, n, true
	}
	return "", nil, false
}

func samePos(a, b *token.Token) bool {
	return a != nil && b != nil && a.Position.Line == b.Position.Line && a.Position.Column == b.Position.Column
}

// typeAt is the Go type the key path leads to inside root (nil if the
// path leaves the type): struct fields by their yaml names (inline
// structs searched too), map values, slice elements.
func typeAt(root reflect.Type, path string) reflect.Type {
	t := root
	for _, seg := range splitPath(path) {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == nil {
			return nil
		}
		switch {
		case seg == "[]":
			if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return nil
			}
			t = t.Elem()
		case t.Kind() == reflect.Map:
			t = t.Elem()
		case t.Kind() == reflect.Struct:
			t = fieldByYAMLName(t, seg)
		default:
			return nil
		}
	}
	return t
}

// splitPath splits "a[0].b" into "a", "[]", "b".
func splitPath(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			out = append(out, name)
		}
		for n := strings.Count(rest, "]"); n > 0; n-- {
			out = append(out, "[]")
		}
	}
	return out
}

func fieldByYAMLName(t reflect.Type, name string) reflect.Type {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		tagName, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			inner := sf.Type
			for inner.Kind() == reflect.Pointer {
				inner = inner.Elem()
			}
			if inner.Kind() == reflect.Struct {
				if ft := fieldByYAMLName(inner, name); ft != nil {
					return ft
				}
			}
			continue
		}
		if tagName == name || (tagName == "" && strings.EqualFold(sf.Name, name)) {
			return sf.Type
		}
	}
	return nil
}

// describeType says in words what a value of type t looks like in YAML.
func describeType(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another kind of value"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		return "a list (- item lines or [a, b])"
	case reflect.Map, reflect.Struct:
		return "a mapping of keys (key: value lines)"
	}
	return "another kind of value"
}

// describeNode says in words what the file holds at a node.
func describeNode(n ast.Node, tk *token.Token) string {
	switch n := n.(type) {
	case *ast.StringNode:
		return fmt.Sprintf("the text %q", n.Value)
	case *ast.IntegerNode, *ast.FloatNode:
		return "the number " + n.GetToken().Value
	case *ast.BoolNode:
		return n.GetToken().Value
	case *ast.NullNode:
		return "nothing"
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case nil:
		if tk != nil {
			return fmt.Sprintf("%q", tk.Value)
		}
	}
	return fmt.Sprintf("%q", n.GetToken().Value)
}
