package mutate

import (
	"strings"
	"unicode"
)

// clauseEnds are the keywords that end a WHERE clause at its own depth.
var clauseEnds = []string{"ORDER", "GROUP", "LIMIT", "RETURNING", "HAVING", "UNION", "ON", "WINDOW"}

// whereMutants returns, for a string literal as written (quotes
// included), one mutated literal per conjunct of every `WHERE … AND …`
// clause in it: that conjunct becomes `(c OR 1)`, always true. A clause
// with BETWEEN is left alone (its AND is not a conjunction).
func whereMutants(lit string) []string {
	var out []string
	words := sqlWords(lit)
	for i, w := range words {
		if w.upper != "WHERE" {
			continue
		}
		conj := conjuncts(lit, words[i+1:], w.end)
		if len(conj) < 2 {
			continue
		}
		for _, c := range conj {
			out = append(out, lit[:c[0]]+"("+lit[c[0]:c[1]]+" OR 1)"+lit[c[1]:])
		}
	}
	return out
}

// sqlWord is one token of a literal: a word, or one of ( ) ; at depth.
type sqlWord struct {
	upper      string // the word in upper case, or the punctuation
	start, end int
}

// sqlWords splits s into words and parentheses, skipping single-quoted
// SQL strings.
func sqlWords(s string) []sqlWord {
	var out []sqlWord
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return out
			}
			i += j + 2
		case c == '(' || c == ')' || c == ';':
			out = append(out, sqlWord{string(c), i, i + 1})
			i++
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_' || s[j] == '.') {
				j++
			}
			out = append(out, sqlWord{strings.ToUpper(s[i:j]), i, j})
			i = j
		default:
			i++
		}
	}
	return out
}

// conjuncts returns the [start, end) byte ranges of the top-level
// conjuncts of the WHERE clause whose words follow (from offset from),
// white space trimmed.
func conjuncts(s string, words []sqlWord, from int) [][2]int {
	var out [][2]int
	depth, seg := 0, from
	cut := func(end int) {
		a, b := seg, end
		for a < b && isSpace(s[a]) {
			a++
		}
		for b > a && isSpace(s[b-1]) {
			b--
		}
		if a < b {
			out = append(out, [2]int{a, b})
		}
	}
	for _, w := range words {
		switch {
		case w.upper == "(" || w.upper == "CASE":
			depth++
		case w.upper == ")" || w.upper == "END":
			depth--
			if depth < 0 {
				cut(w.start)
				return out
			}
		case depth == 0 && w.upper == "BETWEEN":
			return nil
		case depth == 0 && w.upper == "AND":
			cut(w.start)
			seg = w.end
		case depth == 0 && (w.upper == ";" || isClauseEnd(w.upper)):
			cut(w.start)
			return out
		}
	}
	cut(len(s) - 1) // the literal ends before its closing quote
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func isClauseEnd(w string) bool {
	for _, e := range clauseEnds {
		if w == e {
			return true
		}
	}
	return false
}
