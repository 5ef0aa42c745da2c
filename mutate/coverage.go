package mutate

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Coverage is which code the unmutated suite ran: the blocks of a Go
// cover profile (`go tool covdata textfmt`), by file relative to the
// module root. A mutant whose code no run executes cannot change any run,
// so it survives without being judged: the suite lacks a scenario that
// reaches it, not a property (PIT reports such mutants as "no coverage").
type Coverage struct {
	blocks map[string][]coverBlock
}

// coverBlock is one profile line: a source range and how often it ran.
type coverBlock struct {
	startLine, startCol, endLine, endCol int
	count                                int
}

// holds reports whether the block's range contains line:col.
func (b coverBlock) holds(line, col int) bool {
	after := line > b.startLine || line == b.startLine && col >= b.startCol
	before := line < b.endLine || line == b.endLine && col <= b.endCol
	return after && before
}

// ParseCoverProfile reads a text cover profile whose file names start with
// module + "/"; files of other modules are skipped. The error names the
// line that does not parse.
func ParseCoverProfile(r io.Reader, module string) (*Coverage, error) {
	c := &Coverage{blocks: map[string][]coverBlock{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	prefix := module + "/"
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "mode:") {
			continue
		}
		b, file, err := parseCoverLine(line)
		if err != nil {
			return nil, fmt.Errorf("cover profile line %d: %v: %q", n, err, line)
		}
		if rel, ok := strings.CutPrefix(file, prefix); ok {
			c.blocks[rel] = append(c.blocks[rel], b)
		}
	}
	return c, sc.Err()
}

// parseCoverLine parses "file:l1.c1,l2.c2 statements count".
func parseCoverLine(line string) (coverBlock, string, error) {
	var b coverBlock
	colon := strings.LastIndex(line, ":")
	if colon < 0 {
		return b, "", fmt.Errorf("no file name")
	}
	file, rest := line[:colon], strings.Fields(line[colon+1:])
	if len(rest) != 3 {
		return b, "", fmt.Errorf("want range, statements and count")
	}
	from, to, ok := strings.Cut(rest[0], ",")
	if !ok {
		return b, "", fmt.Errorf("bad range")
	}
	var err error
	num := func(s string) int {
		v, e := strconv.Atoi(s)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	l1, c1, _ := strings.Cut(from, ".")
	l2, c2, _ := strings.Cut(to, ".")
	b = coverBlock{num(l1), num(c1), num(l2), num(c2), num(rest[2])}
	return b, file, err
}

// Reached reports whether the suite ran the code at file:line:col. known
// is false when no block holds the position (package-level declarations
// such as constants, switch case expressions): such a mutant must be
// judged. A position inside several blocks is reached when any of them
// ran.
func (c *Coverage) Reached(file string, line, col int) (reached, known bool) {
	for _, b := range c.blocks[file] {
		if b.holds(line, col) {
			known = true
			if b.count > 0 {
				return true, true
			}
		}
	}
	return false, known
}
