package mutate

import (
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

// snippet is a small file every operator has something to change in.
const snippet = `package p

import (
	"fmt"
	"time"
)

type Action struct{ Rule string }

type T struct{ n int }

func (t *T) String() string { if t.n > 0 { return fmt.Sprint(t.n) }; return "" }

func rules(db DB, n int, ok bool) ([]Action, error) {
	var out []Action
	if n < 3 && ok {
		out = append(out, Action{Rule: "R-1"})
	}
	if !ok {
		return out, nil
	}
	for n >= 10 {
		n--
	}
	if n == 2 {
		n = 1
	} else {
		n = 0
	}
	_, err := db.Exec(` + "`UPDATE beads SET status = ? WHERE id = ? AND status != 'closed'`" + `, "open", n)
	if err != nil {
		return nil, err
	}
	db.Touch(n)
	recordCall(db, "touch", n > 1)
	fmt.Printf("%d\n", 42)
	if db.Mutant("x") {
		n = 99
	}
	time.Sleep(5 * time.Minute)
	return out, nil
}
`

// Each operator makes exactly the expected mutations of the snippet, and
// each mutated file still parses.
func TestOperators(t *testing.T) {
	for _, tt := range []struct {
		op   string
		want []string // each mutant's mutated text, in order
	}{
		{OpNegate, []string{"!(n < 3 && ok)", "ok", "!(n >= 10)", "!(n == 2)"}},
		{OpConjunct, []string{"n < 3", "ok"}},
		{OpBoundary, []string{"n <= 3", "n > 10"}},
		{OpConstant, []string{"4", "2", "11", "9", "3", "1", "2", "0", "1", "6", "4"}},
		{OpSQLWhere, []string{
			"`UPDATE beads SET status = ? WHERE (id = ? OR 1) AND status != 'closed'`",
			"`UPDATE beads SET status = ? WHERE id = ? AND (status != 'closed' OR 1)`"}},
		{OpDropAction, []string{`_ = append(out, Action{Rule: "R-1"})`}},
		{OpDropEffect, []string{
			"func(...any) (any, error) { return nil, nil }(`UPDATE beads SET status = ? WHERE id = ? AND status != 'closed'`, \"open\", n)",
			"_ = []any{n}", "_ = []any{5 * time.Minute}"}},
		{OpSwapBranches, []string{"{ n = 0 } else { n = 1 }"}},
	} {
		t.Run(tt.op, func(t *testing.T) {
			ms, err := GenerateSource("p/p.go", []byte(snippet), []string{tt.op})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Mutated)
				if m.Operator != tt.op || m.Func != "rules" {
					t.Errorf("%s: operator %s in %s, want %s in rules", m.Pos(), m.Operator, m.Func, tt.op)
				}
				out := m.Apply([]byte(snippet))
				if !strings.Contains(string(out), m.repl) {
					t.Errorf("%s: mutated source lacks %q", m.Pos(), m.repl)
				}
				if _, err := parser.ParseFile(token.NewFileSet(), "m.go", out, 0); err != nil {
					t.Errorf("%s (%s): mutated source does not parse: %v", m.Pos(), m.Description(), err)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("mutations\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// The whole-file rendering of one mutant: the change is made at its
// position and nowhere else.
func TestApplyChangesOnePlace(t *testing.T) {
	ms, err := GenerateSource("p/p.go", []byte(snippet), []string{OpBoundary})
	if err != nil {
		t.Fatal(err)
	}
	got := string(ms[0].Apply([]byte(snippet)))
	want := strings.Replace(snippet, "if n < 3 && ok", "if n <= 3 && ok", 1)
	if got != want {
		t.Errorf("mutant %s changed more than its place:\n%s", ms[0].Description(), got)
	}
	if ms[0].Line != 16 || ms[0].Col != 7 {
		t.Errorf("position %s, want p/p.go:16:7 (the operator)", ms[0].Pos())
	}
}

// Mutant ids survive unrelated edits (lines added above, another function
// added) and tell equal mutations apart by occurrence.
func TestIDsAreStable(t *testing.T) {
	gen := func(src string) map[string]string { // id -> description@occurrence
		ms, err := GenerateSource("p/p.go", []byte(src), Operators())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, m := range ms {
			if _, dup := out[m.ID]; dup {
				t.Fatalf("id %s given twice", m.ID)
			}
			out[m.ID] = m.Func + " " + m.Description()
		}
		return out
	}
	base := gen(snippet)
	edited := gen(strings.Replace(snippet, "type T struct", "// a comment\n\nfunc other(x int) bool { return x > 1 }\n\ntype T struct", 1))
	for id, d := range base {
		if edited[id] != d {
			t.Errorf("id %s (%s) lost after an unrelated edit", id, d)
		}
	}
	if len(edited) <= len(base) {
		t.Errorf("the edit added a function with mutants; got %d ids, had %d", len(edited), len(base))
	}
	// Two equal lines in one function: two ids, occurrences 0 and 1.
	ms, err := GenerateSource("p/p.go", []byte("package p\nfunc f(a int) int {\n\tif a < 1 { a++ }\n\tif a < 1 { a++ }\n\treturn a\n}\n"), []string{OpBoundary})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].ID == ms[1].ID || ms[0].Occurrence != 0 || ms[1].Occurrence != 1 {
		t.Errorf("equal mutations: %+v", ms)
	}
}

// Nothing is mutated in String methods, logging calls, test-only hooks
// (mutants, faults) and error checks.
func TestSkipped(t *testing.T) {
	ms, err := GenerateSource("p/p.go", []byte(snippet), Operators())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		switch {
		case m.Func == "T.String":
			t.Errorf("mutant in a String method: %s", m.Description())
		case m.Original == "42" || strings.Contains(m.Original, "Printf"):
			t.Errorf("mutant in a logging call: %s", m.Description())
		case m.Original == "99" || strings.Contains(m.Original, "Mutant("):
			t.Errorf("mutant in a test-only hook: %s", m.Description())
		case m.Original == "err != nil":
			t.Errorf("error check negated: %s", m.Description())
		}
	}
}

// The WHERE conjuncts of SQL in string literals, at their own depth.
func TestWhereMutants(t *testing.T) {
	for _, tt := range []struct {
		name, lit string
		want      []string
	}{
		{"one conjunct", "`SELECT a FROM t WHERE a = ?`", nil},
		{"two", "`SELECT a FROM t WHERE a = ? AND b IS NULL ORDER BY a`", []string{
			"`SELECT a FROM t WHERE (a = ? OR 1) AND b IS NULL ORDER BY a`",
			"`SELECT a FROM t WHERE a = ? AND (b IS NULL OR 1) ORDER BY a`"}},
		{"parenthesized or", `"DELETE FROM t WHERE (a = 1 OR b = 2) AND c = 'x AND y'"`, []string{
			`"DELETE FROM t WHERE ((a = 1 OR b = 2) OR 1) AND c = 'x AND y'"`,
			`"DELETE FROM t WHERE (a = 1 OR b = 2) AND (c = 'x AND y' OR 1)"`}},
		{"subquery", "`SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE c = 1 AND d = 2) AND e = 3`", []string{
			"`SELECT a FROM t WHERE (a IN (SELECT b FROM u WHERE c = 1 AND d = 2) OR 1) AND e = 3`",
			"`SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE c = 1 AND d = 2) AND (e = 3 OR 1)`",
			"`SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE (c = 1 OR 1) AND d = 2) AND e = 3`",
			"`SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE c = 1 AND (d = 2 OR 1)) AND e = 3`"}},
		{"between", "`SELECT a FROM t WHERE a BETWEEN 1 AND 2`", nil},
		{"case", "`UPDATE t SET x = CASE WHEN a AND b THEN 1 ELSE 0 END WHERE id = ?`", nil},
		{"no where", "`UPDATE t SET a = 1 AND b`", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := whereMutants(tt.lit); !slices.Equal(got, tt.want) {
				t.Errorf("whereMutants(%s)\n got %q\nwant %q", tt.lit, got, tt.want)
			}
		})
	}
}
