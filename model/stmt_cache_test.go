package model

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func reprepares(t testing.TB, d *DB) int {
	t.Helper()
	var n int
	if err := d.conn.QueryRowContext(t.Context(), `SELECT townsim_reprepares()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A statement whose plan looked at a bound value used to be compiled
// again on every run (the driver clears bindings); with the guarantee on
// it is compiled once, and the answers and the cost are the same.
func TestStatementsCompiledOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		qpsg bool
		want func(int) bool
	}{
		{"guarantee on: never again", true, func(n int) bool { return n == 0 }},
		{"guarantee off: every run", false, func(n int) bool { return n >= 49 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testDB(t, 20)
			if err := d.setQPSG(tc.qpsg); err != nil {
				t.Fatal(err)
			}
			before := d.Cost()
			for i := range 50 {
				ids, err := d.Strings(`SELECT id FROM t WHERE status = 'open' AND rig = ? ORDER BY id`, fmt.Sprintf("rig-%d", i%5))
				if want := fmt.Sprintf("id-%03d,id-%03d,id-%03d,id-%03d", i%5, i%5+5, i%5+10, i%5+15); err != nil || strings.Join(ids, ",") != want {
					t.Fatalf("run %d: %v, %v; want %s", i, ids, err, want)
				}
			}
			if got := d.Cost().Sub(before); got.Statements != 50 || got.Rows != 200 {
				t.Errorf("cost %+v, want 50 statements and 200 rows", got)
			}
			if n := reprepares(t, d); !tc.want(n) {
				t.Errorf("%d compilations again", n)
			}
		})
	}
}

// testDB is an in-memory DB with a table of n rows (rig-0..rig-4).
func testDB(t testing.TB, n int) *DB {
	t.Helper()
	d, err := OpenDB("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	for _, q := range []string{
		`CREATE TABLE t (id TEXT PRIMARY KEY, status TEXT NOT NULL, rig TEXT, note TEXT, n INTEGER)`,
		`CREATE INDEX t_status ON t(status)`,
	} {
		if err := d.ExecRaw(q); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if _, err := d.Exec(`INSERT INTO t (id, status, rig, note, n) VALUES (?, 'open', ?, NULL, ?)`,
			fmt.Sprintf("id-%03d", i), fmt.Sprintf("rig-%d", i%5), i); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// An execution the planner could plan differently for its values takes
// the exact path, answers the same, and leaves the guarantee on.
func TestExactPathAnswersTheSame(t *testing.T) {
	d := testDB(t, 20)
	ids, err := d.Strings(`SELECT id FROM t WHERE status = 'open' ORDER BY id LIMIT ?`, 3)
	if err != nil || strings.Join(ids, ",") != "id-000,id-001,id-002" {
		t.Fatalf("LIMIT ?: %v, %v", ids, err)
	}
	n, err := d.Int(`SELECT COUNT(*) FROM t WHERE n = ?`, 1)
	if err != nil || n != 1 {
		t.Fatalf("n = 1: %d, %v", n, err)
	}
	if d.exactPlans != 2 || !d.qpsg {
		t.Errorf("exact plans %d, guarantee on %v; want 2, true", d.exactPlans, d.qpsg)
	}
	n, err = d.Int(`SELECT COUNT(*) FROM t WHERE n = ?`, 7)
	if err != nil || n != 1 || d.exactPlans != 2 {
		t.Errorf("n = 7: %d, %v, exact plans %d; want 1 row on the fast path", n, err, d.exactPlans)
	}
}

func TestPlanNeedsValues(t *testing.T) {
	for _, tc := range []struct {
		q    string
		args []any
		want bool
	}{
		{`SELECT 1 FROM t WHERE id = ?`, []any{"b-1"}, false},
		{`SELECT 1 FROM t WHERE n = ?`, []any{7}, false},
		{`SELECT 1 FROM t WHERE n = ?`, []any{1}, true},
		{`SELECT 1 FROM t WHERE n == (?)`, []any{int64(0)}, true},
		{`SELECT 1 FROM t WHERE ? = n`, []any{0}, true},
		{`SELECT 1 FROM t WHERE n IS +?`, []any{true}, true},
		{`SELECT 1 FROM t WHERE n IN (?)`, []any{1}, true},
		{`SELECT 1 FROM t WHERE n > ?`, []any{1}, false},
		{`SELECT 1 FROM t WHERE note = '?' AND n = ?`, []any{1}, true},
		{`SELECT 1 FROM t WHERE id = ? AND n > ?`, []any{"x", 0}, false},
		{`UPDATE t SET n = ?, note = ? WHERE id = ?`, []any{0, "x", "id"}, false},
		{`UPDATE t SET n = ? WHERE n = ?`, []any{5, 1}, true},
		{`UPDATE t SET n = (SELECT COUNT(*) FROM t WHERE n = ?)`, []any{0}, true},
		{`INSERT INTO t (id, n) VALUES (?, ?)`, []any{"a", 1}, false},
		{`INSERT INTO t (id, n) SELECT id, n FROM t WHERE n = ?`, []any{1}, true},
		{`SELECT 1 FROM t WHERE n = :v`, []any{1}, true},
		{`SELECT 1 FROM t WHERE n = ?`, []any{struct{}{}}, true},
		{`SELECT 1 FROM t ORDER BY id LIMIT ?`, []any{5}, true},
		{`SELECT 1 FROM t ORDER BY id LIMIT 5 OFFSET ?`, []any{5}, true},
		{`SELECT 1 FROM t ORDER BY id LIMIT 1`, nil, false},
		{`SELECT 1 FROM t WHERE note LIKE ?`, []any{`%"gt:held"%`}, false},
		{`SELECT 1 FROM t WHERE note LIKE ?`, []any{`gt:%`}, true},
		{`SELECT 1 FROM t WHERE note NOT GLOB ?`, []any{`*x`}, false},
		{`SELECT 1 FROM t WHERE id = ? AND note LIKE '%x%'`, []any{"b-1"}, false},
		{`SELECT 1 FROM t WHERE note LIKE ? AND id = ?`, []any{`%x%`, "b-1"}, false},
		{`SELECT 1 FROM t WHERE id = ? AND note LIKE (?)`, []any{"b-1", `x%`}, true},
		{`SELECT 1 FROM t WHERE note LIKE ? ESCAPE ?`, []any{`%x%`, `!`}, true},
		{`SELECT 1 FROM t WHERE note LIKE :p AND id = ?`, []any{`%x%`, "b-1"}, true},
		{`SELECT sum(n) OVER (ORDER BY id ROWS ? PRECEDING) FROM t`, []any{2}, true},
	} {
		if got := planNeedsValues(tc.q, shapeOf(tc.q), tc.args); got != tc.want {
			t.Errorf("planNeedsValues(%q, %v) = %v, want %v", tc.q, tc.args, got, tc.want)
		}
	}
}

// The fast path's argument holds only while every partial index of the
// schema tests a column for NULL (stmt_plan.go): a partial index with a
// literal in its WHERE would let the planner compare bound values to it.
func TestPartialIndexesTestNullOnly(t *testing.T) {
	where := regexp.MustCompile(`(?is)CREATE\s+(UNIQUE\s+)?INDEX.*\bWHERE\b(.*)$`)
	ok := regexp.MustCompile(`(?i)^\s*\w+\s+IS\s+(NOT\s+)?NULL\s*$`)
	found := 0
	for _, q := range schema {
		m := where.FindStringSubmatch(q)
		if m == nil {
			continue
		}
		found++
		if !ok.MatchString(m[2]) {
			t.Errorf("partial index %q: its WHERE is not `col IS [NOT] NULL`; extend planNeedsValues (stmt_plan.go)", q)
		}
	}
	if found == 0 {
		t.Error("no partial index found: the schema's statements were not read")
	}
}

// The cache is bounded: the least recently used statement is closed, and
// a text asked again after it was closed is prepared again.
func TestStmtCacheBounded(t *testing.T) {
	d := testDB(t, 5)
	d.stmts.closeAll()
	d.stmts = newStmtCache(3)
	q := func(k int) string { return fmt.Sprintf(`SELECT COUNT(*) + %d FROM t WHERE rig = ?`, k) }
	for _, k := range []int{0, 1, 2, 0, 3, 4, 0, 1} {
		n, err := d.Int(q(k), "rig-1")
		if err != nil || n != 1+k {
			t.Fatalf("query %d: %d, %v", k, n, err)
		}
		if d.stmts.len() > 3 {
			t.Fatalf("%d cached statements, limit 3", d.stmts.len())
		}
	}
	// After 0 1 2 0 3 4 0 1 the most recent three are 1, 0, 4.
	var got []string
	for e := d.stmts.head.next; e != &d.stmts.head; e = e.next {
		got = append(got, e.q[len("SELECT COUNT(*) + "):][:1])
	}
	if strings.Join(got, "") != "104" {
		t.Errorf("cache holds %v (most recent first), want 1 0 4", got)
	}
	if d.Cost().Statements < 8 {
		t.Errorf("cost %+v counts fewer than the 8 executions", d.Cost())
	}
}

// The exact path turns the guarantee off and on, which marks every
// statement for compiling again; a query being read meanwhile still
// returns all its rows.
func TestExactPathInsideOpenRows(t *testing.T) {
	d := testDB(t, 20)
	rows, err := d.Query(`SELECT id FROM t WHERE status = 'open' AND rig = ? ORDER BY id`, "rig-2")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		if n, err := d.Int(`SELECT COUNT(*) FROM t WHERE n = ?`, 1); err != nil || n != 1 {
			t.Fatalf("exact query inside the loop: %d, %v", n, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if got := strings.Join(ids, ","); got != "id-002,id-007,id-012,id-017" || d.exactPlans != 4 {
		t.Errorf("rows %s with %d exact plans; want id-002,id-007,id-012,id-017 and 4", got, d.exactPlans)
	}
}
