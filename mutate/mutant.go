package mutate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Mutant is one change at one position of one file.
type Mutant struct {
	// ID is stable across unrelated edits: a hash of the file, the
	// enclosing function, the operator, the original and mutated source
	// text and the occurrence index among mutants equal in all of those.
	ID string `json:"id"`
	// File is the path relative to the module root, with slashes.
	File string `json:"file"`
	// Line and Col are where the change starts (1-based).
	Line int `json:"line"`
	Col  int `json:"col"`
	// Func is the enclosing function ("Type.method" for a method, "-"
	// outside any function).
	Func string `json:"func"`
	// Operator is the operator's name (Operators lists them).
	Operator string `json:"operator"`
	// Original and Mutated are the source text replaced and what replaces
	// it, whitespace collapsed.
	Original string `json:"original"`
	Mutated  string `json:"mutated"`
	// Occurrence counts earlier mutants of the same file, function,
	// operator, original and mutated text (0 for the first).
	Occurrence int `json:"occurrence"`
	// Title and Source are a historical entry's (mutate/historical.yaml):
	// what the bug did in production and the fix it was taken from.
	Title  string `json:"title,omitempty"`
	Source string `json:"source,omitempty"`

	start, end int               // byte offsets of the replaced text
	repl       string            // the replacement, as written into the file
	files      map[string][]byte // a historical mutant's edited files
}

// Pos is "file:line:col".
func (m Mutant) Pos() string { return fmt.Sprintf("%s:%d:%d", m.File, m.Line, m.Col) }

// Description is the mutation in one line, shortened.
func (m Mutant) Description() string {
	if m.Title != "" {
		return fmt.Sprintf("%s %s: %s", m.Operator, m.ID, clip(m.Title, 120))
	}
	return fmt.Sprintf("%s: %s → %s", m.Operator, clip(m.Original, 70), clip(m.Mutated, 70))
}

// Apply returns src with the mutation made. src must be the file the
// mutant was generated from.
func (m Mutant) Apply(src []byte) []byte {
	out := make([]byte, 0, len(src)+len(m.repl))
	out = append(out, src[:m.start]...)
	out = append(out, m.repl...)
	return append(out, src[m.end:]...)
}

// File is one parsed source file mutants are generated from.
type File struct {
	// Path is relative to the module root, with slashes.
	Path string
	// Src is its content.
	Src []byte
}

// Generate parses each file (paths relative to root) and returns the
// mutants the operators make, in file and position order, with their
// ids. Test files and model/mutants.go are refused by Files, not here.
func Generate(root string, paths []string, ops []string) ([]Mutant, map[string][]byte, error) {
	for _, op := range ops {
		if !slices.Contains(Operators(), op) {
			return nil, nil, fmt.Errorf("unknown operator %q; the operators are %s", op, strings.Join(Operators(), ", "))
		}
	}
	srcs := map[string][]byte{}
	var all []Mutant
	for _, p := range paths {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return nil, nil, err
		}
		ms, err := GenerateSource(p, src, ops)
		if err != nil {
			return nil, nil, err
		}
		srcs[p] = src
		all = append(all, ms...)
	}
	return all, srcs, nil
}

// GenerateSource returns the mutants of one file's source.
func GenerateSource(path string, src []byte, ops []string) ([]Mutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	g := &gen{fset: fset, src: src, path: path, ops: map[string]bool{}}
	for _, op := range ops {
		g.ops[op] = true
	}
	for _, d := range f.Decls {
		g.fn = "-"
		if fd, ok := d.(*ast.FuncDecl); ok {
			if fd.Name.Name == "String" && fd.Recv != nil {
				continue // String methods render, they do not decide
			}
			g.fn = funcName(fd)
		}
		ast.Inspect(d, g.visit)
	}
	slices.SortStableFunc(g.out, func(a, b Mutant) int { return a.start - b.start })
	seen := map[string]int{}
	for i := range g.out {
		m := &g.out[i]
		key := strings.Join([]string{m.File, m.Func, m.Operator, m.Original, m.Mutated}, "\x00")
		m.Occurrence = seen[key]
		seen[key]++
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d", key, m.Occurrence)))
		m.ID = hex.EncodeToString(sum[:5])
	}
	return g.out, nil
}

// funcName is "Recv.Name" for a method, "Name" for a function.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// gen walks one file and collects mutants.
type gen struct {
	fset *token.FileSet
	src  []byte
	path string
	ops  map[string]bool
	fn   string
	out  []Mutant
}

// off is the byte offset of p.
func (g *gen) off(p token.Pos) int { return g.fset.Position(p).Offset }

// text is the source of n.
func (g *gen) text(n ast.Node) string { return string(g.src[g.off(n.Pos()):g.off(n.End())]) }

// add records a mutant replacing [from, to) with repl.
func (g *gen) add(op string, from, to token.Pos, repl string) {
	pos := g.fset.Position(from)
	start, end := g.off(from), g.off(to)
	g.out = append(g.out, Mutant{File: g.path, Line: pos.Line, Col: pos.Column, Func: g.fn, Operator: op,
		Original: squash(string(g.src[start:end])), Mutated: squash(repl), start: start, end: end, repl: repl})
}

// squash collapses runs of white space to one space.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
