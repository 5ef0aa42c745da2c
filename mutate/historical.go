package mutate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// OpHistorical is the operator name of a catalog entry's mutant: a bug
// that reached production, re-introduced by hand-written text edits.
const OpHistorical = "historical"

// Edit replaces the one occurrence of Old in File (relative to the
// module root, with slashes) by New.
type Edit struct {
	File string `json:"file" yaml:"file"`
	Old  string `json:"old" yaml:"old"`
	New  string `json:"new" yaml:"new"`
}

// HistoricalEntry is one bug of production's history in the catalog
// (mutate/historical.yaml): what it did, where the fix came from, the
// specification's rule ids it concerns and the edits that put it back
// into the port.
type HistoricalEntry struct {
	// ID is stable and hand-chosen (kebab-case); it is the mutant's id.
	ID string `json:"id" yaml:"id"`
	// Title says in one line what the bug did in production.
	Title string `json:"title" yaml:"title"`
	// Source names the fix: PR, commit and the fix's own title.
	Source string `json:"source" yaml:"source"`
	// Rule is the specification's rule id(s) concerned (or the operation,
	// e.g. "agentDone", when no rule id names it).
	Rule string `json:"rule" yaml:"rule"`
	// Edits are applied in order; each Old must occur exactly once in its
	// file as the entry's earlier edits left it.
	Edits []Edit `json:"edits" yaml:"edits"`
}

// kebab is a valid catalog id.
var kebab = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// CheckCatalog checks the entries' fields (not their edits): an id that
// is kebab-case and unique, a title, a source, a rule, at least one edit
// with a file, an Old and a different New. The error names the file
// (path, as given) and the entry.
func CheckCatalog(path string, es []HistoricalEntry) error {
	seen := map[string]bool{}
	for i, e := range es {
		name := fmt.Sprintf("%s: entry %d (%s)", path, i+1, e.ID)
		switch {
		case !kebab.MatchString(e.ID):
			return fmt.Errorf("%s: id must be kebab-case (a-z, 0-9, dashes)", name)
		case seen[e.ID]:
			return fmt.Errorf("%s: id used twice", name)
		case strings.TrimSpace(e.Title) == "", strings.TrimSpace(e.Source) == "", strings.TrimSpace(e.Rule) == "":
			return fmt.Errorf("%s: title, source and rule are required", name)
		case len(e.Edits) == 0:
			return fmt.Errorf("%s: no edits", name)
		}
		seen[e.ID] = true
		for j, ed := range e.Edits {
			switch {
			case ed.File == "" || ed.Old == "":
				return fmt.Errorf("%s: edit %d: file and old are required", name, j+1)
			case ed.Old == ed.New:
				return fmt.Errorf("%s: edit %d (%s): new is the same as old", name, j+1, ed.File)
			case strings.HasSuffix(ed.File, "_test.go") || !strings.HasSuffix(ed.File, ".go"):
				return fmt.Errorf("%s: edit %d: %s is not a non-test .go file", name, j+1, ed.File)
			case slices.Contains(Excluded, ed.File):
				return fmt.Errorf("%s: edit %d: %s holds the Town's test-only mutants and is never mutated", name, j+1, ed.File)
			}
		}
	}
	return nil
}

// HistoricalMutants applies each entry to the files under root and
// returns one mutant per entry (operator "historical", the position of
// its first edit, id = the entry's id) and each edited file's original
// content. An edit whose Old does not occur exactly once is an error
// naming the catalog path, the entry, the file and the Old text, so that
// a refactor of the port that breaks an entry fails loudly.
func HistoricalMutants(root, path string, es []HistoricalEntry) ([]Mutant, map[string][]byte, error) {
	if err := CheckCatalog(path, es); err != nil {
		return nil, nil, err
	}
	srcs := map[string][]byte{}
	var out []Mutant
	for _, e := range es {
		files := map[string][]byte{}
		var first Mutant
		for j, ed := range e.Edits {
			if _, ok := srcs[ed.File]; !ok {
				src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(ed.File)))
				if err != nil {
					return nil, nil, fmt.Errorf("%s: entry %s: edit %d: %w", path, e.ID, j+1, err)
				}
				srcs[ed.File] = src
			}
			cur, ok := files[ed.File]
			if !ok {
				cur = srcs[ed.File]
			}
			if n := bytes.Count(cur, []byte(ed.Old)); n != 1 {
				return nil, nil, fmt.Errorf("%s: entry %s: edit %d: %s: the old text occurs %d times, want exactly once: %q",
					path, e.ID, j+1, ed.File, n, clip(ed.Old, 200))
			}
			at := bytes.Index(cur, []byte(ed.Old))
			if j == 0 {
				line := 1 + bytes.Count(cur[:at], []byte("\n"))
				col := at - bytes.LastIndexByte(cur[:at], '\n')
				first = Mutant{ID: e.ID, File: ed.File, Line: line, Col: col, Func: e.Rule, Operator: OpHistorical,
					Original: squash(ed.Old), Mutated: squash(ed.New), Title: e.Title, Source: e.Source}
			}
			next := make([]byte, 0, len(cur)-len(ed.Old)+len(ed.New))
			next = append(next, cur[:at]...)
			next = append(next, ed.New...)
			files[ed.File] = append(next, cur[at+len(ed.Old):]...)
		}
		first.files = files
		out = append(out, first)
	}
	return out, srcs, nil
}

// Files returns the mutant's changed files, path → new content: for a
// historical mutant every file its edits touched, for a generated one its
// file with the change made (src holds the original files).
func (m Mutant) Files(src map[string][]byte) (map[string][]byte, error) {
	if m.files != nil {
		return m.files, nil
	}
	s, ok := src[m.File]
	if !ok {
		return nil, fmt.Errorf("no source for %s", m.File)
	}
	return map[string][]byte{m.File: m.Apply(s)}, nil
}
