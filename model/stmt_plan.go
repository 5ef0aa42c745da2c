package model

import (
	"database/sql"
	"regexp"
	"strings"
)

// Why statements are compiled with the query planner stability guarantee.
//
// The driver clears a statement's bindings every time it runs it again
// (sqlite3_clear_bindings), and SQLite then compiles again (parses and
// plans) every statement whose plan looked at a bound value: a `col = ?`
// term outside the index (the planner's guess of how selective it is
// depends on whether the value is the integer 0 or 1), `LIKE ?`, `LIMIT ?`.
// That was one statement execution in five in a default run, each a full
// parse and plan. With the guarantee (QPSG) on, the planner never looks at
// bound values, the statement is compiled once and only runs afterwards.
//
// A plan built without the values is the very plan SQLite builds with
// them whenever the values cannot change it. For this SQLite build (no
// STAT4, no virtual tables the model uses, the schema's partial indexes
// test `col IS NULL` only) the values are read by the planner in exactly
// these places, and planNeedsValues sends every execution that could meet
// one of them down the exact path instead:
//
//   - an integer argument 0 or 1 (or a bool, bound as one) compared with
//     `=`, `==`, `IS` or `IN (?)`: the `col = ?` selectivity guess
//     (whereLoopOutputAdjust); in an INSERT or UPDATE only the
//     placeholders from its first WHERE, JOIN or SELECT on count, the
//     ones before are values written (VALUES, SET);
//   - `LIMIT ?` / `OFFSET ?`: the row-count estimate of a limited query;
//   - `LIKE ?` / `GLOB ?` with a pattern that does not start with a
//     wildcard: the prefix-range optimisation (only the pattern's own
//     parameter counts: a literal pattern is read from the text);
//   - `? PRECEDING` / `? FOLLOWING` window frames.
//
// The exact path turns the guarantee off, runs the statement (SQLite
// compiles it again with the values, as it always did), and turns it back
// on. Turning it on or off makes every statement compile once more on its
// next run, so the exact path is slow; no default or gate scenario takes
// it. What a query returns and how many statements a tick runs do not
// change; DB.Cost counts executions, never compilations.

// planNeedsValues reports whether SQLite could plan q differently for
// these argument values than without them (see above).
func planNeedsValues(q string, shape sqlShape, args []any) bool {
	if shape.limitParam || shape.windowParam {
		return true
	}
	for i, a := range args {
		if argIsZeroOrOne(a) && (shape.unknownParams || i >= len(shape.compared) || shape.compared[i]) {
			return true
		}
		if shape.likeOrGlob && (shape.unknownParams || i >= len(shape.pattern) || shape.pattern[i]) {
			if s, ok := argText(a); ok && s != "" && !strings.ContainsRune("%_*?[", rune(s[0])) {
				return true
			}
		}
	}
	return false
}

// sqlShape is what planNeedsValues needs to know of a statement's text,
// worked out once when it is prepared.
type sqlShape struct {
	limitParam, windowParam, likeOrGlob bool
	// compared[i] is whether the i-th `?` is compared for equality where
	// the planner may look at it; unknownParams is set when q numbers or
	// names its parameters (then every argument counts).
	compared []bool
	// pattern[i] is whether the i-th `?` is the pattern (or the escape)
	// of a LIKE or GLOB: SQLite's prefix-range optimisation reads only a
	// pattern that is itself a parameter, never the other values of a
	// statement that has a LIKE with a literal pattern.
	pattern       []bool
	unknownParams bool
}

var (
	limitParamRE  = regexp.MustCompile(`(?i)\b(LIMIT|OFFSET)\s+[(+\s]*\?|\bLIMIT\s+[^\s,]+\s*,\s*[(+\s]*\?`)
	windowParamRE = regexp.MustCompile(`(?i)\b(PRECEDING|FOLLOWING)\b`)
	likeRE        = regexp.MustCompile(`(?i)\b(LIKE|GLOB)\b`)
)

