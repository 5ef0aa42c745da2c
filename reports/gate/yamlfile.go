package gate

import (
	"errors"
	"fmt"
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
	path := f.pathOf(tk)
	var unknown *yaml.UnknownFieldError
	if errors.As(err, &unknown) {
		msg = fmt.Sprintf("unknown key %q", tk.Value)
	}
	if path != "" {
		msg += " (key " + path + ")"
	}
	return fmt.Errorf("%s:%d:%d: %s", f.name, tk.Position.Line, tk.Position.Column, msg)
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

// pathOf is the dotted key path ("scenarios[0].seed") of the key or value
// whose token is tk, "" if not found.
func (f *yamlFile) pathOf(tk *token.Token) string {
	if f.ast == nil {
		return ""
	}
	for _, doc := range f.ast.Docs {
		if p, ok := findPath(doc.Body, tk, ""); ok {
			return p
		}
	}
	return ""
}

func findPath(n ast.Node, tk *token.Token, path string) (string, bool) {
	if n == nil {
		return "", false
	}
	switch n := n.(type) {
	case *ast.MappingNode:
		for _, mv := range n.Values {
			if p, ok := findPath(mv, tk, path); ok {
				return p, true
			}
		}
		return "", false
	case *ast.MappingValueNode:
		key := n.Key.GetToken().Value
		p := key
		if path != "" {
			p = path + "." + key
		}
		if samePos(n.Key.GetToken(), tk) {
			return p, true
		}
		return findPath(n.Value, tk, p)
	case *ast.SequenceNode:
		for i, v := range n.Values {
			if p, ok := findPath(v, tk, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
		return "", false
	}
	if samePos(n.GetToken(), tk) {
		return path, true
	}
	return "", false
}

func samePos(a, b *token.Token) bool {
	return a != nil && b != nil && a.Position.Line == b.Position.Line && a.Position.Column == b.Position.Column
}
