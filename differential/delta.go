package differential

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/townsim/townsim/model"
)

// Change is one row a step (an event applied, an action's synchronous
// part or its side effect) inserted, updated or deleted. Row holds the
// row after the step, in the original's columns (absent for a delete).
type Change struct {
	Table string         `json:"table"`
	RowID int64          `json:"rowid"`
	Op    string         `json:"op"`
	Row   map[string]any `json:"row,omitempty"`
}

// Delta computes the changes from before to after, in the columns the
// original's schema has (a table it lacks is left out), tables in name
// order and rowids ascending, as the host lists them.
func Delta(schema map[string][]string, before, after []model.TableRows) []Change {
	index := func(ts []model.TableRows) map[string]model.TableRows {
		m := make(map[string]model.TableRows, len(ts))
		for _, t := range ts {
			m[t.Name] = t
		}
		return m
	}
	b, a := index(before), index(after)
	var out []Change
	for _, name := range sortedNames(schema) {
		tb, ta := b[name], a[name]
		cols := schema[name]
		// Both snapshots list rows in rowid order: walk them together and
		// read a row into the original's columns only where it changed.
		rowOf := func(t model.TableRows, r []any) map[string]any {
			pos := make(map[string]int, len(t.Columns))
			for j, c := range t.Columns {
				pos[c] = j
			}
			row := map[string]any{}
			for _, c := range cols {
				if j, ok := pos[c]; ok {
					row[c] = jsonValue(r[j])
				}
			}
			return row
		}
		sameCols := slices.Equal(tb.Columns, ta.Columns)
		i, j := 0, 0
		for i < len(tb.Rows) || j < len(ta.Rows) {
			var ib, ia int64 = 1<<63 - 1, 1<<63 - 1
			if i < len(tb.Rows) {
				ib, _ = tb.Rows[i][0].(int64)
			}
			if j < len(ta.Rows) {
				ia, _ = ta.Rows[j][0].(int64)
			}
			switch {
			case ib < ia:
				out = append(out, Change{Table: name, RowID: ib, Op: "delete"})
				i++
			case ia < ib:
				out = append(out, Change{Table: name, RowID: ia, Op: "insert", Row: rowOf(ta, ta.Rows[j])})
				j++
			default:
				rb, ra := tb.Rows[i], ta.Rows[j]
				if !sameCols || !rawEqual(rb, ra) {
					if nb, na := rowOf(tb, rb), rowOf(ta, ra); !sameRow(nb, na) {
						out = append(out, Change{Table: name, RowID: ia, Op: "update", Row: na})
					}
				}
				i++
				j++
			}
		}
	}
	return out
}

// rawEqual compares two snapshot rows value by value (BLOBs by content).
func rawEqual(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		x, xb := a[k].([]byte)
		y, yb := b[k].([]byte)
		if xb || yb {
			if !xb || !yb || !bytes.Equal(x, y) {
				return false
			}
			continue
		}
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

func sortedNames(schema map[string][]string) []string {
	names := make([]string, 0, len(schema))
	for n := range schema {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// jsonValue turns a SQLite value into what the same value reads as after
// a trip through JSON (how the host's values arrive).
func jsonValue(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case []byte:
		return string(x)
	}
	return v
}

func sameRow(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			return false
		}
	}
	return true
}

// normalize renames the ids a step created (the first column of each
// inserted row, in the order of the changes) to <new-1>, <new-2>, ...
// wherever they occur in the changes' text values, so that rows created
// with random ids on each side compare equal. It returns a copy.
func normalize(schema map[string][]string, cs []Change) []Change {
	return renamer(schema, cs).changes(cs)
}

// idRenamer renames the ids that inserted rows got to <new-N>, in the
// order they were created.
type idRenamer []string

// renamer collects the new ids of the inserts among cs.
func renamer(schema map[string][]string, cs []Change) idRenamer {
	var ids idRenamer
	for _, c := range cs {
		if c.Op != "insert" || len(schema[c.Table]) == 0 {
			continue
		}
		if s, ok := c.Row[schema[c.Table][0]].(string); ok && len(s) >= 8 {
			ids = append(ids, s)
		}
	}
	return ids
}

func (ids idRenamer) rename(s string) string {
	for i, id := range ids {
		s = strings.ReplaceAll(s, id, fmt.Sprintf("<new-%d>", i+1))
	}
	return s
}

// changes returns a copy of cs with the ids renamed in every text value.
func (ids idRenamer) changes(cs []Change) []Change {
	rename := ids.rename
	out := make([]Change, len(cs))
	for i, c := range cs {
		out[i] = Change{Table: c.Table, RowID: c.RowID, Op: c.Op}
		if c.Row != nil {
			out[i].Row = map[string]any{}
			for k, v := range c.Row {
				if s, ok := v.(string); ok {
					v = canonicalJSON(rename(s))
				}
				out[i].Row[k] = v
			}
		}
	}
	return out
}

// DeltaDiff is one row on which the two sides' changes disagree.
type DeltaDiff struct {
	Table string `json:"table"`
	RowID int64  `json:"rowid"`
	// Port and Original are each side's change of the row (nil = none).
	Port     *Change `json:"port"`
	Original *Change `json:"original"`
	// Columns names the columns whose values differ (both changed the row).
	Columns []string `json:"columns,omitempty"`
}

// compareDeltas compares the two sides' changes after normalize and
// returns the rows where they disagree, in table and rowid order.
func compareDeltas(schema map[string][]string, port, orig []Change) []DeltaDiff {
	return compareRenamed(schema, renamer(schema, port).changes(port), renamer(schema, orig).changes(orig))
}

// compareRenamed compares changes whose new ids are renamed already.
func compareRenamed(schema map[string][]string, port, orig []Change) []DeltaDiff {
	type key struct {
		table string
		rowid int64
	}
	pm, om := map[key]*Change{}, map[key]*Change{}
	var keys []key
	for i := range port {
		k := key{port[i].Table, port[i].RowID}
		pm[k] = &port[i]
		keys = append(keys, k)
	}
	for i := range orig {
		k := key{orig[i].Table, orig[i].RowID}
		om[k] = &orig[i]
		if pm[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.table, b.table), cmp.Compare(a.rowid, b.rowid)) })
	var out []DeltaDiff
	for _, k := range keys {
		p, o := pm[k], om[k]
		d := DeltaDiff{Table: k.table, RowID: k.rowid, Port: p, Original: o}
		if p != nil && o != nil {
			if p.Op == o.Op && sameRow(p.Row, o.Row) {
				continue
			}
			for _, c := range schema[k.table] {
				if !jsonEqual(p.Row[c], o.Row[c]) {
					d.Columns = append(d.Columns, c)
				}
			}
		}
		out = append(out, d)
	}
	return out
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// canonicalJSON returns a text that holds a JSON object or array with its
// keys sorted (as Go encodes it), other text as it is: the port writes
// JSON it builds from Go maps with sorted keys where production keeps its
// objects' insertion order, and no reader depends on the order.
func canonicalJSON(s string) string {
	if len(s) < 2 || (s[0] != '{' && s[0] != '[') {
		return s
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return string(b)
}
