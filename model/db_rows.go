package model

import (
	"bytes"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// Why the model's statements run on the driver directly.
//
// database/sql wraps every execution in work the model does not need: it
// converts the arguments into a fresh slice, registers and unregisters
// each result set in a map of dependencies, takes a read lock per Next
// and per Scan, and converts every column through a general converter.
// With the statements cached, running them without that wrapping took
// 18 % less CPU in a default run. The cached statements are therefore
// prepared and run on the pinned connection's driver connection
// (github.com/mattn/go-sqlite3), and Rows below does the conversions
// database/sql does, for the destination types the model scans into,
// with the same results and the same error texts. A destination type not
// listed in scanValue is an error naming the type, never a silent
// difference.

// Rows is the result of DB.Query: it reads the driver's rows, counts
// them in the DB's cost, and converts the columns on Scan as
// database/sql's Rows.Scan does.
type Rows struct {
	d      *DB
	e      *stmtEntry
	rowsi  driver.Rows
	vals   []driver.Value
	shared bool // vals is e's row buffer (stmtEntry.opened)
	closed bool
	hasRow bool
	err    error // the error that ended the rows, nil at the end of them
}

var (
	errRowsClosed = errors.New("sql: Rows are closed")
	errNilPtr     = errors.New("destination pointer is nil")
)

// Next advances to the next row, counting it. At the end of the rows, or
// on an error (see Err), it closes them.
func (r *Rows) Next() bool {
	if r.closed {
		return false
	}
	if r.vals == nil {
		n := len(r.rowsi.Columns())
		if r.shared {
			r.vals = r.e.buffer(n)
		} else {
			r.vals = make([]driver.Value, n)
		}
	}
	if err := r.rowsi.Next(r.vals); err != nil {
		r.hasRow = false
		if err != io.EOF {
			r.err = err
		}
		r.Close()
		return false
	}
	r.hasRow = true
	r.d.cost.Rows++
	return true
}

// Err returns the error that ended the rows early, if any.
func (r *Rows) Err() error { return r.err }

// Columns returns the column names.
func (r *Rows) Columns() ([]string, error) {
	if r.closed {
		return nil, r.errOr(errRowsClosed)
	}
	return r.rowsi.Columns(), nil
}

func (r *Rows) errOr(err error) error {
	if r.err != nil {
		return r.err
	}
	return err
}

// Close closes the rows (resetting the statement); closing twice is
// harmless.
func (r *Rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.rowsi.Close()
	r.e.closed(r.shared)
	if r.err == nil {
		r.err = err
	}
	return err
}

// Scan copies the current row's columns into dest, converting them as
// database/sql's Rows.Scan does.
func (r *Rows) Scan(dest ...any) error {
	if r.closed {
		return r.errOr(errRowsClosed)
	}
	if !r.hasRow {
		return errors.New("sql: Scan called without calling Next")
	}
	if len(dest) != len(r.vals) {
		return fmt.Errorf("sql: expected %d destination arguments in Scan, not %d", len(r.vals), len(dest))
	}
	for i, src := range r.vals {
		if err := scanValue(dest[i], src); err != nil {
			return fmt.Errorf(`sql: Scan error on column index %d, name %q: %w`, i, r.rowsi.Columns()[i], err)
		}
	}
	return nil
}

// scanValue stores the driver value src in dest. The cases that need no
// conversion are done here; every conversion is database/sql's own,
// reached through sql.Null[T].Scan (which runs the same converter as
// Rows.Scan) or the destination's Scan method.
func scanValue(dest, src any) error {
	switch d := dest.(type) {
	case *string:
		if d == nil {
			return errNilPtr
		}
		if s, ok := src.(string); ok {
			*d = s
			return nil
		}
		return scanVia(d, src, "string")
	case *int:
		if d == nil {
			return errNilPtr
		}
		if v, ok := src.(int64); ok && int64(int(v)) == v {
			*d = int(v)
			return nil
		}
		return scanVia(d, src, "int")
	case *int64:
		if d == nil {
			return errNilPtr
		}
		if v, ok := src.(int64); ok {
			*d = v
			return nil
		}
		return scanVia(d, src, "int64")
	case *float64:
		if d == nil {
			return errNilPtr
		}
		if v, ok := src.(float64); ok {
			*d = v
			return nil
		}
		return scanVia(d, src, "float64")
	case *bool:
		if d == nil {
			return errNilPtr
		}
		bv, err := driver.Bool.ConvertValue(src)
		if err == nil {
			*d = bv.(bool)
		}
		return err
	case *[]byte:
		if d == nil {
			return errNilPtr
		}
		if src == nil {
			*d = nil
			return nil
		}
		return scanVia(d, src, "")
	case *any:
		if d == nil {
			return errNilPtr
		}
		if b, ok := src.([]byte); ok {
			*d = bytes.Clone(b)
			return nil
		}
		*d = src
		return nil
	case sql.Scanner:
		return d.Scan(src)
	}
	return fmt.Errorf("model.Rows.Scan: destination type %T is not supported (see db_rows.go)", dest)
}

// scanVia converts a non-NULL src into *d with database/sql's converter;
// a NULL is the error database/sql gives for a destination of kind kind.
func scanVia[T any](d *T, src any, kind string) error {
	if src == nil {
		return fmt.Errorf("converting NULL to %s is unsupported", kind)
	}
	var n sql.Null[T]
	if err := n.Scan(src); err != nil {
		return err
	}
	*d = n.V
	return nil
}

// namedArgs converts the model's arguments to the driver's as database/sql
// does (driver.DefaultParameterConverter; sql.NamedArg gives the name),
// into buf, and checks their number against the statement's placeholders.
func namedArgs(buf []driver.NamedValue, want int, args []any) ([]driver.NamedValue, error) {
	out := buf[:0]
	for i, a := range args {
		nv := driver.NamedValue{Ordinal: i + 1, Value: a}
		if np, ok := a.(sql.NamedArg); ok {
			nv.Name, nv.Value = np.Name, np.Value
		}
		v, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
		if err != nil {
			return nil, fmt.Errorf("sql: converting argument %s type: %w", describeArg(nv), err)
		}
		nv.Value = v
		out = append(out, nv)
	}
	if want != -1 && len(out) != want {
		return nil, fmt.Errorf("sql: expected %d arguments, got %d", want, len(out))
	}
	return out, nil
}

func describeArg(nv driver.NamedValue) string {
	if nv.Name == "" {
		return fmt.Sprintf("$%d", nv.Ordinal)
	}
	return fmt.Sprintf("with name %q", nv.Name)
}
