package model

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Every column value SQLite can return, scanned into every destination
// type the model uses (and a few more), gives what database/sql's
// Rows.Scan gives on the same connection: the same value, or an error
// with the same text.
func TestRowsScanAsDatabaseSQL(t *testing.T) {
	d := testDB(t, 0)
	exprs := []string{
		`'text'`, `''`, `'42'`, `'-7'`, `'1.5'`, `'true'`, `'1'`, `'0'`, `'9223372036854775808'`,
		`42`, `0`, `1`, `-3`, `9223372036854775807`,
		`1.5`, `2.0`, `-0.25`, `1e300`,
		`NULL`, `x'6869'`, `x''`,
	}
	dests := []struct {
		name string
		new  func() any
	}{
		{"*string", func() any { return new(string) }},
		{"*int", func() any { return new(int) }},
		{"*int64", func() any { return new(int64) }},
		{"*float64", func() any { return new(float64) }},
		{"*bool", func() any { return new(bool) }},
		{"*[]byte", func() any { return new([]byte) }},
		{"*any", func() any { return new(any) }},
		{"*sql.NullString", func() any { return new(sql.NullString) }},
		{"*sql.NullInt64", func() any { return new(sql.NullInt64) }},
		{"*sql.NullFloat64", func() any { return new(sql.NullFloat64) }},
		{"*sql.NullBool", func() any { return new(sql.NullBool) }},
	}
	for _, x := range exprs {
		for _, dt := range dests {
			t.Run(x+" into "+dt.name, func(t *testing.T) {
				q := `SELECT ` + x + ` AS v`
				want := dt.new()
				wantErr := sqlStmt(t, d, q).QueryRowContext(t.Context()).Scan(want)
				got := dt.new()
				gotErr := d.QueryRow(q, nil, got)
				if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
					t.Fatalf("error %v, database/sql: %v", gotErr, wantErr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("scanned %#v, database/sql %#v", reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem())
				}
			})
		}
	}
}