func shapeOf(q string) sqlShape {
	sh := sqlShape{
		limitParam:  limitParamRE.MatchString(q),
		windowParam: windowParamRE.MatchString(q),
		likeOrGlob:  likeRE.MatchString(q),
	}
	toks := sqlTokens(q)
	// In INSERT, REPLACE and UPDATE the comparisons start at the first
	// WHERE, JOIN or SELECT; everywhere else they start at once.
	from := 0
	if len(toks) > 0 {
		switch strings.ToUpper(toks[0]) {
		case "INSERT", "REPLACE", "UPDATE":
			from = len(toks)
			for i, t := range toks {
				if u := strings.ToUpper(t); u == "WHERE" || u == "JOIN" || u == "SELECT" {
					from = i
					break
				}
			}
		}
	}
	for i, t := range toks {
		switch {
		case t == "?":
			sh.compared = append(sh.compared, i >= from && comparedAt(toks, i))
			sh.pattern = append(sh.pattern, patternAt(toks, i))
		case t[0] == '?' || t[0] == ':' || t[0] == '@' || t[0] == '$':
			sh.unknownParams = true
		}
	}
	return sh
}

// comparedAt reports whether the `?` at toks[i] is an operand of `=`,
// `==`, `IS` (`IS NOT`) or a one-element `IN (?)`, looking through
// parentheses and unary plus.
func comparedAt(toks []string, i int) bool {
	b := i - 1
	for b >= 0 && (toks[b] == "(" || toks[b] == "+") {
		b--
	}
	if b >= 0 {
		switch strings.ToUpper(toks[b]) {
		case "=", "==", "IS", "NOT":
			return true
		case "IN":
			return true
		}
	}
	a := i + 1
	for a < len(toks) && toks[a] == ")" {
		a++
	}
	if a < len(toks) {
		switch strings.ToUpper(toks[a]) {
		case "=", "==", "IS":
			return true
		}
	}
	return false
}

// patternAt reports whether the `?` at toks[i] is the right operand of
// LIKE or GLOB (or its ESCAPE), looking through parentheses.
func patternAt(toks []string, i int) bool {
	b := i - 1
	for b >= 0 && toks[b] == "(" {
		b--
	}
	if b < 0 {
		return false
	}
	switch strings.ToUpper(toks[b]) {
	case "LIKE", "GLOB", "ESCAPE":
		return true
	}
	return false
}

// sqlTokens splits q into words, parameters and punctuation, dropping
// string literals, quoted identifiers and comments (whose `?` are not
// parameters).
func sqlTokens(q string) []string {
	var out []string
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"' || c == '`' || c == '[':
			end := c
			if c == '[' {
				end = ']'
			}
			j := i + 1
			for j < len(q) && q[j] != end {
				j++
			}
			i = j + 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				return out
			}
			i += j + 4
		case c == '?' || c == ':' || c == '@' || c == '$' || isWordByte(c):
			j := i + 1
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			out = append(out, q[i:j])
			i = j
		case c == '=' && i+1 < len(q) && q[i+1] == '=':
			out = append(out, "==")
			i += 2
		default:
			out = append(out, q[i:i+1])
			i++
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// argIsZeroOrOne reports whether a binds as the integer 0 or 1. Types it
// does not know are treated as if they might.
func argIsZeroOrOne(a any) bool {
	switch v := a.(type) {
	case nil, string, []byte, float64, float32, sql.NullString, sql.NullFloat64:
		return false
	case bool, sql.NullBool:
		return true
	case int:
		return v == 0 || v == 1
	case int64:
		return v == 0 || v == 1
	case int32:
		return v == 0 || v == 1
	case int16:
		return v == 0 || v == 1
	case int8:
		return v == 0 || v == 1
	case uint:
		return v <= 1
	case uint64:
		return v <= 1
	case uint32:
		return v <= 1
	case uint16:
		return v <= 1
	case uint8:
		return v <= 1
	case sql.NullInt64:
		return v.Valid && (v.Int64 == 0 || v.Int64 == 1)
	case sql.NullInt32:
		return v.Valid && (v.Int32 == 0 || v.Int32 == 1)
	default:
		return true
	}
}

// argText returns a text argument's value.
func argText(a any) (string, bool) {
	switch v := a.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	case sql.NullString:
		return v.String, v.Valid
	}
	return "", false
}
