package model

import (
	"database/sql"
	"fmt"
	"testing"
)

// benchDB opens an in-memory DB with a table of n rows shaped like the
// Town's (text ids, nullable text, integer counters).
func benchDB(b *testing.B, n int) *DB {
	b.Helper()
	d, err := OpenDB("")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	if err := d.ExecRaw(`CREATE TABLE t (
		id TEXT PRIMARY KEY, status TEXT NOT NULL, rig TEXT, note TEXT,
		attempts INTEGER NOT NULL DEFAULT 0, seq INTEGER, created_at TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		var rig, seq any
		if i%3 != 0 {
			rig, seq = fmt.Sprintf("rig-%d", i%5), i
		}
		if _, err := d.Exec(`INSERT INTO t (id, status, rig, note, attempts, seq, created_at)
			VALUES (?, ?, ?, NULL, ?, ?, ?)`, fmt.Sprintf("id-%04d", i), "open", rig, i%7, seq,
			"2026-01-01T00:00:00.000Z"); err != nil {
			b.Fatal(err)
		}
	}
	return d
}

// benchRow is one row of the bench table.
type benchRow struct {
	id, status, createdAt string
	rig, note             sql.NullString
	attempts              int
	seq                   sql.NullInt64
}

// BenchmarkDBQueryRow is a primary-key lookup scanning one row: the
// model's most frequent statement shape (N+1 reads).
func BenchmarkDBQueryRow(b *testing.B) {
	d := benchDB(b, 1000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var r benchRow
		if err := d.QueryRow(`SELECT id, status, rig, note, attempts, seq, created_at FROM t WHERE id = ?`,
			[]any{fmt.Sprintf("id-%04d", i%1000)}, &r.id, &r.status, &r.rig, &r.note, &r.attempts,
			&r.seq, &r.createdAt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDBQueryRowNoRows is a lookup that finds nothing (sql.ErrNoRows).
func BenchmarkDBQueryRowNoRows(b *testing.B) {
	d := benchDB(b, 10)
	b.ReportAllocs()
	for b.Loop() {
		var s string
		if err := d.QueryRow(`SELECT id FROM t WHERE id = ?`, []any{"missing"}, &s); err != sql.ErrNoRows {
			b.Fatal(err)
		}
	}
}

// BenchmarkDBInt is a count.
func BenchmarkDBInt(b *testing.B) {
	d := benchDB(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		if n, err := d.Int(`SELECT COUNT(*) FROM t WHERE status = ? AND attempts < ?`, "open", 3); err != nil || n == 0 {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkDBQueryScan reads 100 rows of seven columns.
func BenchmarkDBQueryScan(b *testing.B) {
	d := benchDB(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		rows, err := d.Query(`SELECT id, status, rig, note, attempts, seq, created_at FROM t WHERE status = ? ORDER BY id`, "open")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var r benchRow
			if err := rows.Scan(&r.id, &r.status, &r.rig, &r.note, &r.attempts, &r.seq, &r.createdAt); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := rows.Err(); err != nil || n != 100 {
			b.Fatal(n, err)
		}
		rows.Close()
	}
}

// BenchmarkDBStrings collects one text column of 100 rows.
func BenchmarkDBStrings(b *testing.B) {
	d := benchDB(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		ids, err := d.Strings(`SELECT id FROM t WHERE status = ? ORDER BY id`, "open")
		if err != nil || len(ids) != 100 {
			b.Fatal(len(ids), err)
		}
	}
}

// BenchmarkDBExec is an update by primary key.
func BenchmarkDBExec(b *testing.B) {
	d := benchDB(b, 1000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := d.Exec(`UPDATE t SET attempts = attempts + 1, note = ? WHERE id = ?`,
			sql.NullString{String: "x", Valid: i%2 == 0}, fmt.Sprintf("id-%04d", i%1000)); err != nil {
			b.Fatal(err)
		}
	}
}
