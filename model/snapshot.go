package model

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// TableRows is one table's rows as the database stores them: Columns
// starts with "rowid", and each row holds nil, int64, float64, string or
// []byte values in Columns order.
type TableRows struct {
	Name    string
	Columns []string
	Rows    [][]any
}

// Snapshot returns every table's rows, tables in Tables order and rows in
// rowid order, with their rowids (so a copy keeps the physical order that
// unordered queries return rows in). It is an observer's read: it is not
// counted in Cost.
func (d *DB) Snapshot() ([]TableRows, error) {
	out := make([]TableRows, 0, len(Tables))
	for _, table := range Tables {
		tr, err := d.snapshotTable(table)
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", table, err)
		}
		out = append(out, tr)
	}
	return out, nil
}

func (d *DB) snapshotTable(table string) (TableRows, error) {
	tr, err := d.ObserveRows(`SELECT rowid, * FROM ` + table + ` ORDER BY rowid`)
	if len(tr.Columns) > 0 {
		tr.Columns[0] = "rowid"
	}
	tr.Name = table
	return tr, err
}

// ObserveRows runs the query q and returns its rows as Snapshot does
// (columns as the query names them). Like Snapshot it is an observer's
// read, not counted in Cost, so the run is the same run without it.
func (d *DB) ObserveRows(q string, args ...any) (TableRows, error) {
	rows, err := d.conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		return TableRows{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return TableRows{}, err
	}
	tr := TableRows{Columns: cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return TableRows{}, err
		}
		tr.Rows = append(tr.Rows, vals)
	}
	return tr, rows.Err()
}

// SaveCopy writes a consistent copy of the database to path, a new SQLite
// file (VACUUM INTO); path must not exist. It is not counted in Cost.
func (d *DB) SaveCopy(path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("save database copy: %s already exists", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("save database copy: %w", err)
	}
	q := `VACUUM INTO '` + strings.ReplaceAll(path, "'", "''") + `'`
	if _, err := d.conn.ExecContext(context.Background(), q); err != nil {
		return fmt.Errorf("save database copy to %s: %w", path, err)
	}
	return nil
}