// sqlStmt prepares q through database/sql on d's connection, as the model
// did before it ran its statements on the driver.
func sqlStmt(t *testing.T, d *DB, q string) *sql.Stmt {
	t.Helper()
	s, err := d.conn.PrepareContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A destination type the conversion does not know is an error naming
// it, not a silent difference.
func TestRowsScanUnknownDestination(t *testing.T) {
	d := testDB(t, 0)
	type status string
	var s status
	err := d.QueryRow(`SELECT 'open'`, nil, &s)
	if err == nil || !strings.Contains(err.Error(), "model.status is not supported") {
		t.Fatalf("error %v, want one naming model.status", err)
	}
}

// The contract of Rows around the rows themselves, table-driven: what
// Scan, Err and Columns say before, during and after iteration, and the
// argument errors of Query and Exec, each compared with database/sql.
func TestRowsLifecycleAsDatabaseSQL(t *testing.T) {
	d := testDB(t, 3)
	type outcome struct {
		rows    int
		scanErr string
		err     string
		cols    string
	}
	run := func(next func() bool, scan func(...any) error, errf func() error, cols func() ([]string, error), closef func() error, step string) outcome {
		var o outcome
		var id string
		switch step {
		case "scan before next":
			o.scanErr = fmt.Sprint(scan(&id))
		case "too few destinations":
			next()
			o.scanErr = fmt.Sprint(scan())
		case "scan after the end":
			for next() {
				o.rows++
			}
			o.scanErr = fmt.Sprint(scan(&id))
		case "scan after close":
			next()
			closef()
			o.scanErr = fmt.Sprint(scan(&id))
			c, err := cols()
			o.cols = fmt.Sprint(c, err)
		case "all rows":
			c, err := cols()
			o.cols = fmt.Sprint(c, err)
			for next() {
				if err := scan(&id); err != nil {
					o.scanErr = err.Error()
				}
				o.rows++
			}
		}
		o.err = fmt.Sprint(errf())
		closef()
		closef()
		return o
	}
	for _, step := range []string{"scan before next", "too few destinations", "scan after the end", "scan after close", "all rows"} {
		t.Run(step, func(t *testing.T) {
			q := `SELECT id FROM t ORDER BY id`
			sr, err := sqlStmt(t, d, q).QueryContext(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			want := run(sr.Next, sr.Scan, sr.Err, sr.Columns, sr.Close, step)
			mr, err := d.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			before := d.Cost().Rows
			got := run(mr.Next, mr.Scan, mr.Err, mr.Columns, mr.Close, step)
			if got != want {
				t.Fatalf("got %+v\ndatabase/sql %+v", got, want)
			}
			if n := d.Cost().Rows - before; n != int64(got.rows) && step != "too few destinations" && step != "scan after close" {
				t.Errorf("counted %d rows, read %d", n, got.rows)
			}
		})
	}
	for _, tc := range []struct {
		name string
		args []any
	}{
		{"too few arguments", nil},
		{"too many arguments", []any{"a", "b"}},
		{"an argument the driver cannot take", []any{struct{}{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := `SELECT id FROM t WHERE id = ?`
			_, wantErr := sqlStmt(t, d, q).QueryContext(t.Context(), tc.args...)
			_, gotErr := d.Query(q, tc.args...)
			if wantErr == nil || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("Query: %v, database/sql %v", gotErr, wantErr)
			}
			u := `UPDATE t SET status = status WHERE id = ?`
			_, wantErr = sqlStmt(t, d, u).ExecContext(t.Context(), tc.args...)
			_, gotErr = d.Exec(u, tc.args...)
			if wantErr == nil || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("Exec: %v, database/sql %v", gotErr, wantErr)
			}
		})
	}
}

// Two result sets of the same statement open at once each read their own
// rows (the second one gets a row buffer of its own), and Exec reports
// rows affected and the last insert id as database/sql does.
func TestRowsNestedAndExecResult(t *testing.T) {
	d := testDB(t, 4)
	q := `SELECT id FROM t WHERE rig = ? ORDER BY id`
	outer, err := d.Query(q, "rig-0")
	if err != nil {
		t.Fatal(err)
	}
	if !outer.Next() {
		t.Fatal("no first row")
	}
	inner, err := d.Query(`SELECT id FROM t WHERE rig = ? ORDER BY id LIMIT 1 OFFSET 0`, "rig-1")
	if err != nil {
		t.Fatal(err)
	}
	var a, b string
	if !inner.Next() || inner.Scan(&b) != nil || outer.Scan(&a) != nil {
		t.Fatal("scan failed")
	}
	inner.Close()
	outer.Close()
	if a != "id-000" || b != "id-001" {
		t.Errorf("read %q and %q", a, b)
	}

	res, err := d.Exec(`UPDATE t SET status = 'closed' WHERE rig IN (?, ?)`, "rig-0", "rig-1")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); n != 2 || err != nil {
		t.Errorf("rows affected %d, %v; want 2", n, err)
	}
	res, err = d.Exec(`INSERT INTO t (id, rig, status) VALUES (?, ?, ?)`, "id-new", "rig-9", "open")
	if err != nil {
		t.Fatal(err)
	}
	want, err := d.conn.ExecContext(t.Context(), `INSERT INTO t (id, rig, status) VALUES (?, ?, ?)`, "id-new2", "rig-9", "open")
	if err != nil {
		t.Fatal(err)
	}
	gotID, _ := res.LastInsertId()
	wantID, _ := want.LastInsertId()
	if gotID+1 != wantID {
		t.Errorf("last insert ids %d then %d (database/sql)", gotID, wantID)
	}
	if _, err := d.Exec(`INSERT INTO t (id, rig, status) VALUES (?, ?, ?)`, "id-new", "rig-9", "open"); err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "UNIQUE") {
		t.Errorf("duplicate insert: %v, want a UNIQUE constraint error", err)
	}
}
